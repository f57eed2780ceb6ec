"""Cross-fitted teacher: out-of-fold MiniLM probabilities on the training split, for distillation without leakage.

A teacher fine-tuned on the whole training split has seen every training post: its train-split probabilities are
in-sample, closer to the hard labels than what it says about posts it has not seen. Here each training post is
scored by a teacher that never saw it (k folds); validation and test get the mean of the k fold teachers. Runs on
a GPU machine:
`python -m src.apps.teacher oof --out DIR [--folds 5] [--data-root ...] [--model-dir ...] [--transfer]`.
With `--transfer` the fold teachers' mean also labels the transfer halves of the extra corpora (their unlabelled
texts), written to `teacher_<dataset>_transfer_probs.npz`: Shrink's transfer set then uses MiniLM's labels.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from src.common.results import write_json
from src.models.teacher import TEACHER_NAME, load_teacher
from src.training.loop import device_name, pick_device
from src.training.teacher_cache import save_cache, save_transfer, splits_fingerprint, transfer_cache_name
from src.training.teacher_finetune import TeacherConfig, config_dict, fit, predict_proba


def fold_index(n: int, k: int, seed: int = 0) -> np.ndarray:
    """(n,) fold number 0..k-1 of each row: a seeded permutation cut into k near-equal parts."""
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= folds <= rows, got folds={k} for {n} rows")
    folds = np.empty(n, dtype=np.int64)
    folds[np.random.default_rng(seed).permutation(n)] = np.arange(n) % k
    return folds


def cache_name(dataset: str) -> str:
    """File name of the out-of-fold cache (beside the plain teacher's `teacher_<dataset>_probs.npz`)."""
    return f"teacher_{dataset}_oof_probs.npz"


def train_oof(
    dataset: str,
    out_dir: str | os.PathLike,
    cfg: TeacherConfig,
    k: int = 5,
    data_root: str | os.PathLike | None = None,
    model_dir: str | os.PathLike | None = None,
    sample: int | None = None,
    log=print,
    transfer: Sequence[str] | None = None,
) -> dict:
    """Fine-tune k fold teachers; write the out-of-fold cache .npz and a metrics .json to `out_dir`, and with
    `transfer` texts the fold teachers' mean probabilities of them (`transfer_cache_name`)."""
    from src.common.auc import macro_auc
    from src.data.datasets import label_matrix, load_splits
    from src.evaluation.metrics import evaluate_model

    splits = load_splits(dataset, root=data_root, seed=cfg.seed, sample=sample)
    labels = list(splits.spec.labels)
    texts = {name: getattr(splits, name)["text"].tolist() for name in ("train", "val", "test")}
    y = {name: label_matrix(getattr(splits, name), labels) for name in ("train", "val", "test")}
    folds = fold_index(len(texts["train"]), k, cfg.seed)
    device = pick_device()
    p = {name: np.zeros((len(t), len(labels)), dtype=np.float32) for name, t in texts.items()}
    p_transfer = np.zeros((len(transfer or []), len(labels)), dtype=np.float32)
    per_fold, t0, transfer_s = [], time.perf_counter(), 0.0
    for i in range(k):
        fit_rows, held = np.flatnonzero(folds != i), np.flatnonzero(folds == i)
        model, tok = load_teacher(len(labels), model_dir, seed=cfg.seed + i)
        hist = fit(
            model,
            tok,
            [texts["train"][j] for j in fit_rows],
            y["train"][fit_rows],
            replace(cfg, seed=cfg.seed + i),
            device,
            log,
        )
        scored = {"held": [texts["train"][j] for j in held], "val": texts["val"], "test": texts["test"]}
        out = {
            n: predict_proba(model, tok, t, cfg.max_len, cfg.eval_batch_size, device, cfg.amp)
            for n, t in scored.items()
        }
        p["train"][held] = out["held"]
        p["val"] += out["val"] / k
        p["test"] += out["test"] / k
        if transfer:
            t1 = time.perf_counter()
            p_transfer += (
                predict_proba(model, tok, list(transfer), cfg.max_len, cfg.eval_batch_size, device, cfg.amp) / k
            )
            transfer_s += time.perf_counter() - t1
        per_fold.append(
            {
                "fold": i,
                "train_rows": len(fit_rows),
                "held_rows": len(held),
                "train_seconds": round(hist["train_seconds"], 1),
                "steps": hist["steps"],
                "val_macro_auc": macro_auc(y["val"], out["val"]),
                "test_macro_auc": macro_auc(y["test"], out["test"]),
            }
        )
        log(f"fold {i + 1}/{k}: val macro AUC {per_fold[-1]['val_macro_auc']:.4f}")
    scores = evaluate_model(y["val"], p["val"], y["test"], p["test"], labels, splits.spec.derived)
    import torch
    import transformers

    meta = {
        "model": TEACHER_NAME,
        "kind": f"out-of-fold: train rows scored by the fold teacher that did not see them ({k} folds); "
        "val/test: mean of the fold teachers",
        "dataset": dataset,
        "folds": k,
        "config": config_dict(cfg),
        "sample": sample,
        "device": device_name(device),
        "seconds": round(time.perf_counter() - t0, 1),
        "per_fold": per_fold,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    fp = splits_fingerprint(splits, labels)
    out_dir = Path(out_dir)
    save_cache(out_dir / cache_name(dataset), p, labels, fp, meta)
    summary = {
        **meta,
        "fingerprint": fp,
        "oof_train_macro_auc": macro_auc(y["train"], p["train"]),
        "val_macro_auc": scores["validation"]["roc_auc"]["macro"],
        "test_macro_auc": scores["test"]["roc_auc"]["macro"],
        "test_derived": scores["test"]["derived"],
    }
    if transfer:
        kind = {
            "kind": f"mean of the {k} fold teachers",
            "texts": len(transfer),
            "predict_seconds": round(transfer_s, 1),
        }
        summary["transfer_cache"] = str(
            save_transfer(out_dir / transfer_cache_name(dataset), p_transfer, labels, transfer, meta | kind)
        )
    write_json(out_dir / "metrics_oof.json", summary)
    log(
        f"out-of-fold train macro AUC {summary['oof_train_macro_auc']:.4f}, val {summary['val_macro_auc']:.4f}, "
        f"test {summary['test_macro_auc']:.4f}"
    )
    return summary
