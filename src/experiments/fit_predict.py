"""Notebook glue: timed fit/predict of any fit/predict_proba model, and side-by-side split tables."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from src.data.datasets import Splits, label_matrix
from src.evaluation.metrics import eight_row_table


@dataclass
class Run:
    """One fitted model with its probabilities and speed."""

    model: object  # anything with fit(texts, y) and predict_proba(texts)
    p_val: np.ndarray  # (N_val, L) probabilities, LABELS order
    p_test: np.ndarray  # (N_test, L) probabilities, LABELS order
    fit_seconds: float  # wall time of fit on the train split
    comments_per_second: float  # test-set prediction throughput, single process


def fit_predict(model, splits: Splits) -> Run:
    """Fit on train, predict validation and test, timing fit and test prediction."""
    labels = list(splits.spec.labels)
    t0 = time.perf_counter()
    model.fit(list(splits.train["text"]), label_matrix(splits.train, labels).astype(int))
    fit_s = time.perf_counter() - t0
    p_val = model.predict_proba(list(splits.val["text"]))
    t0 = time.perf_counter()
    p_test = model.predict_proba(list(splits.test["text"]))
    pred_s = time.perf_counter() - t0
    return Run(model, p_val, p_test, fit_s, len(splits.test) / max(pred_s, 1e-9))


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
            "fit_seconds": round(r.fit_seconds, 1),
            "comments_per_second": round(r.comments_per_second),
            "params": params[name],
            "size_MB": round(sizes[name] / 1e6, 1),
        }
        for name, r in runs.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")
