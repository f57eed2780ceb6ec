"""REPORT.md's bench section from results/bench.json (`make bench`): one table per input, the Dask job, the goals."""

from __future__ import annotations

import json
from pathlib import Path

from src.report.markdown import NOT_RUN, bench_cell, md_table


def _rows(models: dict[str, dict], keys: list[str]) -> list[list]:
    return [[name, m.get("backend")] + [bench_cell(m.get(k)) for k in keys] for name, m in models.items()]


def _ghc(models: dict[str, dict]) -> str:
    """GHC test comments: size, AUC, batch 256 and batch 1."""
    keys = ["params", "size_bytes", "test_macro_roc_auc", "ghc_test_batch256_per_s", "ghc_test_batch256_1thread_per_s"]
    keys += ["batch1_per_s", "latency_ms_p50", "latency_ms_p99", "peak_rss_mb"]
    head = ["model", "backend", "params", "bytes", "test AUC", "GHC test /s (b256)", "same, 1 thread"]
    head += ["/s (batch 1)", "p50 ms", "p99 ms", "peak RSS MB"]
    return "**GHC test** (all inputs, whole process):\n\n" + md_table(head, _rows(models, keys))


def _long(models: dict[str, dict], n) -> str:
    """The synthetic long-comment input: batch 256, batch 1, and the serving process's memory while scoring it."""
    keys = ["synthetic_batch256_per_s", "synthetic_batch1_per_s", "synthetic_latency_ms_p50"]
    keys += ["synthetic_latency_ms_p99", "synthetic_batch256_peak_rss_mb", "torch_imported"]
    head = ["model", "backend", "/s (b256)", "/s (batch 1)", "p50 ms", "p99 ms", "peak RSS MB after b256"]
    head += ["torch imported"]
    return f"**Synthetic long comments** ({n} rows):\n\n" + md_table(head, _rows(models, keys))


def _dask(d: dict | None) -> str:
    """One row: the Dask batch job on generated Parquet."""
    if not d:
        return "**Dask job**: not run."
    s = d["summary"]
    cells = [d["rows"], d["partitions"], d["workers"], d["memory_limit"], d["wall_s"], d["rows_per_s"]]
    cells += [s["rows_in"], s["rows_out"], d["ids_equal"], d["duplicate_ids_out"], d["max_worker_peak_rss_mb"]]
    head = ["rows", "partitions", "workers", "limit/worker", "wall s", "rows/s", "rows_in", "rows_out"]
    head += ["ids equal", "duplicate ids", "max worker peak RSS MB"]
    intro = "**Dask job** (`src.serving.batch`, ONNX fp32 bundle of baseattention, 1 thread per worker):\n\n"
    return intro + md_table(head, [[bench_cell(c) for c in cells]])


def table_bench(directory: Path) -> str:
    """results/bench.json (`make bench`): speed, latency and memory side by side, then the computed goals."""
    path = directory / "bench.json"
    if not path.is_file():
        return NOT_RUN
    doc = json.loads(path.read_text())
    models = doc["models"]
    goals = [[k, bench_cell(g.get("value")), g.get("target"), g.get("met")] for k, g in doc.get("goals", {}).items()]
    intro = (
        f"Dataset {doc.get('dataset')}; threads {doc.get('threads')}; synthetic input: "
        f"{doc.get('synthetic_size')} comments ({doc.get('synthetic')}). Throughput: {doc.get('throughput')}. "
        f"Memory: {doc.get('memory_method')}.\n\n"
    )
    parts = [intro + _ghc(models), _long(models, doc.get("synthetic_size")), _dask(doc.get("dask"))]
    return "\n\n".join([*parts, md_table(["goal", "value", "target", "met"], goals)])
