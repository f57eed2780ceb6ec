"""Notebook tables: the report's 8 rows side by side, speed and sweep rows, seeds, and results-file summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from src.common.results import read_results
from src.evaluation.metrics import eight_row_table
from src.studies.runs import Run

# What the user's report gave for its best model (GloVe-50d transformer) on Jigsaw 2018; NaN = not reported.
REPORT_JIGSAW = {"f1 micro": 0.69, "f1 macro": 0.42, "threat f1": 0.00, "identity_hate f1": 0.00}


def eight_rows_both(scores: dict) -> pd.DataFrame:
    """The report's 8-row table for validation and test side by side."""
    return pd.concat({split: eight_row_table(scores[split]) for split in ("validation", "test")}, axis=1)


def hard_label_auc(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float], labels: list[str]) -> dict[str, float]:
    """ROC AUC computed from 0/1 predictions instead of probabilities (what the report appears to have done)."""
    y = np.asarray(y).astype(int)
    hard = (np.asarray(p) >= np.array([thresholds[n] for n in labels])).astype(int)
    per = [roc_auc_score(y[:, j], hard[:, j]) if 0 < y[:, j].sum() < len(y) else np.nan for j in range(len(labels))]
    return {"micro": float(roc_auc_score(y.ravel(), hard.ravel())), "macro": float(np.nanmean(per))}


def speed_table(runs: dict[str, Run], sizes: dict[str, int], params: dict[str, int]) -> pd.DataFrame:
    """Fit time, prediction throughput, parameter count and size on disk per model."""
    rows = {
        name: {
            "fit_seconds": round(r.train_seconds, 1),
            "comments_per_second": round(r.comments_per_second or 0.0),
            "params": params[name],
            "size_MB": round(sizes[name] / 1e6, 1),
        }
        for name, r in runs.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def sweep_row(run: Run) -> dict:
    """One sweep-table row of an encoder run: params, best validation AUC, epochs, seconds per epoch."""
    c = run.params
    return {
        "params": c["total"],
        "embedding": c["embedding"],
        "trainable": c["trainable"],
        "val_macro_auc": round(run.history.best_auc, 4),
        "best_epoch": run.history.best_epoch + 1,
        "s_per_epoch": round(run.history.seconds_per_epoch, 1),
    }


def seed_table(scores: dict[int, dict]) -> pd.DataFrame:
    """Columns = seeds (+ mean, std): val/test macro AUC, test per-label AUC and tuned F1, derived F1."""
    t = pd.DataFrame(
        {
            s: {
                "val macro AUC": x["validation"]["roc_auc"]["macro"],
                "test macro AUC": x["test"]["roc_auc"]["macro"],
                **{f"test {k} AUC": v for k, v in x["test"]["roc_auc"]["per_label"].items()},
                **{f"test {k} F1 (tuned)": v["f1"] for k, v in x["test"]["at_tuned"]["per_label"].items()},
                **{f"test {k} F1 (derived)": d["f1_at_tuned"] for k, d in x["test"]["derived"].items()},
            }
            for s, x in scores.items()
        }
    )
    t["mean"], t["std"] = t.mean(axis=1), t.std(axis=1, ddof=1)
    return t


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
