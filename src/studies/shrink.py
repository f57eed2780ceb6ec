"""Shrink notebook code: distillation (the same student over seeds, an alpha grid per teacher, where teachers come
from) and the results records of its precision, pruning and student variants."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from src.evaluation.records import model_entry, seed_record
from src.models.encoder import ModelConfig
from src.studies.runs import Encoded, TrainJob, predict_texts, train_many
from src.training.loop import TrainConfig


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
    workers: int = 1,
) -> dict[str, dict]:
    """Plain student on all seeds; per teacher an alpha grid on the first seed (chosen on validation), then all seeds.

    `sweep`: train rows (`runs.sweep_rows`) the alpha grid trains on, with a plain run of its own as alpha 0;
    the seeds of the chosen alpha then train on every row. None: the grid uses all rows and its run is seed 0's.
    `workers` > 1 trains that many runs side by side (`runs.train_many`, one torch thread each).
    Returns {"plain" | teacher: {"alpha", "runs": {seed: Run}, "grid": {alpha: val AUC}}}.
    """
    part, grid_alphas = data.subset(sweep), [a for a in alphas if a > 0]

    def job(d: Encoded, seed: int, desc: str, alpha: float = 0.0, soft: np.ndarray | None = None) -> TrainJob:
        kd = {"teacher": soft, "alpha": alpha, "temperature": temperature} if alpha else {}
        return TrainJob(d, model_cfg, replace(train_cfg, seed=seed), vectors, desc=desc, **kd)

    # Round 1: the plain seeds (every row), each teacher's alpha grid on the first seed (and a plain grid run).
    jobs = {("plain", s): job(data, s, f"{name} plain s{s}") for s in seeds}
    if sweep is not None:
        jobs[("grid", 0.0)] = job(part, seeds[0], f"{name} grid a=0")
    for t, p in teachers.items():
        soft = p["train"] if sweep is None else p["train"][sweep]
        jobs |= {(t, a): job(part, seeds[0], f"{name} {t} a={a}", a, soft) for a in grid_alphas}
    done = dict(zip(jobs, train_many(list(jobs.values()), workers), strict=True))
    plain = {s: done[("plain", s)] for s in seeds}
    grid0 = plain[seeds[0]] if sweep is None else done[("grid", 0.0)]
    best = {t: max(grid_alphas, key=lambda a, t=t: done[(t, a)].history.best_auc) for t in teachers}
    # Round 2: the chosen alpha on the seeds it has no run for yet, on every row.
    rest = seeds[1:] if sweep is None else seeds
    jobs2 = {(t, s): job(data, s, f"{name} {t} s{s}", best[t], p["train"]) for t, p in teachers.items() for s in rest}
    done2 = dict(zip(jobs2, train_many(list(jobs2.values()), workers), strict=True))
    out = {"plain": {"alpha": 0.0, "runs": plain, "grid": {}}}
    for t in teachers:
        first = {seeds[0]: done[(t, best[t])]} if sweep is None else {}
        grid = {0.0: grid0.history.best_auc, **{a: done[(t, a)].history.best_auc for a in grid_alphas}}
        out[t] = {"alpha": best[t], "runs": {**first, **{s: done2[(t, s)] for s in rest}}, "grid": grid}
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


def shrink_variant_entries(
    counts: dict, prec: tuple[dict, dict], prune: tuple[dict, dict], tok_bytes: int
) -> dict[str, dict]:
    """Shrink's precision and pruning variants of one model: (scores, table rows) of each, same parameter counts."""
    out = {}
    for name, s in prec[0].items():
        m = prec[1][name]
        extra = {k: m[k] for k in ("weights_bytes", "model_only_per_s")}
        out[f"precision: {name}"] = model_entry(counts["total"], counts["trainable"], m["size_bytes"], s, **extra)
    for name, s in prune[0].items():
        m = prune[1][name]
        stored = min(m["dense_bytes"], m["sparse_csr_bytes"]) + tok_bytes  # zeros pay only when stored sparsely
        extra = {k: m[k] for k in m if k not in ("val_auc", "test_auc")}
        out[name] = model_entry(counts["total"], counts["trainable"], stored, s, **extra)
    return out


def student_entries(
    study: dict, seed_scores: dict, students: dict, chosen: dict, speed, temperature: float
) -> dict[str, dict]:
    """Shrink's distilled students: '<student>: <teacher>' records of the first seed, with the seed spread."""
    from src.models.compression import checkpoint_bytes

    out = {}
    for (sname, t), ss in seed_scores.items():
        first = next(iter(ss))
        run = study[sname][t]["runs"][first]
        e2e = speed.loc[sname, "comments_per_s"] if t == chosen[sname] and sname in speed.index else None
        c = run.params
        out[f"{sname}: {t}"] = model_entry(
            c["total"],
            c["trainable"],
            checkpoint_bytes(run.model, students[sname][1]),
            ss[first],
            alpha=study[sname][t]["alpha"],
            temperature=temperature,
            teacher=None if t == "plain" else t,
            config=asdict(students[sname][2]),
            comments_per_s=e2e,
            saved=bool(e2e),
            seeds=seed_record(ss),
        )
    return out
