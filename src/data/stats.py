"""LookAtData's numbers: label counts/rates per split, co-occurrence, comment lengths, its results file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from src.common.results import results_dir, write_json
from src.data.datasets import Splits

_WORD = re.compile(r"[a-zA-Z]+")
QUANTILES = (0.5, 0.9, 0.95, 0.99)  # 0.9 is the report's choice (200 tokens on Jigsaw)


def split_frames(splits: Splits) -> dict[str, pd.DataFrame]:
    """The three splits by name, in table order."""
    return {"train": splits.train, "validation": splits.val, "test": splits.test}


def label_counts(splits: Splits) -> pd.DataFrame:
    """Positives per label (rows, LABELS order) and split (columns), plus row totals."""
    labels = list(splits.spec.labels)
    out = pd.DataFrame({name: df[labels].sum(axis=0) for name, df in split_frames(splits).items()})
    out.loc["rows"] = [len(df) for df in split_frames(splits).values()]
    return out.astype(int)


def label_rates(splits: Splits) -> pd.DataFrame:
    """Share of positives per label and split, plus the share of rows with no label at all."""
    labels = list(splits.spec.labels)
    out = pd.DataFrame({name: df[labels].mean(axis=0) for name, df in split_frames(splits).items()})
    out.loc["all_zero"] = [all_zero_share(df, labels) for df in split_frames(splits).values()]
    return out


def all_zero_share(df: pd.DataFrame, labels: list[str]) -> float:
    """Share of rows with every label 0 (the report had 0.9 on Jigsaw)."""
    return float((df[labels].sum(axis=1) == 0).mean())


def cooccurrence(y: np.ndarray) -> np.ndarray:
    """(L, L) counts of rows positive for both labels; the diagonal is each label's count."""
    y = (np.asarray(y) > 0).astype(np.int64)
    return y.T @ y


def conditional_cooccurrence(y: np.ndarray) -> np.ndarray:
    """(L, L) P(column label | row label): how often label j is also present when label i is."""
    c = cooccurrence(y).astype(np.float64)
    return c / np.maximum(np.diag(c)[:, None], 1)


def token_lengths(texts, how: str = "whitespace") -> np.ndarray:
    """Tokens per comment: plain whitespace split, or the report's cleaned [a-zA-Z]+ words."""
    if how == "whitespace":
        return np.array([len(t.split()) for t in texts], dtype=np.int64)
    if how == "clean":
        return np.array([len(_WORD.findall(t)) for t in texts], dtype=np.int64)
    raise ValueError(f"unknown tokenisation {how!r}; use 'whitespace' or 'clean'")


def length_quantiles(lengths: dict[str, np.ndarray], qs: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
    """Token length covering each quantile of comments (rows: tokenisation, columns: quantile)."""
    return pd.DataFrame({k: {f"q{int(q * 100)}": float(np.quantile(v, q)) for q in qs} for k, v in lengths.items()}).T


def lengths_by_label(lengths: np.ndarray, y: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Median / 90% length of comments per label and for rows with no label."""
    y = np.asarray(y) > 0
    groups = {name: lengths[y[:, j]] for j, name in enumerate(labels)}
    groups["no label"] = lengths[~y.any(axis=1)]
    rows = {
        k: {"n": len(v), "median": float(np.median(v)), "q90": float(np.quantile(v, 0.9))}
        for k, v in groups.items()
        if len(v)
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def write_lookatdata(
    dataset: str,
    labels: list[str],
    counts: pd.DataFrame,
    rates: pd.DataFrame,
    all_zero: float,
    quantiles: pd.DataFrame,
    **extra,
) -> Path:
    """Write results/LookAtData.json (plain JSON: this notebook has no models)."""
    doc = {
        "dataset": dataset,
        "labels": list(labels),
        "counts": {split: {k: int(v) for k, v in col.items()} for split, col in counts.items()},
        "rates": {split: {k: float(v) for k, v in col.items()} for split, col in rates.items()},
        "all_zero_share": float(all_zero),
        "length_quantiles": {tok: {q: float(v) for q, v in row.items()} for tok, row in quantiles.iterrows()},
        **extra,
    }
    return write_json(results_dir() / "LookAtData.json", doc)
