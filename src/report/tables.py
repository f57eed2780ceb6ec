"""REPORT.md's tables built from the results files: the headline against the report's Jigsaw numbers, the data,
every model, per label, and the run times."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from src.common.results import write_json
from src.report import published as pub
from src.report.markdown import NOT_RUN, dig, fmt3, md_table, size_mb

# Our counterpart of each of the report's models: (notebook, model record, bench.json row for speed).
OURS = {
    "baseline": ("baseline", None, "tfidf_lr"),
    "BaseAttention": ("BaseAttention", "best_single", "baseattention_fp32"),
}
OURS["BestResult"] = ("BestResult", None, "bestresult_glove")


def saved_entry(docs: dict, notebook: str) -> tuple[str, dict] | None:
    """(name, record) of the model a notebook saves: its best, BaseAttention's single model, BestResult's checkpoint."""
    doc = docs.get(notebook)
    if not doc:
        return None
    name = OURS[notebook][1] or doc["best"]
    if notebook == "BestResult":  # the blend is best on validation; the file it saves is the distilled single model
        name = next((k for k, m in doc["models"].items() if m.get("teacher") and "x3seeds" not in k), doc["best"])
    return name, doc["models"][name]


def _ours(m: dict, metric: str, at: str) -> float | None:
    path = pub.OUR_PATH[metric]
    return dig(m, "test", *path) if path[0] == "roc_auc" else dig(m, "test", at, *path[1:])


def table_headline(docs: dict) -> str:
    """The report's Jigsaw numbers beside ours (test split) for its three models: 8 metrics, size and speed."""
    cols, head = [], ["metric"]
    for nb, (what, table) in pub.MODELS.items():
        got = saved_entry(docs, nb)
        cols.append((table, got[1] if got else None, OURS[nb][2]))
        head += [f"{what}: report (Jigsaw)", f"ours ({docs[nb]['dataset'] if got else '—'}) at 0.5", "ours, tuned"]
    rows: list[list] = []
    for metric in pub.METRICS:
        row: list = [pub.metric_name(metric)]
        for table, m, _ in cols:
            tuned = None if metric.startswith("roc_auc") else _ours(m, metric, "at_tuned") if m else None
            row += [str(table[metric]) if metric in table else None, _ours(m, metric, "at_0.5") if m else None, tuned]
        rows.append(row)
    bench = (docs.get("bench") or {}).get("models", {})
    for label, key in (("parameters", "params"), ("size on disk", "size_bytes")):
        cells = [
            [None, dig(m, *(["params", "total"] if key == "params" else [key])) if m else None, None]
            for _, m, _ in cols
        ]
        fmt: Callable = size_mb if key == "size_bytes" else (lambda n: f"{n:,}")
        rows.append([label, *[fmt(c) if c else None for cell in cells for c in cell]])
    speed = [[None, dig(bench, b, "ghc_test_batch256_per_s"), None] for *_, b in cols]
    rows.append(["comments/s (2 cores, `make bench`)", *[f"{c:,.0f}" if c else None for cell in speed for c in cell]])
    return md_table(head, rows)


def table_data(doc: dict | None) -> str:
    """Data overview from LookAtData.json: counts and rates per split, all-zero share, length quantiles."""
    if doc is None:
        return NOT_RUN
    rows = []
    for lab in doc["labels"]:
        rows.append([lab, *[dig(doc, "counts", s, lab) for s in ("train", "validation", "test")]])
        rows[-1] += [dig(doc, "rates", s, lab) for s in ("train", "validation", "test")]
    rows.append(["rows", *[dig(doc, "counts", s, "rows") for s in ("train", "validation", "test")], None, None, None])
    head = ["label", "train n", "val n", "test n", "train rate", "val rate", "test rate"]
    q = doc.get("length_quantiles", {})
    lens = "; ".join(f"{tok}: 90% ≤ {v.get('q90', 0):.0f}, 95% ≤ {v.get('q95', 0):.0f} tokens" for tok, v in q.items())
    return (
        f"Dataset: **{doc['dataset']}**. Share of train rows with no label: {doc['all_zero_share']:.3f}.\n"
        f"Comment length ({lens}).\n\n" + md_table(head, rows)
    )


