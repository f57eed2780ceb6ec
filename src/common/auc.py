"""ROC AUC with undefined labels kept honest: the one per-label and macro AUC of training, evaluation and the bench."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def label_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC of one label; NaN when the split has one class only (a tiny split has no AUC for it)."""
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def macro_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Mean ROC AUC over the labels that have both classes (the Kaggle metric); NaN when none has."""
    aucs = [label_auc(y[:, j], p[:, j]) for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")
