"""Side-by-side summary rows: the report's published Jigsaw numbers and our results files."""

from __future__ import annotations

import pandas as pd

from src.experiments.results import read_results

# What the user's report gave for its best model (GloVe-50d transformer) on Jigsaw 2018; NaN = not reported.
REPORT_JIGSAW = {"f1 micro": 0.69, "f1 macro": 0.42, "threat f1": 0.00, "identity_hate f1": 0.00}


def summary_row(m: dict, dataset: str, at: str = "at_tuned", split: str = "test") -> dict:
    """One row: dataset, macro/micro F1, macro ROC AUC and per-label F1 of one results-file model entry."""
    s = m[split]
    row = {"dataset": dataset, "f1 micro": s[at]["f1"]["micro"], "f1 macro": s[at]["f1"]["macro"]}
    row["roc_auc macro"] = s["roc_auc"]["macro"]
    row.update({f"{k} f1": v["f1"] for k, v in s[at]["per_label"].items()})
    row.update({f"{k} f1 (derived)": d["f1_at_tuned"] for k, d in s.get("derived", {}).items()})
    row["params"] = m["params"]["total"]
    return row


def best_row(notebook: str) -> tuple[str, dict | None, str]:
    """(row name, summary row of that notebook's best model or None, note) — absent files give a note, not an error."""
    try:
        doc = read_results(notebook)
    except FileNotFoundError:
        return notebook, None, f"results/{notebook}.json not found (notebook not run yet)"
    name = f"{notebook}: {doc['best']}"
    return name, summary_row(doc["models"][doc["best"]], doc["dataset"]), ""


def side_by_side(rows: dict[str, dict]) -> pd.DataFrame:
    """Rows (name -> summary row) as one table, columns in a stable order."""
    df = pd.DataFrame.from_dict(rows, orient="index")
    first = [c for c in ("dataset", "params", "roc_auc macro", "f1 micro", "f1 macro") if c in df]
    return df[first + [c for c in df.columns if c not in first]].round(3)
