"""Regenerate REPORT.md's tables from results/*.json (text outside the markers is left untouched).

python -m src.report.render [--wall-seconds N] [--results DIR] [--report PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from src import ROOT
from src.common.results import results_dir, write_json
from src.report.bench_tables import table_bench
from src.report.markdown import NOT_RUN, dig, fill, fmt3, md_table, size_mb
from src.report.published import published_rows
from src.report.side_tables import table_behaviour, table_scale

NOTEBOOKS = ("LookAtData", "baseline", "Teacher", "BaseAttention", "BestResult", "Shrink")  # table order
# The report's own numbers (Jigsaw 2018), transcribed once in src.report.published: not reproducible here.
PUBLISHED = published_rows()


def load_all(directory: Path) -> dict[str, dict | None]:
    """Each known notebook's results file, or None where it has not been run (or cannot be parsed)."""
    out: dict[str, dict | None] = {}
    for nb in NOTEBOOKS:
        path = directory / f"{nb}.json"
        try:
            out[nb] = json.loads(path.read_text()) if path.is_file() else None
        except json.JSONDecodeError:
            out[nb] = None
    return out


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


def table_headline(docs: dict[str, dict | None]) -> str:
    """Each notebook's best model: size and test macro ROC AUC (mean +- std over seeds where recorded)."""
    rows = []
    for nb, doc in docs.items():
        best = dig(doc, "models", dig(doc, "best"))
        if not best or best.get("skipped"):
            continue
        auc = fmt3(dig(best, "test", "roc_auc", "macro"))
        spread = _spread(best.get("seeds") or {})
        hate_f1 = fmt3(dig(best, "test", "derived", "hate", "f1_at_tuned"))
        size = size_mb(best.get("size_bytes"))
        rows.append([nb, doc["best"], doc.get("dataset"), dig(best, "params", "total"), size, auc, spread, hate_f1])
    if not rows:
        return NOT_RUN
    head = ["notebook", "best model", "dataset", "params", "size", "test ROC AUC macro (saved seed / run)"]
    head += ["over seeds: mean ± std", "test hate F1 (tuned)"]
    return md_table(head, rows)


def table_per_label(docs: dict[str, dict | None]) -> str:
    """Test ROC AUC and tuned F1 per label for each notebook's best model."""
    rows, labels = [], None
    for nb, doc in docs.items():
        best = dig(doc, "models", dig(doc, "best"))
        if not best:
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


def table_published() -> str:
    """The report's own Jigsaw numbers (src.report.published), labelled as such."""
    return "**report (Jigsaw, as published)** — not reproduced here:\n\n" + md_table(
        ["notebook", "what the report says"], [list(r) for r in PUBLISHED]
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


def render(report: Path, directory: Path, wall_seconds: int | None = None) -> str:
    """Fill every table of `report` from the results files in `directory`; writes and returns the text."""
    docs = load_all(directory)
    tables = {
        "data": table_data(docs["LookAtData"]),
        "headline": table_headline(docs),
        "models": table_models(docs),
        "per_label": table_per_label(docs),
        "published": table_published(),
        "time": table_time(directory, wall_seconds),
        "bench": table_bench(directory),
        "behaviour": table_behaviour(directory),
        "scale": table_scale(directory),
    }
    text = report.read_text()
    for name, body in tables.items():
        text = fill(text, name, body)
    report.write_text(text)
    return text


def main() -> None:
    """CLI: regenerate REPORT.md from results/."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wall-seconds", type=int, default=None, help="wall time of `make report`, stored and shown")
    ap.add_argument(
        "--results", type=Path, default=None, help="results folder (default: $TOXIC_RESULTS_DIR or results/)"
    )
    ap.add_argument("--report", type=Path, default=ROOT / "REPORT.md")
    a = ap.parse_args()
    render(a.report, a.results or results_dir(), a.wall_seconds)
    print(f"updated {a.report}")


if __name__ == "__main__":
    main()
