"""Linear learning-rate decay from lr_max to lr_min (the report: 1e-4 .. 1e-6), optional warmup."""

from __future__ import annotations

import torch


def linear_decay(step: int, total: int, lr_max: float, lr_min: float, warmup: int = 0) -> float:
    """LR at `step` (0-based): ramp 0 -> lr_max over `warmup` steps, then lr_max -> lr_min at the last step."""
    if warmup and step < warmup:
        return lr_max * (step + 1) / warmup
    span = max(total - 1 - warmup, 1)
    frac = min(max(step - warmup, 0) / span, 1.0)
    return lr_max + (lr_min - lr_max) * frac


def linear_scheduler(
    opt: torch.optim.Optimizer, total: int, lr_max: float, lr_min: float, warmup: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR following `linear_decay`; the optimiser's base lr must be lr_max."""
    for g in opt.param_groups:
        g["lr"] = g["initial_lr"] = lr_max
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: linear_decay(s, total, lr_max, lr_min, warmup) / lr_max)
