"""Knowledge distillation loss: soft targets from a teacher, mixed with class-weighted BCE on the hard labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from src.training.losses import pos_weights, weighted_bce


def soften(p: np.ndarray | torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Teacher probabilities at temperature T: sigmoid(logit(p) / T) (T = 1 leaves them unchanged)."""
    p = torch.as_tensor(p, dtype=torch.float32)
    if temperature == 1.0:
        return p
    p = p.clamp(1e-6, 1 - 1e-6)  # the cache stores fp16: exact 0/1 would give infinite logits
    return torch.sigmoid(torch.logit(p) / temperature)


def distill_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    soft: torch.Tensor,
    pos_weight: torch.Tensor | None,
    alpha: float,
    temperature: float = 1.0,
) -> torch.Tensor:
    """(1 - alpha) * weighted BCE(hard) + alpha * T² * BCE(sigmoid(z / T), soft targets already at T)."""
    hard = weighted_bce(logits, targets, pos_weight)
    if alpha == 0:
        return hard
    # T² keeps the soft term's gradient scale independent of T (Hinton et al.)
    kd = F.binary_cross_entropy_with_logits(logits / temperature, soft.to(logits.dtype)) * temperature**2
    return (1 - alpha) * hard + alpha * kd


def make_loss(
    y_train: np.ndarray,
    p_teacher: np.ndarray | None,
    alpha: float,
    temperature: float = 1.0,
    pos_weight_power: float = 0.5,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A `fit(loss_fn=...)` closure over the training split's hard labels and teacher probabilities."""
    y = torch.as_tensor(y_train, dtype=torch.float32)
    pw = pos_weights(y_train, pos_weight_power)
    soft = soften(p_teacher, temperature) if p_teacher is not None else torch.zeros_like(y)
    if p_teacher is None and alpha > 0:
        raise ValueError("alpha > 0 needs teacher probabilities")
    if p_teacher is not None and np.shape(p_teacher) != np.shape(y_train):
        raise ValueError(
            f"teacher probabilities have shape {np.shape(p_teacher)}, the training labels {np.shape(y_train)}: "
            "the teacher must score every training row in the same order (is the cache from these splits?)"
        )

    def loss(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        dev = logits.device
        return distill_loss(logits, y[idx].to(dev), soft[idx].to(dev), pw.to(dev), alpha, temperature)

    return loss
