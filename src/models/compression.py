"""Shrinking a trained Encoder with torch's own tools: precision casts, int8 dynamic quantisation, global pruning.

Transforms only; src/evaluation/compress.py measures what they cost and keep, src/training/prune_finetune.py
fine-tunes a pruned copy with its masks in place.
"""

from __future__ import annotations

import copy
import gzip
import io
import typing
import warnings

import torch
from torch import nn
from torch.nn.utils import prune

from src.models.size import serialized_bytes, state_bytes

# torch.ao.quantization is deprecated in favour of torchao (not installed here); eager dynamic quantisation still works
# in torch 2.13 and is the tool the brief asks for, so we silence its deprecation notices only.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from torch.ao.quantization import default_dynamic_qconfig, float_qparams_weight_only_qconfig, quantize_dynamic


def clone(model: nn.Module) -> nn.Module:
    """Deep copy of an Encoder; drops the cached attention maps (non-leaf tensors cannot be deep-copied)."""
    for m in model.modules():
        if hasattr(m, "weights") and isinstance(m.weights, torch.Tensor):
            m.weights = None  # type: ignore[assignment]  # a plain attribute; nn.Module types them Tensor | Module
    return copy.deepcopy(model)


def gzip_bytes(model: nn.Module) -> int:
    """Bytes of the gzip-compressed serialized state dict (zeros and repeated values compress)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return len(gzip.compress(buf.getvalue(), compresslevel=9))


def checkpoint_bytes(model: nn.Module, tokenizer) -> int:
    """Serialized size of weights + tokenizer + config: a stand-in for the checkpoint file of any variant."""
    return serialized_bytes({"state_dict": model.state_dict(), "tokenizer": tokenizer.state(), "config": model.cfg})


def cast(model: nn.Module, dtype: torch.dtype) -> nn.Module:
    """A copy of `model` in `dtype` (fp64, fp32, bf16, fp16), eval mode."""
    return clone(model).to(dtype).eval()


def quantize_int8(model: nn.Module, embedding: bool = False) -> nn.Module:
    """int8 dynamic quantisation of every nn.Linear (+ the token embedding, per-row scales, when `embedding`)."""
    spec: dict = {nn.Linear: default_dynamic_qconfig}
    if embedding:
        spec["embed"] = float_qparams_weight_only_qconfig  # quint8 rows, one float scale/offset per row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize_dynamic(clone(model).float().eval(), spec, dtype=torch.qint8)


def fp16_embedding_roundtrip(model: nn.Module) -> tuple[nn.Module, int]:
    """Store the token embedding as fp16 (rest fp32), load it back as fp32: (served model, stored bytes)."""
    sd = {k: (v.half() if k == "embed.weight" else v) for k, v in model.state_dict().items()}
    out = clone(model)
    out.load_state_dict({k: v.float() for k, v in sd.items()})
    return out.eval(), serialized_bytes(sd)


def precision_variants(model: nn.Module) -> dict[str, tuple[nn.Module, int]]:
    """Served variants of one fp32 model: {name: (model, weights bytes as stored)}."""
    out = {name: (m, state_bytes(m)) for name, m in (("fp32", model), ("bf16", cast(model, torch.bfloat16)))}
    out["fp16"] = (m := cast(model, torch.float16), state_bytes(m))
    out["int8 Linear (dynamic)"] = (m := quantize_int8(model), state_bytes(m))
    out["int8 Linear + embedding rows"] = (m := quantize_int8(model, embedding=True), state_bytes(m))
    out["fp16-stored embedding, fp32 compute"] = fp16_embedding_roundtrip(model)
    return out


def prunable(model: nn.Module, embedding: bool = True) -> list[tuple[nn.Module, str]]:
    """(module, "weight") pairs pruned together: every Linear, plus the token embedding if `embedding`."""
    out: list[tuple[nn.Module, str]] = [(m, "weight") for m in model.modules() if isinstance(m, nn.Linear)]
    # Not the position table: Encoder reads `pos.weight` without calling the module, so prune's forward
    # pre-hook would never refresh it (and a stale masked tensor breaks the second backward pass).
    # typing.cast (this module's own `cast` changes dtypes): `embed` is an nn.Module attribute.
    return out + [(typing.cast(nn.Module, model.embed), "weight")] if embedding else out


def prune_global(model: nn.Module, amount: float, embedding: bool = True) -> list[tuple[nn.Module, str]]:
    """Global L1 magnitude pruning in place to `amount` sparsity over `prunable(...)`; returns the pruned pairs."""
    params = prunable(model, embedding)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    return params


def sparsity(params: list[tuple[nn.Module, str]]) -> float:
    """Share of exact zeros across the given weights (masked weights count as zero)."""
    zeros = sum(int((getattr(m, n) == 0).sum()) for m, n in params)
    return zeros / sum(getattr(m, n).numel() for m, n in params)


def remove_pruning(params: list[tuple[nn.Module, str]]) -> None:
    """Make the pruning permanent: plain `weight` tensors, no masks or hooks left."""
    for m, n in params:
        prune.remove(m, n)


def _csr(t: torch.Tensor):
    # int32 indices: int64 would cost 8 bytes per non-zero and erase the gain below ~70% sparsity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR is beta" notices
        c = t.detach().to_sparse_csr()
        return torch.sparse_csr_tensor(c.crow_indices().int(), c.col_indices().int(), c.values(), size=t.shape)


def sparse_bytes(model: nn.Module) -> int:
    """Serialized state dict with each 2-D weight stored as CSR (int32 indices) where that is smaller."""
    sd = {}
    for k, v in model.state_dict().items():
        if v.dim() == 2 and v.is_floating_point():
            s = _csr(v)
            sd[k] = s if serialized_bytes(s) < serialized_bytes(v) else v
        else:
            sd[k] = v
    return serialized_bytes(sd)


def from_sparse_state(sd: dict) -> dict:
    """Dense state dict back from `sparse_bytes`-style storage (for loading)."""
    return {k: (v.to_dense() if v.layout == torch.sparse_csr else v) for k, v in sd.items()}
