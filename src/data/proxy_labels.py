"""Label matrices of the Jigsaw-shaped proxy, per variant (src/data/proxy.py explains both and their numbers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from src.data.proxy import ProxyConfig

VARIANTS = ("implied", "conditional")  # see src/data/proxy.py's docstring


def label_counts(cfg: ProxyConfig, n: int) -> list[int]:
    """Positives per label for n rows: round(Jigsaw train rate * n)."""
    return [round(p * n / cfg.n_train) for p in cfg.positives]


def conditional_counts(cfg: ProxyConfig, n: int) -> tuple[list[int], list[int]]:
    """(positives among the toxic rows, among the non-toxic rows) per label for n rows (toxic: all among toxic)."""
    scale = n / cfg.n_train
    in_clean = [round(c * scale) for c in cfg.nontoxic]
    in_toxic = [round((p - c) * scale) for p, c in zip(cfg.positives, cfg.nontoxic, strict=True)]
    return in_toxic, in_clean


def sample_labels(rng: np.random.Generator, n: int, cfg: ProxyConfig) -> np.ndarray:
    """(n, 6) int8 labels for `cfg.variant`: exact positive counts per label (src/data/proxy.py)."""
    if cfg.variant not in VARIANTS:
        raise ValueError(f"unknown proxy variant {cfg.variant!r}; choose one of {', '.join(VARIANTS)}.")
    return implied_labels(rng, n, cfg) if cfg.variant == "implied" else conditional_labels(rng, n, cfg)


def conditional_labels(rng: np.random.Generator, n: int, cfg: ProxyConfig) -> np.ndarray:
    """(n, 6) int8 labels: toxic on label_counts(n)[0] rows, each other label on conditional_counts(n) of the toxic
    and the non-toxic rows, drawn at random (independent of each other and of the text)."""
    in_toxic, in_clean = conditional_counts(cfg, n)
    y = np.zeros((n, len(in_toxic)), dtype=np.int8)
    toxic = rng.choice(n, size=in_toxic[0], replace=False)
    y[toxic, 0] = 1
    clean = np.flatnonzero(y[:, 0] == 0)
    for j in range(1, len(in_toxic)):
        y[rng.choice(toxic, size=in_toxic[j], replace=False), j] = 1
        y[rng.choice(clean, size=in_clean[j], replace=False), j] = 1
    return y


def text_labels(y: np.ndarray, cfg: ProxyConfig) -> np.ndarray:
    """The labels the comment text is built to show: all of them (implied), or toxic alone (conditional)."""
    if cfg.variant == "implied":
        return y
    shown = np.zeros_like(y)
    shown[:, 0] = y[:, 0]
    return shown


def implied_labels(rng: np.random.Generator, n: int, cfg: ProxyConfig) -> np.ndarray:
    """(n, 6) int8 labels with exactly label_counts(n) positives per label; every label implies toxic."""
    counts = label_counts(cfg, n)
    y = np.zeros((n, len(counts)), dtype=np.int8)
    toxic = rng.choice(n, size=counts[0], replace=False)
    y[toxic, 0] = 1
    severity = rng.standard_normal(len(toxic))  # shared by all labels of a row, so they co-occur
    for j in range(1, len(counts)):
        score = cfg.rho[j] * severity + np.sqrt(1 - cfg.rho[j] ** 2) * rng.standard_normal(len(toxic))
        y[toxic[np.argsort(-score, kind="stable")[: counts[j]]], j] = 1
    return y
