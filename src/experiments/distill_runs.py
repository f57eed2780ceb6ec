"""Distillation experiments: the same student over seeds, an alpha grid per teacher, and where teachers come from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from src.experiments.runs import Encoded, Run, predict_texts, train_run
from src.models.encoder import ModelConfig
from src.training.loop import TrainConfig


def seed_runs(
    data: Encoded, model_cfg: ModelConfig, train_cfg: TrainConfig, vectors, seeds: list[int], **kw
) -> dict[int, Run]:
    """The same student trained with each seed (model init, shuffling, dropout)."""
    return {s: train_run(data, model_cfg, replace(train_cfg, seed=s), vectors, **kw) for s in seeds}


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
    sweep: np.ndarray | None = None,
) -> dict[str, dict]:
    """Plain student on all seeds; per teacher an alpha grid on the first seed (chosen on validation), then all seeds.

    `sweep`: train rows (`runs.sweep_rows`) the alpha grid trains on, with a plain run of its own as alpha 0;
    the seeds of the chosen alpha then train on every row. None: the grid uses all rows and its run is seed 0's.
    Returns {"plain" | teacher: {"alpha", "runs": {seed: Run}, "grid": {alpha: val AUC}}}.
    """
    plain = seed_runs(data, model_cfg, train_cfg, vectors, seeds, desc=f"{name} plain")
    out = {"plain": {"alpha": 0.0, "runs": plain, "grid": {}}}
    first, part = replace(train_cfg, seed=seeds[0]), data.subset(sweep)
    grid0 = plain[seeds[0]] if sweep is None else train_run(part, model_cfg, first, vectors, desc=f"{name} grid a=0")
    for t, p in teachers.items():
        kw = dict(teacher=p["train"] if sweep is None else p["train"][sweep], temperature=temperature)
        grid = {
            a: train_run(part, model_cfg, first, vectors, alpha=a, desc=f"{name} {t} a={a}", **kw)
            for a in alphas
            if a > 0
        }
        best = max(grid, key=lambda a: grid[a].history.best_auc)
        kw["teacher"] = p["train"]
        rest = seeds[1:] if sweep is None else seeds
        runs = seed_runs(data, model_cfg, train_cfg, vectors, rest, alpha=best, desc=f"{name} {t}", **kw)
        scores = {0.0: grid0.history.best_auc, **{a: r.history.best_auc for a, r in grid.items()}}
        out[t] = {"alpha": best, "runs": {seeds[0]: grid[best], **runs} if sweep is None else runs, "grid": scores}
    return out


def minilm_probs(splits, labels: list[str], path: str | Path) -> tuple[dict[str, np.ndarray] | None, str]:
    """Cached MiniLM teacher probabilities {train, val, test} if they match these splits, else (None, why)."""
    from src.training.teacher_cache import StaleCacheError, load_cache, splits_fingerprint

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
