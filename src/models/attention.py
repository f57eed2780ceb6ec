"""Scaled dot-product attention as a pure function (the annotated-transformer way)."""

from __future__ import annotations

import math

import torch


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d) v over the unmasked keys; returns (output, weights).

    q, k, v: (B, H, T, Dh); mask: (B, T) bool, True where a real token is.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, T, T)
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))  # padding is never attended to
    weights = scores.softmax(dim=-1)  # (B, H, T, T), rows sum to 1
    return weights @ v, weights  # (B, H, T, Dh), (B, H, T, T)
