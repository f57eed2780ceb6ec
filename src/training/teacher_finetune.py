"""Fine-tuning the MiniLM teacher (GPU when present) and writing its probability cache; command line for the GPU machine.

python -m src.training.teacher_finetune --out DIR [--variants plain,weighted] [--epochs 4] ...
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from src.models.size import count_params, tensor_bytes
from src.models.teacher import TEACHER_NAME, Teacher, load_teacher
from src.training.loop import device_name, pad, pick_device, set_seed
from src.training.schedulers import linear_scheduler
from src.training.teacher_cache import save_cache, splits_fingerprint


@dataclass(frozen=True)
class TeacherConfig:
    """Fine-tuning hyper-parameters of the MiniLM teacher."""

    epochs: int = 4  # full passes over the training split (4: the usual budget for a small BERT fine-tune)
    lr: float = 5e-5  # AdamW peak LR: every pretrained weight moves, so far below the tiny models' 3e-3
    batch_size: int = 32  # comments per step
    max_len: int = 128  # WordPiece tokens per comment, special tokens included
    weight_decay: float = 0.01  # AdamW decay, not applied to biases and LayerNorm weights
    warmup_frac: float = 0.1  # linear warm-up share of all steps, then linear decay towards 0
    pos_weight: bool = False  # BCE pos_weight = sqrt(neg/pos) per label when True
    eval_batch_size: int = 256  # comments per scoring batch
    seed: int = 0  # the head's init, shuffling and dropout
    amp: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    max_steps: int | None = None  # stop early (smoke tests)


def tokenize(tokenizer, texts: Sequence[str], max_len: int) -> list[list[int]]:
    """Token ids per text, truncated to `max_len` (special tokens included), no padding."""
    return tokenizer(list(texts), truncation=True, max_length=max_len, padding=False)["input_ids"]


def _collate(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input ids, attention mask), both (B, T_max) long: the shared `pad`, mask = not padding."""
    input_ids = pad(ids, pad_id)  # (B, T)
    mask = torch.zeros_like(input_ids)
    for i, x in enumerate(ids):
        mask[i, : len(x)] = 1  # by length, not by id: a real token may share the pad id
    return input_ids, mask


def _autocast(device: torch.device, amp: bool):
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp and device.type == "cuda")


def fit(
    model: Teacher, tokenizer, texts: Sequence[str], y: np.ndarray, cfg: TeacherConfig, device=None, log=print
) -> dict:
    """Fine-tune all weights with AdamW, linear warm-up/decay and BCE; returns a small history dict."""
    device = pick_device(device)
    set_seed(cfg.seed)
    model.to(device).train()
    ids = tokenize(tokenizer, texts, cfg.max_len)
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float32))
    n = len(ids)
    steps_per_epoch = (n + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs if cfg.max_steps is None else min(cfg.max_steps, steps_per_epoch * cfg.epochs)
    warm = int(cfg.warmup_frac * total)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {
            "params": [p for k, p in model.named_parameters() if not k.endswith(no_decay)],
            "weight_decay": cfg.weight_decay,
        },
        {"params": [p for k, p in model.named_parameters() if k.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg.lr)
    sched = linear_scheduler(opt, total, cfg.lr, 0.0, warm)  # the shared warm-up + linear decay
    pw = None
    if cfg.pos_weight:
        pos = y_t.sum(0).clamp(min=1)
        pw = ((n - pos) / pos).sqrt().to(device)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pw)
    gen = torch.Generator().manual_seed(cfg.seed)
    history: dict = {"epoch_loss": [], "steps": 0}
    t0, step = time.perf_counter(), 0
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).tolist()
        run_loss, seen = 0.0, 0
        for b in range(steps_per_epoch):
            if step >= total:
                break
            idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            input_ids, mask = _collate([ids[i] for i in idx], tokenizer.pad_token_id)
            input_ids, mask, target = input_ids.to(device), mask.to(device), y_t[idx].to(device)
            with _autocast(device, cfg.amp):
                logits = model(input_ids, mask)
            loss = loss_fn(logits.float(), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item() * len(idx)
            seen += len(idx)
        history["epoch_loss"].append(run_loss / max(1, seen))
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {history['epoch_loss'][-1]:.4f}, {time.perf_counter() - t0:.0f}s")
        if step >= total:
            break
    history["steps"] = step
    history["train_seconds"] = time.perf_counter() - t0
    return history


@torch.no_grad()
def predict_proba(
    model: Teacher,
    tokenizer,
    texts: Sequence[str],
    max_len: int = 128,
    batch_size: int = 256,
    device=None,
    amp: bool = True,
) -> np.ndarray:
    """Sigmoid probabilities (N, L) float32 in input order; batches sorted by length for speed."""
    device = pick_device(device)
    model.to(device).eval()
    ids = tokenize(tokenizer, texts, max_len)
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    for b in range(0, len(ids), batch_size):
        idx = order[b : b + batch_size]
        input_ids, mask = _collate([ids[i] for i in idx], tokenizer.pad_token_id)
        with _autocast(device, amp):
            logits = model(input_ids.to(device), mask.to(device))
        out[idx] = torch.sigmoid(logits.float()).cpu().numpy()
    return out


def config_dict(cfg: TeacherConfig) -> dict:
    """The config as a plain dict (for meta / results)."""
    return asdict(cfg)


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
    (out / f"metrics{tag}.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    log(f"val macro AUC {summary['val_macro_auc']:.4f}, test macro AUC {summary['test_macro_auc']:.4f}")
    return summary


def common_args(ap) -> None:
    """Options shared by the teacher command lines (this one and `src.training.teacher_oof`)."""
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
