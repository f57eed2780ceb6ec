"""Shrinking a trained Encoder with torch's own tools: precision casts, int8 dynamic quantisation, global pruning."""

from __future__ import annotations

import copy
import gzip
import io
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from src.common.results import results_dir
from src.evaluation.metrics import evaluate_model
from src.models.size import serialized_bytes, state_bytes
from src.training.loop import TrainConfig, fit, pad, predict_proba

# torch.ao.quantization is deprecated in favour of torchao (not installed here); eager dynamic quantisation still works
# in torch 2.13 and is the tool the brief asks for, so we silence its deprecation notices only.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from torch.ao.quantization import default_dynamic_qconfig, float_qparams_weight_only_qconfig, quantize_dynamic


def clone(model: nn.Module) -> nn.Module:
    """Deep copy of an Encoder; drops the cached attention maps (non-leaf tensors cannot be deep-copied)."""
    for m in model.modules():
        if hasattr(m, "weights") and isinstance(m.weights, torch.Tensor):
            m.weights = None
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


@torch.no_grad()
def throughput(model: nn.Module, ids: list[list[int]], batch_size: int = 256, min_seconds: float = 0.5) -> float:
    """Model-only comments/s on pre-tokenised ids (length-sorted batches), repeated until `min_seconds`."""
    model.eval()
    order = np.argsort([len(s) for s in ids], kind="stable")
    batches = [pad([ids[i] for i in order[s : s + batch_size]]) for s in range(0, len(ids), batch_size)]
    model(batches[0])  # warm-up: first-call allocations and kernel selection are not serving cost
    n, t0 = 0, time.perf_counter()
    while True:
        for x in batches:
            model(x)
        n += len(ids)
        if time.perf_counter() - t0 >= min_seconds:
            return n / (time.perf_counter() - t0)


def predict(model: nn.Module, ids: list[list[int]]) -> np.ndarray:
    """(N, L) float32 probabilities from any variant (fp16/bf16/int8 included)."""
    return predict_proba(model, ids)


def variant_row(
    model: nn.Module,
    data,
    labels: list[str],
    derived: dict,
    weights_bytes: int,
    extra_bytes: int = 0,
    secs: float = 0.5,
):
    """(scores, table row) of one served variant: bytes, validation/test macro AUC, model-only throughput."""
    s = evaluate_model(data.y_val, predict(model, data.val), data.y_test, predict(model, data.test), labels, derived)
    row = {
        "weights_bytes": weights_bytes,
        "size_bytes": weights_bytes + extra_bytes,
        "val_auc": s["validation"]["roc_auc"]["macro"],
        "test_auc": s["test"]["roc_auc"]["macro"],
        "model_only_per_s": throughput(model, data.test, min_seconds=secs),
    }
    return s, row


def precision_variants(model: nn.Module) -> dict[str, tuple[nn.Module, int]]:
    """Served variants of one fp32 model: {name: (model, weights bytes as stored)}."""
    out = {name: (m, state_bytes(m)) for name, m in (("fp32", model), ("bf16", cast(model, torch.bfloat16)))}
    out["fp16"] = (m := cast(model, torch.float16), state_bytes(m))
    out["int8 Linear (dynamic)"] = (m := quantize_int8(model), state_bytes(m))
    out["int8 Linear + embedding rows"] = (m := quantize_int8(model, embedding=True), state_bytes(m))
    out["fp16-stored embedding, fp32 compute"] = fp16_embedding_roundtrip(model)
    return out


# ---- pruning ------------------------------------------------------------------------------------


def prunable(model: nn.Module, embedding: bool = True) -> list[tuple[nn.Module, str]]:
    """(module, "weight") pairs pruned together: every Linear, plus the token embedding if `embedding`."""
    out = [(m, "weight") for m in model.modules() if isinstance(m, nn.Linear)]
    # Not the position table: Encoder reads `pos.weight` without calling the module, so prune's forward
    # pre-hook would never refresh it (and a stale masked tensor breaks the second backward pass).
    return out + [(model.embed, "weight")] if embedding else out


