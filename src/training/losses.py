"""Class-weighted binary cross-entropy (the report's weighting of rare labels)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def pos_weights(y: np.ndarray, power: float = 1.0, cap: float = 1000.0) -> torch.Tensor:
    """Per-label positive weight (negatives / positives) ** power; power 0.5 dampens it (sqrt)."""
    pos = np.asarray(y).sum(axis=0).astype(np.float64)
    neg = len(y) - pos
    w = np.where(pos > 0, neg / np.maximum(pos, 1), 1.0) ** power  # a label with no positives gets weight 1
    return torch.tensor(np.minimum(w, cap), dtype=torch.float32)


def weighted_bce(logits: torch.Tensor, targets: torch.Tensor, pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over (B, L) of -[w·y·log σ(z) + (1-y)·log(1-σ(z))], computed stably from logits."""
    # log σ(z) = -softplus(-z), log(1-σ(z)) = -softplus(z)
    w = 1.0 if pos_weight is None else pos_weight.to(logits.dtype)
    loss = w * targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)  # (B, L)
    return loss.mean()
