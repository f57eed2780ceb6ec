"""Fine-tuning the MiniLM teacher (GPU when present): its config, the training loop and batched scoring."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from src.common.batching import length_batches
from src.common.seeding import set_seed
from src.models.teacher import Teacher
from src.training.loop import pad, pick_device
from src.training.schedulers import linear_scheduler


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


def _optimizer(model: Teacher, cfg: TeacherConfig, total: int):
    """AdamW without decay on biases and LayerNorm weights, and the shared warm-up + linear decay to 0."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    named = list(model.named_parameters())
    groups = [
        {"params": [p for k, p in named if not k.endswith(no_decay)], "weight_decay": cfg.weight_decay},
        {"params": [p for k, p in named if k.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg.lr)
    return opt, linear_scheduler(opt, total, cfg.lr, 0.0, int(cfg.warmup_frac * total))


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
    opt, sched = _optimizer(model, cfg, total)
    pw = None
    if cfg.pos_weight:
        pos = y_t.sum(0).clamp(min=1)
        pw = ((n - pos) / pos).sqrt().to(device)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pw)
    gen = torch.Generator().manual_seed(cfg.seed)
    history: dict = {"epoch_loss": [], "steps": 0}
    t0, step = time.perf_counter(), 0
    # a bar with its time left: on 2 CPU cores a full fine-tune takes hours, and this is where a user sees how many
    bar = tqdm(total=total, desc="teacher fine-tune", unit="step", mininterval=5, disable=log is None)
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
            bar.update()
            run_loss += loss.item() * len(idx)
            seen += len(idx)
        history["epoch_loss"].append(run_loss / max(1, seen))
        if log is not None:
            log(
                f"epoch {epoch + 1}/{cfg.epochs}: loss {history['epoch_loss'][-1]:.4f}, {time.perf_counter() - t0:.0f}s"
            )
        if step >= total:
            break
    bar.close()
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
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    for idx in length_batches(np.array([len(x) for x in ids]), batch_size, chunk_batches=None):
        input_ids, mask = _collate([ids[i] for i in idx], tokenizer.pad_token_id)
        with _autocast(device, amp):
            logits = model(input_ids.to(device), mask.to(device))
        out[idx] = torch.sigmoid(logits.float()).cpu().numpy()
    return out


def config_dict(cfg: TeacherConfig) -> dict:
    """The config as a plain dict (for meta / results)."""
    return asdict(cfg)
