"""Training loop: length-bucketed batches, weighted BCE, linear decay, early stopping on validation AUC."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import torch
from tqdm import tqdm

from src.common.auc import macro_auc
from src.common.batching import length_batches
from src.common.seeding import set_seed
from src.models.encoder import ModelConfig
from src.training.losses import pos_weights, weighted_bce
from src.training.schedulers import linear_scheduler


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run."""

    epochs: int = 10  # upper bound; early stopping may end sooner
    batch_size: int = 64  # comments per step
    lr_max: float = 3e-3  # peak LR (the report used 1e-4: far too low for a model trained from scratch)
    lr_min: float = 1e-5  # LR at the last step (linear decay)
    warmup: float = 0.05  # share of steps spent ramping up
    weight_decay: float = 0.01  # AdamW decoupled decay
    clip: float = 1.0  # max gradient norm
    pos_weight_power: float = 0.5  # class weights (neg/pos)**power: 1 = the report's, 0.5 = sqrt, 0 = none
    patience: int = 3  # epochs without validation-AUC gain before stopping
    seed: int = 0  # model init, shuffling, dropout
    eval_batch_size: int = 512  # inference batch size


@dataclass
class History:
    """What one `fit` run did; `best_state` holds the best epoch's weights."""

    val_auc: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_state: dict | None = None

    @property
    def best_auc(self) -> float:
        """Best validation macro ROC AUC."""
        return max(self.val_auc) if self.val_auc else float("nan")

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of one training epoch (validation pass included)."""
        return float(np.mean(self.epoch_seconds)) if self.epoch_seconds else float("nan")


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """`device` if given, else CUDA when present, else CPU; a GPU is never required."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device: torch.device) -> str:
    """Human-readable device name (the GPU model, or 'CPU (N threads)')."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({torch.get_num_threads()} threads)"


def pad(seqs: list[list[int]], pad_id: int = 0) -> torch.Tensor:
    """Right-pad to the longest sequence of the batch: (B, T_max) long."""
    out = torch.full((len(seqs), max(len(s) for s in seqs)), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out


@torch.no_grad()
def predict_proba(model: torch.nn.Module, ids: list[list[int]], batch_size: int = 512) -> np.ndarray:
    """(N, L) sigmoid probabilities, in input order; batches sorted by length for speed."""
    model.eval()
    dev = next(model.parameters()).device
    lengths = np.array([len(s) for s in ids])
    n_labels = cast(ModelConfig, model.cfg).n_labels  # an Encoder's (or its compressed copy's) config
    out = np.zeros((len(ids), n_labels), dtype=np.float32)
    for b in length_batches(lengths, batch_size, None if len(ids) < 2 else np.random.default_rng(0)):
        x = pad([ids[i] for i in b]).to(dev)
        out[b] = torch.sigmoid(model(x).float()).cpu().numpy()
    return out


def fit(
    model: torch.nn.Module,
    train_ids: list[list[int]],
    y_train: np.ndarray,
    val_ids: list[list[int]],
    y_val: np.ndarray,
    cfg: TrainConfig,
    desc: str = "train",
    loss_fn=None,
) -> History:
    """Train `model` in place; at the end it holds the best-validation-AUC weights (also in History)."""
    set_seed(cfg.seed)
    dev = pick_device()
    model.to(dev)
    rng = np.random.default_rng(cfg.seed)
    lengths = np.array([len(s) for s in train_ids])
    y_t = torch.as_tensor(y_train, dtype=torch.float32)
    pw = pos_weights(y_train, cfg.pos_weight_power).to(dev)
    loss_fn = loss_fn or (lambda logits, idx: weighted_bce(logits, y_t[idx].to(dev), pw))
    steps_per_epoch = -(-len(train_ids) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr_max, weight_decay=cfg.weight_decay)
    sched = linear_scheduler(opt, total, cfg.lr_max, cfg.lr_min, int(cfg.warmup * total))
    hist, bad = History(), 0
    bar = tqdm(total=total, desc=desc, leave=False)
    for epoch in range(cfg.epochs):
        t0, model_loss, n = time.perf_counter(), 0.0, 0
        model.train()
        for b in length_batches(lengths, cfg.batch_size, rng):
            x = pad([train_ids[i] for i in b]).to(dev)
            loss = loss_fn(model(x), torch.as_tensor(b))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.clip)
            opt.step()
            sched.step()
            model_loss, n = model_loss + loss.item() * len(b), n + len(b)
            bar.update(1)
        auc = macro_auc(y_val, predict_proba(model, val_ids, cfg.eval_batch_size))
        hist.epoch_seconds.append(time.perf_counter() - t0)
        hist.train_loss.append(model_loss / n)
        hist.val_auc.append(auc)
        bar.set_postfix(epoch=epoch + 1, val_auc=f"{auc:.4f}")
        best_so_far = max((a for a in hist.val_auc[:-1] if a == a), default=float("-inf"))  # NaN-safe
        if hist.best_state is None or auc > best_so_far:
            hist.best_epoch, hist.best_state, bad = epoch, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= cfg.patience:
                bar.update(total - bar.n)  # the bar ends full when early stopping cuts the schedule short
                break
    bar.close()
    assert hist.best_state is not None  # set by the first epoch (cfg.epochs >= 1)
    model.load_state_dict(hist.best_state)
    return hist
