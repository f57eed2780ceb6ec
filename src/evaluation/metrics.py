"""The report's tables: precision/recall/F1/ROC AUC (micro, macro), per-label reports, tuned thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    precision_recall_fscore_support,
)

from src.common.auc import label_auc


def seed_summary(by_seed: dict) -> dict:
    """{"seeds", "values", "mean", "std"} of one metric over seeds: the one spread every results file stores.

    std is the sample std (ddof=1; 0 for one seed). Keys may be tuples (ensembles of seeds): stored as lists.
    """
    v = [float(x) for x in by_seed.values()]
    seeds = [list(k) if isinstance(k, tuple) else k for k in by_seed]
    return {
        "seeds": seeds,
        "values": v,
        "mean": float(np.mean(v)),
        "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
    }


def _ap(y: np.ndarray, p: np.ndarray) -> float:
    return float(average_precision_score(y, p)) if y.sum() > 0 else float("nan")


def derive(y: np.ndarray, labels: list[str], derived: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """Derived label columns: max over members (OR for 0/1 labels, max probability for scores)."""
    return {name: y[:, [labels.index(m) for m in members]].max(axis=1) for name, members in derived.items()}


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Threshold maximising F1 of one label (ties: the highest threshold); 0.5 if no positives."""
    if y.sum() == 0:
        return 0.5
    prec, rec, thr = precision_recall_curve(y, p)
    f1 = 2 * prec[:-1] * rec[:-1] / np.maximum(prec[:-1] + rec[:-1], 1e-12)
    best = np.flatnonzero(f1 == f1.max())[-1]
    return float(thr[best])


def tune_thresholds(y: np.ndarray, p: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Per-label F1-optimal thresholds. Call on validation only, never on test."""
    return {name: best_f1_threshold(y[:, j], p[:, j]) for j, name in enumerate(labels)}


def _at(y: np.ndarray, p: np.ndarray, labels: list[str], thr: np.ndarray) -> dict:
    pred = (p >= thr).astype(int)
    out: dict = {}
    for avg in ("precision", "recall", "f1"):
        out[avg] = {}
    for avg in ("micro", "macro"):
        pr, rc, f1, _ = precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        out["precision"][avg], out["recall"][avg], out["f1"][avg] = float(pr), float(rc), float(f1)
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, average=None, zero_division=0, labels=range(len(labels)))
    out["per_label"] = {
        name: {"precision": float(pr[j]), "recall": float(rc[j]), "f1": float(f1[j]), "support": int(sup[j])}
        for j, name in enumerate(labels)
    }
    return out


def evaluate(
    y: np.ndarray,
    p: np.ndarray,
    labels: list[str],
    thresholds: dict[str, float],
    derived: dict[str, tuple[str, ...]] | None = None,
    derived_thresholds: dict[str, float] | None = None,
) -> dict:
    """All metrics of one split in the results-file shape `M` (see README: Results files)."""
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=np.float64)
    per_auc = {name: label_auc(y[:, j], p[:, j]) for j, name in enumerate(labels)}
    per_ap = {name: _ap(y[:, j], p[:, j]) for j, name in enumerate(labels)}
    m: dict = {
        "roc_auc": {
            "micro": label_auc(y.ravel(), p.ravel()),
            "macro": float(np.nanmean(list(per_auc.values()))),
            "per_label": per_auc,
        },
        "average_precision": {
            "micro": _ap(y.ravel(), p.ravel()),
            "macro": float(np.nanmean(list(per_ap.values()))),
            "per_label": per_ap,
        },
        "at_0.5": _at(y, p, labels, np.full(len(labels), 0.5)),
    }
    m["at_tuned"] = _at(y, p, labels, np.array([thresholds[n] for n in labels]))
    m["at_tuned"]["thresholds"] = {n: float(thresholds[n]) for n in labels}
    m["derived"] = {}
    if derived:
        dy, dp = derive(y, labels, derived), derive(p, labels, derived)
        for name in derived:
            t = (derived_thresholds or {}).get(name, 0.5)
            f1 = precision_recall_fscore_support(dy[name], dp[name] >= t, average="binary", zero_division=0)[2]
            m["derived"][name] = {
                "roc_auc": label_auc(dy[name], dp[name]),
                "f1_at_tuned": float(f1),
                "threshold": float(t),
            }
    return m


def evaluate_model(
    y_val: np.ndarray,
    p_val: np.ndarray,
    y_test: np.ndarray,
    p_test: np.ndarray,
    labels: list[str],
    derived: dict[str, tuple[str, ...]] | None = None,
) -> dict:
    """Tune thresholds on validation, then score validation and test: {"validation": M, "test": M}."""
    labels = list(labels)
    thr = tune_thresholds(y_val, p_val, labels)
    dthr = {}
    if derived:
        dy, dp = derive(np.asarray(y_val).astype(int), labels, derived), derive(np.asarray(p_val), labels, derived)
        dthr = {n: best_f1_threshold(dy[n], dp[n]) for n in derived}
    return {
        "validation": evaluate(y_val, p_val, labels, thr, derived, dthr),
        "test": evaluate(y_test, p_test, labels, thr, derived, dthr),
    }


def eight_row_table(m: dict) -> pd.DataFrame:
    """The report's table: precision/recall/F1/ROC AUC x micro/macro, at 0.5 and at tuned thresholds."""
    rows = {}
    for metric in ("precision", "recall", "f1"):
        for avg in ("micro", "macro"):
            rows[f"{metric} {avg}"] = [m["at_0.5"][metric][avg], m["at_tuned"][metric][avg]]
    for avg in ("micro", "macro"):
        rows[f"roc_auc {avg}"] = [m["roc_auc"][avg]] * 2  # threshold-free
    return pd.DataFrame.from_dict(rows, orient="index", columns=["at 0.5", "at tuned"]).round(3)


def per_label_table(m: dict, at: str = "at_tuned") -> pd.DataFrame:
    """Per-label precision, recall, F1, support, ROC AUC and average precision (LABELS order)."""
    rows = {}
    for name, r in m[at]["per_label"].items():
        rows[name] = {
            **r,
            "roc_auc": m["roc_auc"]["per_label"][name],
            "avg_precision": m["average_precision"]["per_label"][name],
        }
        if at == "at_tuned":
            rows[name]["threshold"] = m["at_tuned"]["thresholds"][name]
    for name, d in m.get("derived", {}).items():
        rows[f"{name} (derived)"] = {"f1": d["f1_at_tuned"], "roc_auc": d["roc_auc"], "threshold": d["threshold"]}
    return pd.DataFrame.from_dict(rows, orient="index").round(3)
