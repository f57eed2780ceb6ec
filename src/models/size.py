"""How big a model is: parameter counts and bytes on disk, one definition for every model kind."""

from __future__ import annotations

import io

import torch
from torch import nn


def count_params(model: nn.Module) -> dict[str, int]:
    """{"total", "trainable"}; with an `embed` layer also {"embedding", "other"} (frozen embedding buffers count)."""
    params = list(model.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    embed = getattr(model, "embed", None)
    if embed is None:
        return {"total": int(sum(p.numel() for p in params)), "trainable": int(trainable)}
    frozen = sum(b.numel() for b in embed.buffers() if b.is_floating_point())  # e.g. frozen GloVe rows
    emb = sum(p.numel() for p in embed.parameters()) + frozen
    rest = sum(p.numel() for p in params) - sum(p.numel() for p in embed.parameters())
    return {"embedding": int(emb), "other": int(rest), "total": int(emb + rest), "trainable": int(trainable)}


def tensor_bytes(model: nn.Module) -> int:
    """Raw bytes of every tensor in the state dict (parameters and buffers), without container overhead."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def serialized_bytes(obj) -> int:
    """Bytes of `torch.save(obj)` (a state dict, a checkpoint dict): what it costs on disk."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return len(buf.getvalue())


def state_bytes(model: nn.Module) -> int:
    """Bytes of the model's weights as `checkpoint.save` stores them (a plain dict of tensors, no tokenizer)."""
    return serialized_bytes({k: v for k, v in model.state_dict().items()})
