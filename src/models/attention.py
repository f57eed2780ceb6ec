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
        # Padding is never attended to. An added (B, 1, 1, T) bias of 0 / -inf gives the same scores as masking
        # the (B, H, T, T) tensor in place, and exports to one broadcast Add instead of ONNX's much slower Where.
        bias = torch.zeros(mask.shape, dtype=scores.dtype, device=scores.device).masked_fill(~mask, float("-inf"))
        scores = scores + bias[:, None, None, :]  # (B, H, T, T)
    weights = scores.softmax(dim=-1)  # (B, H, T, T), rows sum to 1
    return weights @ v, weights  # (B, H, T, Dh), (B, H, T, T)