def table_models(docs: dict[str, dict | None]) -> str:
    """One row per model of every results file that has models (best model marked with *)."""
    rows = []
    for nb, doc in docs.items():
        if not doc or not isinstance(doc.get("models"), dict):
            continue
        for name, m in doc["models"].items():
            rows.append(
                [
                    nb,
                    name + (" *" if name == doc.get("best") else ""),
                    doc.get("dataset"),
                    dig(m, "params", "total"),
                    dig(m, "params", "trainable"),
                    size_mb(m.get("size_bytes")),
                    dig(m, "test", "roc_auc", "macro"),
                    dig(m, "test", "at_tuned", "f1", "micro"),
                    dig(m, "test", "at_tuned", "f1", "macro"),
                    dig(m, "test", "derived", "hate", "f1_at_tuned"),
                ]
            )
    if not rows:
        return NOT_RUN
    head = ["notebook", "model", "dataset", "params", "trainable", "size", "test ROC AUC macro"]
    head += ["test F1 micro (tuned)", "test F1 macro (tuned)", "test hate F1 (derived)"]
    return (
        md_table(head, rows)
        + "\n\n`*` = the notebook's best model (picked on validation). F1 at validation-tuned thresholds."
        + " Size — = scored in the notebook but not saved."
    )


def _spread(seeds: dict) -> str:
    """'mean ± std (n=K)' of test macro AUC from a `results.seed_record` (the one shape every notebook stores)."""
    test = seeds.get("test_macro_auc") or {}
    if not test.get("values") or test.get("mean") is None or test.get("std") is None:
        return "—"
    return f"{test['mean']:.3f} ± {test['std']:.3f} (n={len(test['values'])})"


def table_per_label(docs: dict[str, dict | None]) -> str:
    """Test ROC AUC and tuned F1 per label for each notebook's best model."""
    rows: list[list] = []
    labels: list[str] = []
    for nb, doc in docs.items():
        best = dig(doc, "models", dig(doc, "best"))
        if not best or doc is None:
            continue
        labels = labels or doc["labels"]
        cells = [
            f"{fmt3(dig(best, 'test', 'roc_auc', 'per_label', lab))} / {fmt3(dig(best, 'test', 'at_tuned', 'per_label', lab, 'f1'))}"
            for lab in labels
        ]
        rows.append([nb, doc["best"], *cells])
    if not rows:
        return NOT_RUN
    return (
        md_table(["notebook", "best model", *labels], rows)
        + "\n\nEach cell: test ROC AUC / test F1 at the validation-tuned threshold."
    )


def table_time(directory: Path, wall_seconds: int | None) -> str:
    """Wall time of the last full `make report`, stored in results/report_time.json."""
    path = directory / "report_time.json"
    if wall_seconds is not None:
        write_json(path, {"wall_seconds": int(wall_seconds)}, indent=None)
    lines = []
    if path.is_file():
        s = int(json.loads(path.read_text())["wall_seconds"])
        lines.append(f"Last full `make report` (all notebooks, set-up excluded): {s} s ({s / 60:.1f} min).\n")
    times = directory / "notebook_times.json"
    if times.is_file():
        rows = [
            [nb, t["seconds"], t.get("peak_rss_mb"), t.get("threads"), json.dumps(t.get("params", {}))]
            for nb, t in json.loads(times.read_text()).items()
        ]
        head = ["notebook", "last run wall seconds", "peak RSS MB (any process)", "CPU cores", "parameters injected"]
        lines.append(md_table(head, rows))
        total = sum(t["seconds"] for t in json.loads(times.read_text()).values())
        lines.append(f"\nSum of the notebooks' last wall times: {total:.0f} s ({total / 60:.1f} min).")
    return "\n".join(lines) if lines else NOT_RUN