def prune_global(model: nn.Module, amount: float, embedding: bool = True) -> list[tuple[nn.Module, str]]:
    """Global L1 magnitude pruning in place to `amount` sparsity over `prunable(...)`; returns the pruned pairs."""
    params = prunable(model, embedding)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    return params


def sparsity(params: list[tuple[nn.Module, str]]) -> float:
    """Share of exact zeros across the given weights (masked weights count as zero)."""
    zeros = sum(int((getattr(m, n) == 0).sum()) for m, n in params)
    return zeros / sum(getattr(m, n).numel() for m, n in params)


def finetune_pruned(model: nn.Module, data, lr: float = 3e-4, seed: int = 0, epochs: int = 1):
    """Short fine-tune with the masks in place (pruned weights stay zero: weight = weight_orig * mask)."""
    cfg = TrainConfig(epochs=epochs, lr_max=lr, lr_min=lr / 10, warmup=0.0, patience=epochs, seed=seed)
    return fit(model, data.train, data.y_train, data.val, data.y_val, cfg, desc="fine-tune pruned")


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


def prune_row(model: nn.Module, data, labels: list[str], derived: dict, amount: float, embedding: bool, **ft):
    """Prune a copy globally, fine-tune 1 epoch with masks, make permanent: (model, scores, table row)."""
    m = clone(model)
    params = prune_global(m, amount, embedding)
    before = evaluate_model(data.y_val, predict(m, data.val), data.y_test, predict(m, data.test), labels, derived)
    finetune_pruned(m, data, **ft)
    remove_pruning(params)
    s = evaluate_model(data.y_val, predict(m, data.val), data.y_test, predict(m, data.test), labels, derived)
    n_all = sum(p.numel() for p in m.parameters())
    row = {
        "amount": amount,
        "embedding_pruned": embedding,
        "sparsity_pruned_set": sparsity(params),
        "sparsity_all_params": sum(int((p == 0).sum()) for p in m.parameters()) / n_all,
        "val_auc_no_ft": before["validation"]["roc_auc"]["macro"],
        "val_auc": s["validation"]["roc_auc"]["macro"],
        "test_auc": s["test"]["roc_auc"]["macro"],
        "dense_bytes": state_bytes(m),
        "gzip_bytes": gzip_bytes(m),
        "sparse_csr_bytes": sparse_bytes(m),
    }
    return m, s, row


def from_sparse_state(sd: dict) -> dict:
    """Dense state dict back from `sparse_bytes`-style storage (for loading)."""
    return {k: (v.to_dense() if v.layout == torch.sparse_csr else v) for k, v in sd.items()}


# ---- the size / quality picture across notebooks ---------------------------------------------------


def results_points(directory: Path | None = None) -> list[dict]:
    """(notebook, model, params, bytes, test macro ROC AUC) of every scored model in results/*.json."""
    rows = []
    for f in sorted(Path(directory or results_dir()).glob("*.json")):
        doc = json.loads(f.read_text())
        for name, m in (doc.get("models") or {}).items():
            auc = (m.get("test") or {}).get("roc_auc", {}).get("macro") if isinstance(m, dict) else None
            if auc is not None and m.get("size_bytes"):
                rows.append(
                    {
                        "notebook": f.stem,
                        "model": name,
                        "params": m["params"]["total"],
                        "size_bytes": m["size_bytes"],
                        "test_auc": auc,
                    }
                )
    return rows


def pareto_front(xs: list[float], ys: list[float], bigger_x: bool = False) -> list[int]:
    """Indices of points no other point beats on both axes (higher y; smaller x, or bigger with `bigger_x`)."""
    sign = -1 if bigger_x else 1
    order = sorted(range(len(xs)), key=lambda i: (sign * xs[i], -ys[i]))
    front, best = [], -math.inf
    for i in order:
        if ys[i] > best:
            front.append(i)
            best = ys[i]
    return front
