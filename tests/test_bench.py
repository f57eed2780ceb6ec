"""The benchmark runs end to end in --quick mode on the GHC fixture and writes the expected keys."""

from __future__ import annotations

import json

from src.data.datasets import load_splits
from src.data.tokenizers import BPETokenizer
from src.evaluation.bench import run, synthetic_comments
from src.experiments.runs import encode, train_run
from src.models.encoder import ModelConfig
from src.serving import checkpoint
from src.training.loop import TrainConfig

ROW_KEYS = {
    "params",
    "size_bytes",
    "ghc_test_batch256_per_s",
    "synthetic_batch256_per_s",
    "batch1_per_s",
    "latency_ms_p50",
    "latency_ms_p99",
    "peak_rss_mb",
    "rss_model_load_mb",
    "batch1_1thread_per_s",
    "test_macro_roc_auc",
}


def test_synthetic_comments_lengths():
    texts = synthetic_comments(500, ["a b c d", "e f g"], seed=1)
    n = [len(t.split()) for t in texts]
    assert len(texts) == 500 and min(n) >= 1 and 20 < float(sorted(n)[250]) < 60


def test_bench_quick_on_fixture(toxic_env):
    from tests.fixtures import write_ghc

    write_ghc(toxic_env["data"])
    splits = load_splits("ghc")
    tok = BPETokenizer.train(list(splits.train["text"]), 300)
    data = encode(tok, splits)
    cfg = ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=8, d_ff=16)
    run_ = train_run(data, cfg, TrainConfig(epochs=1))
    checkpoint.save(
        toxic_env["models"] / "baseattention_ghc.pt",
        run_.model,
        tok,
        ["hd", "cv", "vo"],
        {"hd": 0.5, "cv": 0.5, "vo": 0.5},
    )
    out = run("ghc", synthetic_size=300, quick=True)
    doc = json.loads(out.read_text())
    assert {"dataset", "threads", "memory_method", "synthetic_size", "models", "goals"} <= set(doc)
    assert doc["threads"] == 2 and doc["quick"] is True
    assert {"tfidf_lr", "baseattention_fp32", "baseattention_int8"} <= set(doc["models"])
    for name, row in doc["models"].items():
        assert ROW_KEYS <= set(row), name
        assert row["size_bytes"] > 0 and row["ghc_test_batch256_per_s"] > 0
    assert doc["models"]["baseattention_int8"]["size_bytes"] < doc["models"]["baseattention_fp32"]["size_bytes"]
    assert {"tiny_ghc_test_ge_5000_per_s", "tiny_ghc_test_ge_2x_tfidf", "int8_auc_loss_le_0.005"} <= set(doc["goals"])
    assert all({"value", "target", "met"} <= set(g) for g in doc["goals"].values())


def test_pareto_front():
    from src.evaluation.compress import pareto_front

    xs, ys = [1.0, 2.0, 3.0, 4.0], [0.5, 0.7, 0.6, 0.8]
    assert pareto_front(xs, ys) == [0, 1, 3]  # smaller is better on x
    assert pareto_front(xs, ys, bigger_x=True) == [3]
