"""What shrinking costs and keeps: model-only throughput, scores and bytes of each variant (src/models/compression.py),
the prune-and-fine-tune rows, and the size/quality points of every results file."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from src.common.batching import length_batches
from src.common.results import results_dir
from src.evaluation.metrics import evaluate_model
from src.models.compression import clone, gzip_bytes, prune_global, remove_pruning, sparse_bytes, sparsity
from src.models.size import state_bytes
from src.training.loop import pad, predict_proba
from src.training.prune_finetune import finetune_pruned


@torch.no_grad()
def throughput(model: nn.Module, ids: list[list[int]], batch_size: int = 256, min_seconds: float = 0.5) -> float:
    """Model-only comments/s on pre-tokenised ids (length-sorted batches), repeated until `min_seconds`."""
    model.eval()
    lengths = np.array([len(s) for s in ids])
    batches = [pad([ids[i] for i in b]) for b in length_batches(lengths, batch_size, chunk_batches=None)]
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
