"""BPE tokenizer, bucketing, a deterministic tiny training run, embeddings init and checkpoints."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from src.common.batching import length_batches
from src.data.tokenizers import BPETokenizer
from src.models.embeddings import ppmi_svd, skipgram
from src.models.encoder import Encoder, ModelConfig, init_embedding
from src.serving import checkpoint
from src.training.loop import TrainConfig, fit, pad, predict_proba
from tests.fixtures import loop_and_pool

ROOT = Path(__file__).resolve().parents[1]
CALM = "the weather is nice today and we walk in the park with friends".split()
BAD = "hate stupid idiot kill".split()


def tiny_corpus(n: int = 240, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Texts whose label 0 is 'contains a BAD word', label 1 is random noise-free 'long text'."""
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for _ in range(n):
        words = list(rng.choice(CALM, rng.integers(3, 15)))
        bad = rng.random() < 0.25
        if bad:
            words.insert(rng.integers(0, len(words)), rng.choice(BAD))
        texts.append(" ".join(words))
        y.append([int(bad), int(len(words) > 9)])
    return texts, np.array(y, dtype=np.float32)


@pytest.fixture(scope="module")
def tok():
    texts, _ = tiny_corpus()
    return BPETokenizer.train(texts, vocab_size=60, max_len=32)


def test_bpe_encode_truncate_roundtrip(tok):
    short = BPETokenizer.from_state({**tok.state(), "max_len": 8})
    ids = short.encode(["the weather is nice today and we walk in the park", "", "!!!"])
    assert len(ids[0]) == 8  # cut at max_len
    assert ids[1] == [1] and ids[2] == [1]  # nothing left after cleaning -> [UNK]
    again = BPETokenizer.from_state(tok.state())
    assert again.encode(["stupid weather"]) == tok.encode(["stupid weather"])
    assert "".join(tok.tokens("Hate!")) == "▁hate"


def test_bpe_dropout_splits_words_finer_and_repeats_in_a_fresh_process(tok, tmp_path):
    texts, tok = tiny_corpus(40, seed=3)[0], BPETokenizer.from_state({**tok.state(), "max_len": 200})  # no cut
    plain, drop = tok.encode(texts), tok.encode(texts, dropout=0.5)
    assert sum(map(len, drop)) > sum(map(len, plain))  # skipped merges leave more, smaller pieces
    assert [tok.bpe.decode([d])[0] for d in drop] == [tok.bpe.decode([p])[0] for p in plain]  # same text
    assert tok.encode(texts) == plain  # dropout never leaks into plain encoding
    (tmp_path / "tok.bin").write_bytes(tok.model_bytes)
    code = (
        "import sys, json; from pathlib import Path; from src.data.tokenizers import BPETokenizer; "
        "t = BPETokenizer(Path(sys.argv[1]).read_bytes(), max_len=32); "
        "print(json.dumps(t.encode(json.loads(sys.argv[2]), dropout=0.5)))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "tok.bin"), json.dumps(texts)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and json.loads(runs[0]) != plain


@pytest.mark.parametrize("clean", [True, False])
def test_bpe_reads_only_max_len_words_and_gets_the_same_ids(tok, clean):
    """Each word gives >= 1 id, so cutting the text at max_len words leaves the first max_len ids unchanged."""
    import youtokentome as yttm

    t = BPETokenizer.from_state({**tok.state(), "max_len": 8, "clean": clean})
    texts = ["The weather, is nice today and we walk in the PARK " * 5, "a-b c!d " * 20, "one two"]
    whole = [" ".join(re.findall(r"[a-zA-Z]+", s.lower())) if clean else " ".join(s.split()) for s in texts]
    full = t.bpe.encode(whole, output_type=yttm.OutputType.ID)
    assert t.encode(texts) == [ids[:8] for ids in full]


def test_bpe_training_is_stable_and_a_saved_tokenizer_is_exact():
    # youtokentome may order equally frequent merges differently between trainings (model bytes differ in
    # about 1 run of 10 on this corpus), so only the size is compared; exactness comes from the saved bytes.
    texts, _ = tiny_corpus()
    a, b = BPETokenizer.train(texts, 60), BPETokenizer.train(texts, 60)
    assert a.vocab_size == b.vocab_size == 60
    again = BPETokenizer.from_state(a.state())
    assert again.model_bytes == a.model_bytes and again.encode(texts) == a.encode(texts)


def test_bad_tokenizer_bytes(tok):
    for bad in [b"not a model", b"", tok.model_bytes[:-9], "é".encode()]:
        with pytest.raises(ValueError, match="youtokentome"):
            BPETokenizer(bad)


def test_length_batches_cover_everything_once():
    lengths = np.random.default_rng(0).integers(1, 50, 1000)
    batches = length_batches(lengths, 32, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 5  # sorted inside chunks: little padding
    assert pad([[1, 2], [3]]).tolist() == [[1, 2], [3, 0]]


def _train(tok, seed=0, epochs=8):
    texts, y = tiny_corpus()
    ids = tok.encode(texts)
    torch.manual_seed(seed)
    model = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=2, d_model=8, d_ff=16, max_len=32))
    hist = fit(
        model, ids[:180], y[:180], ids[180:], y[180:], TrainConfig(epochs=epochs, batch_size=16, lr_max=1e-2, seed=seed)
    )
    return model, hist, ids


