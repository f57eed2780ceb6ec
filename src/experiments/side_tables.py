"""REPORT.md tables from the files beside the notebooks' results: bench.json, Behaviour.json, scale_jigsaw_proxy.json."""

from __future__ import annotations

import json
from pathlib import Path

from src.experiments.markdown import NOT_RUN, bench_cell, dig, md_table


def table_bench(directory: Path) -> str:
    """results/bench.json (`make bench`): speed, latency and memory side by side, then the computed goals."""
    path = directory / "bench.json"
    if not path.is_file():
        return NOT_RUN
    doc = json.loads(path.read_text())
    keys = ["params", "size_bytes", "test_macro_roc_auc", "ghc_test_batch256_per_s", "ghc_test_batch256_1thread_per_s"]
    keys += ["synthetic_batch256_per_s", "batch1_per_s", "latency_ms_p50", "latency_ms_p99", "peak_rss_mb"]
    rows = [[name] + [bench_cell(m.get(k)) for k in keys] for name, m in doc["models"].items()]
    head = ["model", "params", "bytes", "test AUC", "GHC test /s (b256)", "same, 1 thread", "synthetic /s (b256)"]
    head += ["/s (batch 1)", "p50 ms", "p99 ms", "peak RSS MB"]
    goals = [[k, bench_cell(g.get("value")), g.get("target"), g.get("met")] for k, g in doc.get("goals", {}).items()]
    intro = (
        f"Dataset {doc.get('dataset')}; torch threads {doc.get('threads')}; synthetic input: "
        f"{doc.get('synthetic_size')} comments ({doc.get('synthetic')}). Memory: {doc.get('memory_method')}.\n\n"
    )
    return intro + md_table(head, rows) + "\n\n" + md_table(["goal", "value", "target", "met"], goals)


def table_behaviour(directory: Path) -> str:
    """results/Behaviour.json: held-out functional-suite scores of every saved model and TF-IDF, then the goals."""
    path = directory / "Behaviour.json"
    if not path.is_file():
        return NOT_RUN
    doc = json.loads(path.read_text())
    split, auc_key = doc.get("split", "heldout"), f"{doc['dataset']}_test_macro_auc"
    rows = []
    for name, m in doc["models"].items():
        s = m[split]
        cells = [s["accuracy"], s["hate_accuracy"], s["identity_fpr"]["overall"], s["spelling_gap"], m.get(auc_key)]
        rows.append([name + (" *" if name == doc["best"] else ""), *cells])
    head = ["model", f"{split} accuracy", "hate-flag accuracy", "identity FPR", "spelling gap", "test ROC AUC macro"]
    funcs = doc["suite"]["functionalities"]
    per = [[f, *[dig(m, split, "by_functionality", f) for m in doc["models"].values()]] for f in funcs]
    goals = [[k, bench_cell(g.get("value")), g.get("target"), g.get("met")] for k, g in doc.get("goals", {}).items()]
    intro = (
        f"Dataset {doc['dataset']}; suite: {doc['suite']['n_cases']} cases, {doc['suite']['n_heldout']} held out "
        f"(groups never used for training: {', '.join(doc['suite']['groups']['heldout'])}). `*` = the default model.\n\n"
    )
    return "\n\n".join(
        [
            intro + md_table(head, rows),
            md_table(["functionality", *doc["models"]], per),
            md_table(["goal", "value", "target", "met"], goals),
        ]
    )


def table_scale(directory: Path) -> str:
    """results/scale_jigsaw_proxy.json (`make scale`): wall time and peak memory per notebook on the proxy."""
    path = directory / "scale_jigsaw_proxy.json"
    if not path.is_file():
        return NOT_RUN
    doc = json.loads(path.read_text())
    rows = [
        [nb, t["wall_seconds"], t.get("peak_rss_mb"), bench_cell(t.get("train_rows_per_s"))]
        for nb, t in doc["notebooks"].items()
    ]
    r = doc["rows"]
    intro = (
        f"Proxy rows: train {r['train']:,}, test {r['test']:,} ({r['test_scored']:,} scored); {doc['cores']} cores, "
        f"device {doc['device']}. Total {doc['total_wall_seconds']:.0f} s; limits met: {doc['limits']}.\n\n"
    )
    return intro + md_table(["notebook", "wall seconds", "peak RSS MB", "training rows/s (saved model)"], rows)
