"""Knowledge distillation into tiny encoders: soft targets from a teacher, mixed with weighted BCE on hard labels."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from src.evaluation.metrics import seed_stats
from src.experiments.runs import Encoded, Trained, predict_texts
from src.models.encoder import Encoder, ModelConfig, init_embedding
from src.training.loop import TrainConfig, fit, predict_proba, set_seed
from src.training.losses import pos_weights, weighted_bce

SPLITS = ("train", "val", "test")


def soften(p: np.ndarray | torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Teacher probabilities at temperature T: sigmoid(logit(p) / T) (T = 1 leaves them unchanged)."""
    p = torch.as_tensor(p, dtype=torch.float32)
    if temperature == 1.0:
        return p
    p = p.clamp(1e-6, 1 - 1e-6)  # the cache stores fp16: exact 0/1 would give infinite logits
    return torch.sigmoid(torch.logit(p) / temperature)


def distill_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    soft: torch.Tensor,
    pos_weight: torch.Tensor | None,
    alpha: float,
    temperature: float = 1.0,
) -> torch.Tensor:
    """(1 - alpha) * weighted BCE(hard) + alpha * T² * BCE(sigmoid(z / T), soft targets already at T)."""
    hard = weighted_bce(logits, targets, pos_weight)
    if alpha == 0:
        return hard
    # T² keeps the soft term's gradient scale independent of T (Hinton et al.)
    kd = F.binary_cross_entropy_with_logits(logits / temperature, soft.to(logits.dtype)) * temperature**2
    return (1 - alpha) * hard + alpha * kd


def make_loss(
    y_train: np.ndarray,
    p_teacher: np.ndarray | None,
    alpha: float,
    temperature: float = 1.0,
    pos_weight_power: float = 0.5,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A `fit(loss_fn=...)` closure over the training split's hard labels and teacher probabilities."""
    y = torch.as_tensor(y_train, dtype=torch.float32)
    pw = pos_weights(y_train, pos_weight_power)
    soft = soften(p_teacher, temperature) if p_teacher is not None else torch.zeros_like(y)
    if p_teacher is None and alpha > 0:
        raise ValueError("alpha > 0 needs teacher probabilities")
    if p_teacher is not None and np.shape(p_teacher) != np.shape(y_train):
        raise ValueError(
            f"teacher probabilities have shape {np.shape(p_teacher)}, the training labels {np.shape(y_train)}: "
            "the teacher must score every training row in the same order (is the cache from these splits?)"
        )

    def loss(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        dev = logits.device
        return distill_loss(logits, y[idx].to(dev), soft[idx].to(dev), pw.to(dev), alpha, temperature)

    return loss


def train_student(
    data: Encoded,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    vectors: np.ndarray | None,
    p_teacher: np.ndarray | None = None,
    alpha: float = 0.0,
    temperature: float = 1.0,
    dtype: torch.dtype = torch.float32,
    desc: str = "student",
) -> Trained:
    """Build (seeded), init embeddings, train in `dtype` with the distillation loss; predictions in fp32."""
    set_seed(train_cfg.seed)
    model = Encoder(model_cfg)
    init_embedding(model, None if vectors is None else torch.as_tensor(vectors))
    model.to(dtype)
    loss = make_loss(data.y_train, p_teacher, alpha, temperature, train_cfg.pos_weight_power)
    t0 = time.perf_counter()
    hist = fit(model, data.train, data.y_train, data.val, data.y_val, train_cfg, desc=desc, loss_fn=loss)
    seconds = time.perf_counter() - t0
    return Trained(model, hist, predict_proba(model, data.val), predict_proba(model, data.test), seconds)


def seed_runs(
    data: Encoded, model_cfg: ModelConfig, train_cfg: TrainConfig, vectors, seeds: list[int], **kw
) -> dict[int, Trained]:
    """The same student trained with each seed (model init, shuffling, dropout)."""
    return {s: train_student(data, model_cfg, replace(train_cfg, seed=s), vectors, **kw) for s in seeds}


def recipe_config(vocab_size: int, n_labels: int, d: int = 16, max_len: int = 200) -> ModelConfig:
    """BaseAttention's recipe shape: one layer, dot score, d_ff = 2d, mean+max pooling."""
    return ModelConfig(vocab_size=vocab_size, n_labels=n_labels, d_model=d, d_ff=2 * d, max_len=max_len)


def distill_study(
    data: Encoded,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    vectors,
    teachers: dict[str, dict[str, np.ndarray]],
    alphas: list[float],
    seeds: list[int],
    temperature: float = 1.0,
    name: str = "student",
) -> dict[str, dict]:
    """Plain student on all seeds; per teacher an alpha grid on the first seed (chosen on validation), then all seeds.

    Returns {"plain" | teacher: {"alpha", "runs": {seed: Trained}, "grid": {alpha: val AUC}}}.
    """
    plain = seed_runs(data, model_cfg, train_cfg, vectors, seeds, desc=f"{name} plain")
    out = {"plain": {"alpha": 0.0, "runs": plain, "grid": {}}}
    first = replace(train_cfg, seed=seeds[0])
    for t, p in teachers.items():
        kw = dict(p_teacher=p["train"], temperature=temperature)
        grid = {
            a: train_student(data, model_cfg, first, vectors, alpha=a, desc=f"{name} {t} a={a}", **kw)
            for a in alphas
            if a > 0
        }
        best = max(grid, key=lambda a: grid[a].history.best_auc)
        rest = seed_runs(data, model_cfg, train_cfg, vectors, seeds[1:], alpha=best, desc=f"{name} {t}", **kw)
        scores = {0.0: plain[seeds[0]].history.best_auc, **{a: r.history.best_auc for a, r in grid.items()}}
        out[t] = {"alpha": best, "runs": {seeds[0]: grid[best], **rest}, "grid": scores}
    return out


def minilm_probs(splits, labels: list[str], path: str | Path) -> tuple[dict[str, np.ndarray] | None, str]:
    """Cached MiniLM teacher probabilities {train, val, test} if they match these splits, else (None, why)."""
    from src.training.teacher import StaleCacheError, load_cache, splits_fingerprint

    path = Path(path)
    if not path.is_file():
        return None, f"no teacher cache at {path.name}"
    try:
        probs, meta = load_cache(path, labels, splits_fingerprint(splits, labels))
    except StaleCacheError as e:
        return None, f"teacher cache does not match these splits ({str(e).split(':')[1].strip()})"
    kind = f"; {meta['kind']}" if "kind" in meta else ""  # the out-of-fold cache says how it was made
    return {"train": probs["train"], "val": probs["val"], "test": probs["test"]}, f"cache matches the splits{kind}"


def checkpoint_probs(path: str | Path, splits, labels: list[str]) -> tuple[dict[str, np.ndarray] | None, str]:
    """Probabilities of a saved encoder checkpoint (e.g. the GloVe model) on train/val/test, or (None, why)."""
    from src.serving import checkpoint

    path = Path(path)
    if not path.is_file():
        return None, f"{path.name} not found"
    model, tok, _ = checkpoint.load(path, labels=labels)
    frames = {"train": splits.train, "val": splits.val, "test": splits.test}
    return {k: predict_texts(model, tok, list(f["text"])) for k, f in frames.items()}, f"predicted by {path.name}"


def seed_summary(aucs: dict[int, float]) -> dict:
    """{seeds, values, mean, std} of one metric over seeds (`metrics.seed_stats`: sample std)."""
    return {"seeds": list(aucs), **seed_stats(aucs.values())}