def test_training_learns_and_is_deterministic(tok):
    m1, h1, ids = _train(tok)
    m2, h2, _ = _train(tok)
    assert h1.val_auc == h2.val_auc  # bit-for-bit on CPU
    assert h1.best_auc > 0.75 and h1.best_auc > h1.val_auc[0]  # it learns (label 0 is easy)
    assert np.array_equal(predict_proba(m1, ids[180:]), predict_proba(m2, ids[180:]))


def test_embedding_inits_shapes(tok):
    texts, _ = tiny_corpus()
    ids = tok.encode(texts)
    v = ppmi_svd(ids, tok.vocab_size, 4)
    assert v.shape == (tok.vocab_size, 4) and np.isfinite(v).all()
    s = skipgram(ids, tok.vocab_size, 4, epochs=1, batch_size=256)
    assert s.shape == (tok.vocab_size, 4) and np.isfinite(s).all()
    m = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=2, d_model=4))
    init_embedding(m, torch.tensor(v), std=0.1)
    assert m.embed.weight[1:].std().item() == pytest.approx(0.1, rel=1e-4)
    assert m.embed.weight[0].abs().sum().item() == 0  # PAD stays zero


def test_checkpoint_roundtrip_and_errors(tok, tmp_path):
    model, _, ids = _train(tok, epochs=1)
    path = tmp_path / "m.pt"
    size = checkpoint.save(path, model, tok, ["a", "b"], {"a": 0.3, "b": 0.6}, note="x")
    assert size == path.stat().st_size
    m2, tok2, doc = checkpoint.load(path, labels=["a", "b"])
    assert doc["thresholds"] == {"a": 0.3, "b": 0.6} and doc["meta"]["note"] == "x"
    assert np.allclose(predict_proba(model, ids), predict_proba(m2, tok2.encode(tiny_corpus()[0])))
    with pytest.raises(checkpoint.CheckpointError, match="labels"):
        checkpoint.load(path, labels=["a", "c"])
    with pytest.raises(checkpoint.CheckpointError, match="config differs"):
        checkpoint.load(path, config=ModelConfig(vocab_size=3, n_labels=2))
    bad = tmp_path / "trunc.pt"
    bad.write_bytes(path.read_bytes()[:200])
    with pytest.raises(checkpoint.CheckpointError, match="corrupt or truncated"):
        checkpoint.load(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": 1}, other)
    with pytest.raises(checkpoint.CheckpointError, match="not a toxic-small"):
        checkpoint.load(other)
    with pytest.raises(checkpoint.CheckpointError, match="not found"):
        checkpoint.load(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="threshold"):
        checkpoint.save(tmp_path / "x.pt", model, tok, ["a", "b"], {"a": 0.3})


def test_train_many_in_two_processes_equals_a_loop(tok):
    """BPE runs side by side in spawned workers (the tokenizer pickles by its state) equal a one-thread loop."""
    import pickle

    from src.studies.runs import Encoded, TrainJob, train_many

    texts, y = tiny_corpus()
    ids = tok.encode(texts)
    again = pickle.loads(pickle.dumps(tok))
    assert again.encode(texts) == ids and again.state() == tok.state()
    data = Encoded(tok, ids, ids, ids, y, y, y)
    cfg = ModelConfig(vocab_size=tok.vocab_size, n_labels=y.shape[1], d_model=8, d_ff=16)
    jobs = [TrainJob(data, cfg, TrainConfig(epochs=1, batch_size=8, seed=s)) for s in (0, 1)]
    loop, pool = loop_and_pool(train_many, jobs)
    for a, b in zip(loop, pool, strict=True):
        np.testing.assert_array_equal(a.p_test, b.p_test)
        assert b.tokenizer.encode(texts[:3]) == ids[:3]
    assert not np.array_equal(loop[0].p_test, loop[1].p_test)


def test_a_run_in_the_background_equals_one_here(tok):
    """The report setting trains beside the sweep (`in_background`): the same predictions as in this process."""
    from src.studies.runs import Encoded, TrainJob, in_background, train_run

    texts, y = tiny_corpus()
    ids = tok.encode(texts)
    data = Encoded(tok, ids, ids, ids, y, y, y)
    cfg = ModelConfig(vocab_size=tok.vocab_size, n_labels=y.shape[1], d_model=8, d_ff=16)
    job = TrainJob(data, cfg, TrainConfig(epochs=1, batch_size=8, seed=3)).kwargs()
    future = in_background(train_run, job)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the background process's one thread: float reductions then match bit for bit
    try:
        here = train_run(**job)
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(future.result(timeout=300).p_test, here.p_test)


def test_tokenizers_trained_side_by_side():
    """BaseAttention's three BPE sizes trained in two worker processes come back in size order, each at its size (or
    all the corpus holds), every split encoded by its own tokenizer. Not asserted: the same bytes on every run;
    youtokentome now and then picks another merge among equally frequent ones (CI saw it once), so results rest on
    the tokenizers saved with the checkpoints."""
    import pandas as pd

    from src.data.datasets import Splits, get_spec
    from src.studies.baseattention import tokenize

    texts, y = tiny_corpus()
    spec = get_spec("ghc")
    frame = pd.DataFrame({"text": texts * 3} | {lab: np.tile(y[:, 0], 3) for lab in spec.labels})
    splits = Splits(spec, frame, frame, frame, {})
    tk = tokenize(splits, 120, 50, 0, None, workers=2)
    assert list(tk.toks) == [30, 60, 120]
    assert [tk.toks[v].vocab_size for v in tk.toks] == [30, 60, 79]  # the tiny corpus holds 79 ids in all
    assert all(tk.data[v].train == tk.toks[v].encode(texts * 3) for v in tk.toks)
    assert all(tk.data[v].test == tk.toks[v].encode(texts * 3) for v in tk.toks)
    assert all(len(tk.sweep[v].train) == len(texts) * 3 for v in tk.toks)  # sweep_sample None: every row
    cut = tokenize(splits, 120, 50, 0, 300, workers=1)  # a sweep sample: as many validation rows, test whole
    assert all((len(d.train), len(d.val), len(d.test)) == (300, 300, 720) for d in cut.sweep.values())
    assert all(len(d.y_val) == 300 and d.y_test is cut.data[v].y_test for v, d in cut.sweep.items())
