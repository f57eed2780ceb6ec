"""The teacher on a GPU machine: fine-tune, score every split, write the probability cache and a metrics file.

python -m src.studies.teacher --out DIR [--variants plain,weighted] [--epochs 4] ...
(`src.studies.teacher_oof` is the cross-fitted variant: k fold teachers, out-of-fold train probabilities.)
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


def common_args(ap) -> None:
    """Options shared by the teacher command lines (this one and `src.studies.teacher_oof`)."""
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--data-root", default=None, help="folder holding <dataset>/ (default: $TOXIC_DATA_DIR)")
    ap.add_argument("--model-dir", default=None, help="model folder (default: the gt package's)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=None, help="cap train rows (smoke test)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke test)")


def main() -> None:
    """CLI: fine-tune the teacher for one or more BCE variants and write caches + metrics."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    common_args(ap)
    ap.add_argument("--variants", default="plain", help="comma list of plain,weighted (BCE pos_weight)")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    a = ap.parse_args()
    for v in a.variants.split(","):
        if v not in ("plain", "weighted"):
            raise SystemExit(f"unknown variant {v!r}")
        cfg = TeacherConfig(
            epochs=a.epochs,
            lr=a.lr,
            batch_size=a.batch_size,
            max_len=a.max_len,
            seed=a.seed,
            pos_weight=v == "weighted",
            max_steps=a.max_steps,
        )
        print(f"== variant {v}: {cfg}", flush=True)
        train_and_cache(a.dataset, a.out, cfg, a.data_root, a.model_dir, a.sample, tag=f"_{v}")


if __name__ == "__main__":
    main()
