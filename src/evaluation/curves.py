"""Precision-recall curves per label and a per-label view of thresholds and loss weighting."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.metrics import average_precision_score, precision_recall_curve


def _point(y: np.ndarray, p: np.ndarray, t: float) -> tuple[float, float]:
    pred = p >= t
    tp = float((pred & (y > 0)).sum())
    return tp / max(pred.sum(), 1), tp / max((y > 0).sum(), 1)  # precision, recall


def pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], labels: list[str], thresholds: dict | None = None):
    """One panel per label, one curve per name -> (y, p); dots at 0.5 (o) and at the tuned threshold (x)."""
    fig, axes = plt.subplots(1, len(labels), figsize=(4.6 * len(labels), 4), squeeze=False)
    for j, (ax, lab) in enumerate(zip(axes[0], labels, strict=True)):
        for name, (y, p) in curves.items():
            yj, pj = np.asarray(y)[:, j], np.asarray(p)[:, j]
            if yj.sum() == 0:
                continue
            prec, rec, _ = precision_recall_curve(yj, pj)
            ap = average_precision_score(yj, pj)
            sns.lineplot(x=rec, y=prec, lw=1.2, label=f"{name} (AP {ap:.2f})", estimator=None, sort=False, ax=ax)
            color = ax.lines[-1].get_color()
            ax.plot(*_point(yj, pj, 0.5)[::-1], "o", color=color, ms=5)
            if thresholds and name in thresholds:
                ax.plot(*_point(yj, pj, thresholds[name][lab])[::-1], "x", color=color, ms=8, mew=2)
        ax.axhline(np.asarray(next(iter(curves.values()))[0])[:, j].mean(), color="grey", lw=0.6, ls=":")
        ax.set(title=f"{lab}: o = 0.5, x = tuned", xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def label_view(scores: dict[str, dict], label: str, split: str = "test") -> pd.DataFrame:
    """One label across models: AUC, AP, F1/precision/recall at 0.5 and at the validation-tuned threshold."""
    rows = {}
    for name, sc in scores.items():
        m = sc[split]
        r05, rt = m["at_0.5"]["per_label"][label], m["at_tuned"]["per_label"][label]
        rows[name] = {
            "roc_auc": m["roc_auc"]["per_label"][label],
            "avg_precision": m["average_precision"]["per_label"][label],
            "f1 @0.5": r05["f1"],
            "precision @0.5": r05["precision"],
            "recall @0.5": r05["recall"],
            "threshold (val)": m["at_tuned"]["thresholds"][label],
            "f1 @tuned": rt["f1"],
            "precision @tuned": rt["precision"],
            "recall @tuned": rt["recall"],
            "support": rt["support"],
        }
    return pd.DataFrame.from_dict(rows, orient="index").round(3)
