"""The teacher on a GPU machine: fine-tune, score every split, write the probability cache and a metrics file.

Teacher notebook code; the command line is `python -m src.apps.teacher finetune --out DIR` (`oof`: the cross-fitted
variant in src/studies/teacher_oof.py, k fold teachers, out-of-fold train probabilities).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from src.common.results import write_json
from src.models.size import count_params, tensor_bytes
from src.models.teacher import TEACHER_NAME, load_teacher
from src.training.loop import device_name, pick_device
from src.training.teacher_cache import save_cache, splits_fingerprint
from src.training.teacher_finetune import TeacherConfig, config_dict, fit, predict_proba


def train_and_cache(
    dataset: str,
    out_dir: str | os.PathLike,
    cfg: TeacherConfig,
    data_root: str | os.PathLike | None = None,
    model_dir: str | os.PathLike | None = None,
    sample: int | None = None,
    tag: str = "",
    log=print,
) -> dict:
    """Load splits, fine-tune, predict all splits, write the cache .npz and a metrics .json to `out_dir`."""
    from src.data.datasets import label_matrix, load_splits
    from src.evaluation.metrics import evaluate_model

    splits = load_splits(dataset, root=data_root, seed=cfg.seed, sample=sample)
    labels = list(splits.spec.labels)
    fp = splits_fingerprint(splits, labels)
    log(f"{dataset}: train {len(splits.train)}, val {len(splits.val)}, test {len(splits.test)}; fingerprint {fp}")
    device = pick_device()
    model, tok = load_teacher(len(labels), model_dir, seed=cfg.seed)
    counts = count_params(model)
    hist = fit(model, tok, splits.train["text"].tolist(), label_matrix(splits.train, labels), cfg, device, log)
    t0 = time.perf_counter()
    probs = {
        name: predict_proba(model, tok, frame["text"].tolist(), cfg.max_len, cfg.eval_batch_size, device, cfg.amp)
        for name, frame in (("train", splits.train), ("val", splits.val), ("test", splits.test))
    }
    predict_seconds = time.perf_counter() - t0
    scores = evaluate_model(
        label_matrix(splits.val, labels),
        probs["val"],
        label_matrix(splits.test, labels),
        probs["test"],
        labels,
        splits.spec.derived,
    )
    import transformers

    meta = {
        "model": TEACHER_NAME,
        "dataset": dataset,
        "config": config_dict(cfg),
        "sample": sample,
        "device": device_name(device),
        "train_seconds": round(hist["train_seconds"], 1),
        "predict_seconds": round(predict_seconds, 1),
        "epoch_loss": [round(x, 5) for x in hist["epoch_loss"]],
        "steps": hist["steps"],
        "params_total": counts["total"],
        "params_trainable": counts["trainable"],
        "size_bytes": tensor_bytes(model),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "notes": splits.notes,
    }
    out = Path(out_dir)
    save_cache(out / f"teacher_{dataset}_probs{tag}.npz", probs, labels, fp, meta)
    summary = {
        **meta,
        "fingerprint": fp,
        "val_macro_auc": scores["validation"]["roc_auc"]["macro"],
        "test_macro_auc": scores["test"]["roc_auc"]["macro"],
        "val_auc": scores["validation"]["roc_auc"]["per_label"],
        "test_auc": scores["test"]["roc_auc"]["per_label"],
        "test_derived": scores["test"]["derived"],
    }
    write_json(out / f"metrics{tag}.json", summary)
    log(f"val macro AUC {summary['val_macro_auc']:.4f}, test macro AUC {summary['test_macro_auc']:.4f}")
    return summary
