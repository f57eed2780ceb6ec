"""Serving: the Predictor API, the `python -m src.apps.predict` CLI, and every saved model under models/."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from src.apps import predict as predict_cli
from src.data.glove import PAD, UNK, WordTokenizer
from src.data.tokenizers import BPETokenizer
from src.models.encoder import Encoder, ModelConfig
from src.models.glove_embedding import GloveEmbedding
from src.serving import checkpoint, predict
from src.training.loop import TrainConfig, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["hd", "cv", "vo"]
DERIVED = {"hate": ("hd", "cv"), "any": ("hd", "cv", "vo")}
THRESHOLDS = {"hd": 0.3, "cv": 0.5, "vo": 0.7}
CALM = "the weather is nice today and we walk in the park with friends".split()
BAD = ["hate stupid idiot".split(), "kill shoot burn".split(), "damn crap hell".split()]
TEXTS = ["the weather is nice", "you stupid idiot", "", "   ", "i will kill and burn", "damn the park"]


def tiny_corpus(n: int = 200, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Texts where label j means 'contains a word of BAD[j]'."""
    rng = np.random.default_rng(seed)
    texts, y = [], np.zeros((n, len(LABELS)), dtype=np.float32)
    for i in range(n):
        words = list(rng.choice(CALM, rng.integers(3, 12)))
        for j, bad in enumerate(BAD):
            if rng.random() < 0.25:
                words.insert(int(rng.integers(0, len(words))), str(rng.choice(bad)))
                y[i, j] = 1
        texts.append(" ".join(words))
    return texts, y


