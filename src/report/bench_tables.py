"""REPORT.md's bench section from results/bench.json (`make bench`): one table per input, the Dask job, the goals."""

from __future__ import annotations

import json
from pathlib import Path

from src.report.markdown import NOT_RUN, bench_cell, dig, md_table

CORPORA = ("stormfront", "implicit_hate")  # the Transfer notebook's corpora, evaluation halves


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


def _quality_row(name: str, q: dict, labels: list[str]) -> list:
    """GHC test AUC per label (peers: their one score against each), then `hate` in and out of domain."""
    row = [name, *(dig(q, "test_roc_auc", lab) for lab in labels), dig(q, "in_domain", "auc", "hate", "value")]
    for c in CORPORA:
        row += [
            dig(q, "cross_corpus", c, "auc", "hate", "value"),
            dig(q, "cross_corpus", c, "not_hate_flag_rate", "value"),
        ]
    return row


def _peers(doc: dict, directory: Path) -> str:
    """Installed peers' quality (bench.json) beside TF-IDF + LR and the saved default model (results/Transfer.json)."""
    peers = {k: m["peer_quality"] for k, m in doc["models"].items() if "peer_quality" in m}
    absent = "; ".join(f"{k}: {why}" for k, why in (doc.get("peers_absent") or {}).items())
    if not peers:
        return f"**Peers**: none measured ({absent or 'this bench.json predates them'})."
    labels = ["hd", "cv", "vo"]
    rows = [_quality_row(k, q, labels) for k, q in peers.items()]
    transfer_path = directory / "Transfer.json"
    if transfer_path.is_file():
        transfer = json.loads(transfer_path.read_text())
        for k in dict.fromkeys(["tfidf_lr", transfer.get("best")]):
            if k in transfer.get("models", {}):
                rows.append(_quality_row(f"{k} (Transfer.json)", transfer["models"][k], labels))
    head = ["model", *(f"GHC test AUC {lab}" for lab in labels), "GHC test AUC hate"]
    head += [h for c in CORPORA for h in (f"{c} AUC hate", f"{c} not-hate flagged")]
    intro = (
        "**Peers** (what users would pick instead; speed rows above): one score read against every GHC label, and as "
        "the `hate` score on each corpus' evaluation half, flagged at a threshold tuned on GHC validation; our rows "
        f"from the Transfer notebook.{' Not installed: ' + absent if absent else ''}\n\n"
    )
    return intro + md_table(head, rows)


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
    parts = [intro + _ghc(models), _long(models, doc.get("synthetic_size")), _peers(doc, directory)]
    parts.append(_dask(doc.get("dask")))
    return "\n\n".join([*parts, md_table(["goal", "value", "target", "met"], goals)])
