"""The benchmark runs end to end in --quick mode on the GHC fixture and writes the expected keys."""

from __future__ import annotations

import json

from src.apps import bench_peers
from src.apps.bench import run, synthetic_comments
from src.data.datasets import load_splits
from src.data.tokenizers import BPETokenizer
from src.models.encoder import ModelConfig
from src.serving import checkpoint
from src.studies.runs import encode, train_run
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
    "backend",
    "synthetic_batch1_per_s",
    "synthetic_latency_ms_p50",
    "synthetic_latency_ms_p99",
    "synthetic_batch256_peak_rss_mb",
}
ONNX = ("baseattention_onnx_fp32", "baseattention_onnx_int8")
PEERS = set(bench_peers.PEERS)
SERVING_GOALS = {
    "onnx_ge_2x_torch_long",
    "onnx_serving_rss_lt_300mb",
    "onnx_int8_auc_change_le_0.002",
    "dask_10m_rows_exact",
    "dask_worker_rss_lt_1gib",
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
        peer = name in PEERS  # installed (requirements-peers.txt): one score, so its own quality record
        assert ROW_KEYS - ({"test_macro_roc_auc"} if peer else set()) <= set(row), name
        assert row["size_bytes"] > 0 and row["ghc_test_batch256_per_s"] > 0
        assert not peer or 0 <= row["peer_quality"]["test_roc_auc"]["hate"] == row["test_hate_roc_auc"] <= 1
    assert set(doc["peers_absent"]) | {n for n in doc["models"] if n in PEERS} == set(PEERS)
    assert doc["models"]["baseattention_int8"]["size_bytes"] < doc["models"]["baseattention_fp32"]["size_bytes"]
    assert {"tiny_ghc_test_ge_5000_per_s", "tiny_ghc_test_ge_2x_tfidf", "int8_auc_loss_le_0.005"} <= set(doc["goals"])
    assert all({"value", "target", "met"} <= set(g) for g in doc["goals"].values())
    _check_serving(doc)


def _check_serving(doc: dict) -> None:
    """ONNX rows measured without torch, their goals, and the quick Dask job (exact, but far below 10M rows)."""
    models, g = doc["models"], doc["goals"]
    assert set(ONNX) <= set(models) and SERVING_GOALS <= set(g)
    for name in ONNX:
        row = models[name]
        assert row["backend"] == "onnxruntime" and row["torch_imported"] is False, name
        assert 0 < row["synthetic_batch256_peak_rss_mb"] <= row["peak_rss_mb"] and 0 <= row["test_macro_roc_auc"] <= 1
    fp32, int8 = models["baseattention_onnx_fp32"], models["baseattention_onnx_int8"]
    assert abs(fp32["test_macro_roc_auc"] - models["baseattention_fp32"]["test_macro_roc_auc"]) < 1e-4
    assert int8["size_bytes"] < fp32["size_bytes"] and fp32["params"] == models["baseattention_fp32"]["params"]
    assert g["onnx_int8_auc_change_le_0.002"]["value"] >= 0 and g["onnx_ge_2x_torch_long"]["value"] > 0
    assert g["onnx_serving_rss_lt_300mb"]["torch_imported"] is False
    for name in ("baseattention_fp32", "baseattention_onnx_fp32"):  # the tokenise / model split of both backends
        split = models[name]["synthetic_split"]
        assert split["rows"] == 300 and split["tokenise_s"] > 0 and split["model_s"] > 0, name
    assert (
        0 < g["onnx_ge_2x_torch_long"]["onnx_tokenise_share"] < 1 and g["onnx_ge_2x_torch_long"]["model_calls_only"] > 0
    )
    dask = doc["dask"]
    assert dask["rows"] == 20_000 and 20 <= dask["partitions"] <= 40 and dask["workers"] == 2
    assert dask["summary"]["rows_in"] == dask["summary"]["rows_out"] == dask["rows_in_files"] == 20_000
    assert dask["ids_equal"] is True and dask["duplicate_ids_out"] == 0 and dask["exact"] is True
    exact = g["dask_10m_rows_exact"]
    assert exact["met"] is False and exact["value"] == 20_000 and exact["rows_in"] == exact["rows_out"] == 20_000
    assert exact["ids_equal"] is True and 0 < g["dask_worker_rss_lt_1gib"]["value"] == dask["max_worker_peak_rss_mb"]


def test_bench_table_renders(tmp_path):
    from src.report.bench_tables import table_bench

    assert table_bench(tmp_path) == "(not run yet)"
    doc = {"dataset": "ghc", "models": {"m": {"backend": "torch", "params": 5}}, "goals": {}, "dask": None}
    (tmp_path / "bench.json").write_text(json.dumps(doc))
    text = table_bench(tmp_path)
    assert "| m | torch | 5 |" in text and "**Dask job**: not run." in text


def test_pareto_front():
    from src.evaluation.compress import pareto_front

    xs, ys = [1.0, 2.0, 3.0, 4.0], [0.5, 0.7, 0.6, 0.8]
    assert pareto_front(xs, ys) == [0, 1, 3]  # smaller is better on x
    assert pareto_front(xs, ys, bigger_x=True) == [3]