def tiny_checkpoint(path: Path) -> Path:
    """Train the tiny BPE model on `tiny_corpus` (seeded) and save it with derived labels to `path`."""
    texts, y = tiny_corpus()
    tok = BPETokenizer.train(texts, vocab_size=60, max_len=32)
    ids = tok.encode(texts)
    torch.manual_seed(0)
    model = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=8, d_ff=16, max_len=32))
    fit(model, ids[:160], y[:160], ids[160:], y[160:], TrainConfig(epochs=2, batch_size=16, lr_max=1e-2))
    # "any" has no stored threshold on purpose: the Predictor must fall back to 0.5.
    checkpoint.save(path, model, tok, LABELS, THRESHOLDS, derived=DERIVED, derived_thresholds={"hate": 0.4})
    return path


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny trained GHC-shaped checkpoint with derived labels (one derived threshold left out)."""
    return tiny_checkpoint(tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="module")
def pred(model_path: Path) -> predict.Predictor:
    return predict.load(model_path)


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """Run the CLI in a fresh interpreter, as a user would."""
    cmd = [sys.executable, "-m", "src.apps.predict", "--threads", "1", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, cwd=ROOT, timeout=120)


def run_main(args: list[str], stdin: bytes, capsys: pytest.CaptureFixture, monkeypatch) -> tuple[int, str, str]:
    """Run `main` in-process (cheaper than a subprocess) with bytes on stdin; -> (code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = predict_cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_api_columns_order_and_flags(pred: predict.Predictor):
    df = pred.predict(TEXTS, batch_size=2)
    names = [*LABELS, "hate", "any"]
    assert list(df.columns) == [*names, *(f"{n}_flag" for n in names)] == pred.columns
    assert df.shape == (len(TEXTS), 10) and list(df.index) == list(range(len(TEXTS)))
    thr = {**THRESHOLDS, "hate": 0.4, "any": 0.5}
    for n in names:
        assert ((df[n] >= thr[n]).astype(int) == df[f"{n}_flag"]).all()
        assert df[n].between(0, 1).all()
    # Row order survives the length-sorted batching: each text scored alone gives its own row.
    alone = pd.concat([pred.predict([t]) for t in TEXTS], ignore_index=True)
    assert np.allclose(alone[names], df[names], atol=1e-5)
    assert pred.predict([]).shape == (0, 10)


def test_derived_are_max_of_members(pred: predict.Predictor):
    df = pred.predict(tiny_corpus(50, seed=1)[0])
    assert np.array_equal(df["hate"], df[["hd", "cv"]].max(axis=1))
    assert np.array_equal(df["any"], df[LABELS].max(axis=1))
    assert pred.threshold("hate") == 0.4 and pred.threshold("any") == 0.5 and pred.threshold("vo") == 0.7


def test_known_probabilities_map_to_their_columns(model_path: Path, tmp_path: Path):
    model, tok, _ = checkpoint.load(model_path)
    probs = torch.tensor([0.35, 0.2, 0.6])  # constant per label: zero head weights, bias = logit(p)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.logit(probs))
    path = tmp_path / "const.pt"
    checkpoint.save(path, model, tok, LABELS, THRESHOLDS, derived=DERIVED, derived_thresholds={"hate": 0.4})
    row = predict.load(path).predict(["anything at all"]).iloc[0]
    assert np.allclose(row[[*LABELS, "hate", "any"]].astype(float), [0.35, 0.2, 0.6, 0.35, 0.6], atol=1e-6)
    # hate_flag 0 although hd_flag is 1: derived flags use their own threshold, not an OR of member flags;
    # any_flag 1 although no member is flagged: "any" has no stored threshold, so 0.5 applies.
    flags = {c: int(row[c]) for c in row.index if c.endswith("_flag")}
    assert flags == {"hd_flag": 1, "cv_flag": 0, "vo_flag": 0, "hate_flag": 0, "any_flag": 1}


def test_cli_stdin_one_row_per_line(pred: predict.Predictor, model_path: Path):
    huge = "idiot " * 17_000  # ~100 KB: truncated by the tokenizer, still one row
    # Only "\n" ends a row: form feeds and U+2028 (which str.splitlines splits on) stay inside theirs.
    lines = ["the weather is nice", "", "   ", huge, "\t", "form\x0cfeed and\u2028separator", "you stupid idiot"]
    res = cli("--model", str(model_path), stdin=("\n".join(lines) + "\n").encode())
    assert res.returncode == 0, res.stderr.decode()
    df = pd.read_csv(io.StringIO(res.stdout.decode()))
    assert list(df.columns) == pred.columns and len(df) == len(lines)
    assert np.allclose(df[pred.names], pred.predict(lines)[pred.names], atol=1e-5)
    assert res.stderr == b""  # not a TTY: no progress bar


def test_cli_files_jsonl_in_and_out(pred: predict.Predictor, model_path: Path, tmp_path: Path):
    a, b = tmp_path / "a.txt", tmp_path / "b.jsonl"
    a.write_bytes(b"first line\r\n\r\nlast line without newline")
    b.write_text('\ufeff{"text": "you stupid idiot", "id": 7}\n{"text": ""}\n', encoding="utf-8")  # with a BOM
    res = cli("--model", str(model_path), str(a), str(b), "--output-format", "jsonl", "--quiet")
    assert res.returncode == 0, res.stderr.decode()
    rows = [json.loads(line) for line in res.stdout.decode().splitlines()]
    assert len(rows) == 5 and list(rows[0]) == pred.columns
    expected = pred.predict(["first line", "", "last line without newline", "you stupid idiot", ""])
    assert np.allclose(pd.DataFrame(rows)[pred.names], expected[pred.names], atol=1e-5)
    assert all(isinstance(r["any_flag"], int) for r in rows)


def test_cli_non_utf8_error_and_replace(pred: predict.Predictor, model_path: Path, tmp_path: Path, capsys, monkeypatch):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("ok\nfine\ncaf\xe9 au lait\n".encode("latin-1"))
    code, out, err = run_main(["--model", str(model_path), str(bad)], b"", capsys, monkeypatch)
    assert code == 2 and "latin1.txt: line 3" in err and "not valid UTF-8" in err and "--errors replace" in err
    code, out, _ = run_main(["--model", str(model_path), "--errors", "replace", str(bad)], b"", capsys, monkeypatch)
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 3
    code, _, err = run_main(["--model", str(model_path)], b"a\n\xff\n", capsys, monkeypatch)
    assert code == 2 and "<stdin>: line 2" in err


@pytest.mark.parametrize(
    "line, why",
    [("{not json", "invalid JSON"), ('{"txt": "x"}', '"text" field'), ('{"text": 3}', '"text" field'), ("", "JSON")],
)
def test_cli_bad_jsonl_line(pred: predict.Predictor, model_path: Path, capsys, monkeypatch, line: str, why: str):
    stdin = f'{{"text": "fine"}}\n{line}\n'.encode()
    code, _, err = run_main(["--model", str(model_path), "--format", "jsonl"], stdin, capsys, monkeypatch)
    assert code == 2 and "<stdin>: line 2" in err and why in err


def test_cli_empty_input_gives_header_only(pred: predict.Predictor, model_path: Path, capsys, monkeypatch):
    code, out, _ = run_main(["--model", str(model_path)], b"", capsys, monkeypatch)
    assert code == 0 and out.splitlines() == [",".join(pred.columns)]


def test_cli_bad_model_files(model_path: Path, tmp_path: Path, capsys, monkeypatch):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": 1}, foreign)
    res = cli("--model", str(foreign), stdin=b"hello\n")
    err = res.stderr.decode()
    assert res.returncode == 2 and res.stdout == b"" and len(err.strip().splitlines()) == 1
    assert "not a toxic-small" in err and "Traceback" not in err
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(model_path.read_bytes()[:300])
    text = tmp_path / "notes.pt"
    text.write_text("just some text\n")
    cases = [(tmp_path / "missing.pt", "not found"), (corrupt, "corrupt"), (text, "corrupt"), (tmp_path, "not found")]
    for path, why in cases:
        code, out, err = run_main(["--model", str(path)], b"hello\n", capsys, monkeypatch)
        assert code == 2 and out == "" and why in err and len(err.strip().splitlines()) == 1, (path, err)


class _SideEffect:
    """Pickles as a call to Path.touch(target): what a crafted model file could ask the unpickler to do."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def test_crafted_checkpoint_runs_no_code(model_path: Path, tmp_path: Path, capsys, monkeypatch):
    """A checkpoint whose pickle would call a function is refused by the API and the CLI before anything runs."""
    marker = tmp_path / "side_effect_happened"
    doc = torch.load(model_path, weights_only=True)
    doc["meta"] = {"payload": _SideEffect(marker)}  # a valid file in every other respect
    evil = tmp_path / "evil.pt"
    torch.save(doc, evil)
    for loader in (checkpoint.load, predict.load):
        with pytest.raises(checkpoint.CheckpointError, match="not a valid checkpoint"):
            loader(evil)
    code, out, err = run_main(["--model", str(evil)], b"hello\n", capsys, monkeypatch)
    assert code == 2 and out == "" and "not a valid checkpoint" in err and len(err.strip().splitlines()) == 1
    res = cli("--model", str(evil), stdin=b"hello\n")
    assert res.returncode == 2 and "not a valid checkpoint" in res.stderr.decode()
    assert "Traceback" not in res.stderr.decode()
    assert not marker.exists()


def test_inconsistent_derived_labels(model_path: Path, tmp_path: Path):
    model, tok, _ = checkpoint.load(model_path)
    bad = tmp_path / "bad_derived.pt"
    checkpoint.save(bad, model, tok, LABELS, THRESHOLDS, derived={"hate": ["hd", "nope"]})
    with pytest.raises(checkpoint.CheckpointError, match="derived"):
        predict.load(bad)


def test_word_tokenizer_glove_model(tmp_path: Path):
    words = [PAD, UNK, "nice", "weather", "idiot", "stupid", "zorblax"]
    tok = WordTokenizer(words, n_oov=1, max_len=16)
    glove = GloveEmbedding(np.random.default_rng(0).normal(size=(len(words), 6)), "frozen+oov", tok.trainable_ids)
    model = Encoder(ModelConfig(vocab_size=len(words), n_labels=3, d_model=8, d_ff=16, max_len=16, emb_dim=6), glove)
    path = tmp_path / "glove.pt"
    checkpoint.save(path, model.eval(), tok, LABELS, THRESHOLDS)  # no derived labels in meta
    pred = predict.load(path)
    df = pred.predict(["nice weather", "", "stupid zorblax idiot " * 20])
    assert pred.names == LABELS and list(df.columns) == [*LABELS, *(f"{n}_flag" for n in LABELS)] and len(df) == 3
    # A file that names its dataset but not its derived labels gets the dataset's (as older notebooks saved them).
    checkpoint.save(path, model.eval(), tok, LABELS, THRESHOLDS, dataset="ghc", derived_thresholds={"hate": 0.4})
    assert predict.load(path).names == [*LABELS, "hate", "any"]


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.pt")), ids=lambda p: p.name)
def test_saved_models_load_and_predict(path: Path):
    pred = predict.load(path)
    df = pred.predict(["have a lovely day", "", "you are a disgusting idiot and should die"])
    assert list(df.columns) == pred.columns and len(df) == 3
    assert df[pred.names].apply(lambda c: c.between(0, 1)).all().all()


def test_glove_model_with_corpus_columns_round_trips(tmp_path: Path):
    words = [PAD, UNK, "nice", "weather", "idiot", "stupid", "zorblax"]
    tok = WordTokenizer(words, n_oov=1, max_len=16)
    rng = np.random.default_rng(0)
    glove = GloveEmbedding(
        rng.normal(size=(len(words), 6)), "frozen+oov", tok.trainable_ids, corpus=rng.normal(size=(7, 2))
    )
    model = Encoder(ModelConfig(vocab_size=len(words), n_labels=3, d_model=8, d_ff=16, max_len=16, emb_dim=8), glove)
    path = tmp_path / "glove_corpus.pt"
    checkpoint.save(path, model.eval(), tok, LABELS, THRESHOLDS)
    back, _, _ = checkpoint.load(path)
    x = torch.tensor([[2, 3, 6, 0]])  # (B, T)
    torch.testing.assert_close(back(x), model(x))
    assert back.embed.spec["corpus_dim"] == 2


def test_readme_cli_example_matches_the_committed_model():
    """docs/serving.md's command-line example shows real output of models/bestresult_ghc.pt: rerun it and compare."""
    import re

    readme, path = (ROOT / "docs" / "serving.md").read_text(), ROOT / "models" / "bestresult_ghc.pt"
    if not path.is_file():
        pytest.skip("models/bestresult_ghc.pt absent")
    m = re.search(
        r"printf '([^']*)' \\\n\s*\| python -m src\.apps\.predict --model (\S+)\n```\n\n```text\n(.*?)```",
        readme,
        re.S,
    )
    assert m, "docs/serving.md's predict example (printf ... | python -m src.apps.predict) not found"
    res = cli("--model", str(ROOT / m.group(2)), stdin=m.group(1).replace("\\n", "\n").encode())
    assert res.returncode == 0, res.stderr.decode()
    shown, got = (pd.read_csv(io.StringIO(t)) for t in (m.group(3), res.stdout.decode()))
    assert list(shown.columns) == list(got.columns) and len(shown) == len(got)
    assert np.allclose(shown.to_numpy(dtype=float), got.to_numpy(dtype=float), atol=1e-6), (
        "docs/serving.md example is stale"
    )
