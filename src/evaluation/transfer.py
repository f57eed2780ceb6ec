"""Cross-corpus scoring: ROC AUC of a model's `hate` score on a corpus' evaluation half, with a bootstrap interval,
and the share of harmless texts it flags at its own validation-tuned threshold."""

from __future__ import annotations

import numpy as np

from src.common.auc import label_auc
from src.data.corpora import CorpusSpec, EvaluationHalf, hate_labels

N_BOOT = 1000  # bootstrap resamples per AUC
LEVEL = 0.95  # coverage of the percentile interval
CHUNK = 100  # resamples drawn at once: bounds memory at ~CHUNK x rows


def _weighted_auc(pos_w: np.ndarray, neg_w: np.ndarray) -> np.ndarray:
    """ROC AUC per row of (B, U) weights of positives / negatives on the U sorted distinct scores (ties count 1/2)."""
    below = np.cumsum(neg_w, axis=1) - neg_w  # negative weight strictly below each score
    return (pos_w * (below + 0.5 * neg_w)).sum(axis=1) / (pos_w.sum(axis=1) * neg_w.sum(axis=1))


def _counts(rng: np.random.Generator, codes: np.ndarray, n_boot: int, n_codes: int) -> np.ndarray:
    """(n_boot, n_codes) counts of each distinct score in `n_boot` resamples (with replacement) of `codes`."""
    draws = codes[rng.integers(0, len(codes), size=(n_boot, len(codes)))]
    flat = draws + n_codes * np.arange(n_boot)[:, None]
    return np.bincount(flat.ravel(), minlength=n_boot * n_codes).reshape(n_boot, n_codes).astype(np.float64)


def bootstrap_auc(y: np.ndarray, s: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """AUCs of `n_boot` stratified resamples (positives and negatives resampled apart, so both classes are always in).

    The resamples depend only on `seed` and the class sizes, so models scored on the same rows share them.
    """
    y, s = np.asarray(y).astype(bool), np.asarray(s, dtype=np.float64)
    if y.all() or not y.any():
        return np.full(n_boot, np.nan)
    _, codes = np.unique(s, return_inverse=True)  # distinct scores, ascending; ties share a code
    n_codes = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n_boot, CHUNK):
        b = min(CHUNK, n_boot - start)
        pos, neg = _counts(rng, codes[y], b, n_codes), _counts(rng, codes[~y], b, n_codes)
        out.append(_weighted_auc(pos, neg))
    return np.concatenate(out)


def auc_with_interval(y: np.ndarray, s: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """{"value", "ci95": [lo, hi], "n_pos", "n_neg"}: ROC AUC and its bootstrap percentile interval (NaN: one class)."""
    y = np.asarray(y).astype(int)
    boots = bootstrap_auc(y, s, n_boot, seed)
    tail = 100 * (1 - LEVEL) / 2
    lo, hi = (np.nan, np.nan) if np.isnan(boots).all() else np.percentile(boots, [tail, 100 - tail])
    n_pos = int(y.sum())
    return {
        "value": label_auc(y, np.asarray(s)),
        "ci95": [float(lo), float(hi)],
        "n_pos": n_pos,
        "n_neg": len(y) - n_pos,
    }


def flag_rate(s: np.ndarray, threshold: float) -> float:
    """Share of scores at or above `threshold` (the serving API's flag rule); NaN for no rows."""
    s = np.asarray(s)
    return float((s >= threshold).mean()) if len(s) else float("nan")


def cross_corpus(
    scores: np.ndarray,
    evaluation: EvaluationHalf,
    spec: CorpusSpec,
    threshold: float,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> dict:
    """One model on one evaluation half: {"auc": {contrast: auc_with_interval}, "<negative>_flag_rate": {...}}."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) != len(evaluation.frame):
        raise ValueError(f"{len(scores)} scores for {len(evaluation.frame)} rows of {evaluation.corpus}")
    auc = {}
    for name in spec.contrasts:
        keep, y = hate_labels(evaluation, spec, name)
        auc[name] = auc_with_interval(y, scores[keep], n_boot, seed)
    harmless = scores[(evaluation.frame["label"] == spec.negative).to_numpy()]
    rate = {"value": flag_rate(harmless, threshold), "n": len(harmless), "threshold": float(threshold)}
    return {"auc": auc, f"{spec.negative}_flag_rate": rate}
