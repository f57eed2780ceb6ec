"""Shrink notebook code: the model to shrink, its precision and pruning studies, distillation (the same student
over seeds, an alpha grid per teacher, where teachers come from) and the results records of every variant.
Students, teachers and their table: src/studies/shrink_students.py; figures and the Pareto front:
src/studies/shrink_figures.py."""

from __future__ import annotations

from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from src.common.results import models_dir, read_results
from src.data.tokenizers import BPETokenizer
from src.evaluation import compress
from src.evaluation.records import model_entry, seed_record
from src.models import compression
from src.models.encoder import Encoder, ModelConfig
from src.models.size import state_bytes
from src.studies.runs import Encoded, Run, TrainJob, in_processes, predict_texts, train_many
from src.studies.shrink_transfer import extended
from src.training.loop import TrainConfig

TIMING_SECONDS = 0.5  # minimum wall time of each model-only throughput measurement
QUICK_TIMING_SECONDS = 0.05  # the same in a quick (CI) run
TEACHER_TIMING_ROWS = 512  # test comments used to time the MiniLM teacher on CPU (it runs ~100x slower)


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
    A teacher with a transfer set (`shrink_transfer.with_transfer`) trains on the train rows plus its transfer rows.
    Returns {"plain" | teacher: {"alpha", "runs": {seed: Run}, "grid": {alpha: val AUC}}}.
    """
    part, grid_alphas = data.subset(sweep), [a for a in alphas if a > 0]

    def job(d: Encoded, seed: int, desc: str, alpha: float = 0.0, soft: np.ndarray | None = None) -> TrainJob:
        job = TrainJob(d, model_cfg, replace(train_cfg, seed=seed), vectors, desc=desc)
        return replace(job, teacher=soft, alpha=alpha, temperature=temperature) if alpha else job

    # Round 1: the plain seeds (every row), each teacher's alpha grid on the first seed (and a plain grid run).
    jobs: dict[tuple[str, float], TrainJob] = {("plain", s): job(data, s, f"{name} plain s{s}") for s in seeds}
    if sweep is not None:
        jobs[("grid", 0.0)] = job(part, seeds[0], f"{name} grid a=0")
    # A teacher with a transfer set adds its rows to the train split it teaches (tokenized once per split).
    full = {t: extended(data, p["train"], p) for t, p in teachers.items()}
    for t, p in teachers.items():
        d_t, soft = full[t] if sweep is None else extended(part, p["train"][sweep], p)
        jobs |= {(t, a): job(d_t, seeds[0], f"{name} {t} a={a}", a, soft) for a in grid_alphas}
    done = dict(zip(jobs, train_many(list(jobs.values()), workers), strict=True))
    plain = {s: done[("plain", s)] for s in seeds}
    grid0 = plain[seeds[0]] if sweep is None else done[("grid", 0.0)]

    def grid_auc(t: str, a: float) -> float:
        return done[(t, a)].history.best_auc

    best = {t: max(grid_alphas, key=partial(grid_auc, t)) for t in teachers}
    # Round 2: the chosen alpha on the seeds it has no run for yet, on every row.
    rest = seeds[1:] if sweep is None else seeds
    jobs2 = {(t, s): job(full[t][0], s, f"{name} {t} s{s}", best[t], full[t][1]) for t in teachers for s in rest}
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
    study: dict, seed_scores: dict, students: dict, choice: dict, speed, temperature: float
) -> dict[str, dict]:
    """Shrink's distilled students: '<student>: <teacher>' records of the saved seed (`choice`, shrink_saved) or else
    the first, with the seed spread."""
    out = {}
    for (sname, t), ss in seed_scores.items():
        pick = choice.get(sname, {})
        is_saved = pick.get("teacher") == t
        first = pick["saved_seed"] if is_saved else next(iter(ss))
        run = study[sname][t]["runs"][first]
        e2e = speed.loc[sname, "comments_per_s"] if is_saved and sname in speed.index else None
        c = run.params
        out[f"{sname}: {t}"] = model_entry(
            c["total"],
            c["trainable"],
            compression.checkpoint_bytes(run.model, students[sname][1]),
            ss[first],
            alpha=study[sname][t]["alpha"],
            temperature=temperature,
            teacher=None if t == "plain" else t,
            config=asdict(students[sname][2]),
            comments_per_s=e2e,
            saved=is_saved,
            seed=first,
            seeds=seed_record(ss),
        )
    return out


# ---- the model to shrink and its precision / pruning studies ----------------------------------------------------


def base_model(
    dataset: str, splits, labels: list[str], quick: bool, seed: int
) -> tuple[Encoder | None, object, ModelConfig]:
    """(model, tokenizer, config) of BaseAttention's saved checkpoint; without one, (None, a fresh BPE tokenizer,
    the recipe's config): the precision study's fp32 run then stands in for the model."""
    from src.serving import checkpoint

    path = models_dir() / f"baseattention_{dataset}.pt"
    if not path.is_file():
        print(f"{path.name} not found: training BaseAttention's recipe here")
        tok = BPETokenizer.train(list(splits.train["text"]), 300 if quick else 8000, seed=seed)
        return None, tok, recipe_config(tok.vocab_size, len(labels))
    model, tok, _ = checkpoint.load(path, labels=labels)
    try:
        chosen = read_results("BaseAttention")["models"]["best_single"]["config"]  # the saved model's entry
        print("BaseAttention.json best_single config matches the checkpoint:", chosen == asdict(model.cfg))
    except (FileNotFoundError, KeyError):
        print("results/BaseAttention.json (best_single) not found; using the checkpoint's config")
    return model, tok, model.cfg


def precision_jobs(data: Encoded, model_cfg: ModelConfig, train_cfg: TrainConfig, vectors) -> list[TrainJob]:
    """The same model and seed trained in fp32 and in fp64."""
    job = TrainJob(data, model_cfg, train_cfg, vectors)
    return [replace(job, desc="train fp32"), replace(job, dtype=torch.float64, desc="train fp64")]


def precision_variants(fp32: Run, fp64: Run, shipped: nn.Module) -> dict[str, tuple[nn.Module, int]]:
    """{name: (model, weights bytes)}: the two training precisions served in fp32 (and fp64), and the shipped model
    in every serving format of `compression.precision_variants`."""
    return {
        "trained fp32 here, served fp32": (fp32.model, state_bytes(fp32.model)),
        "trained fp64, served fp32": (m := compression.cast(fp64.model, torch.float32), state_bytes(m)),
        "trained fp64, served fp64": (fp64.model, state_bytes(fp64.model)),
        **{f"shipped: {k}": v for k, v in compression.precision_variants(shipped).items()},
    }


def score_variants(variants: dict, data: Encoded, labels: list[str], derived: dict, tok_bytes: int, secs: float):
    """(scores, table rows) of every served variant, in order (`compress.variant_row`)."""
    scores, rows = {}, {}
    for name, (m, wb) in variants.items():
        scores[name], rows[name] = compress.variant_row(m, data, labels, derived, wb, tok_bytes, secs)
    return scores, rows


def precision_table(rows: dict) -> pd.DataFrame:
    """The precision rows with each one's test AUC change against the shipped fp32 model."""
    prec = pd.DataFrame(rows).T
    prec["test_auc_change"] = prec.test_auc - prec.loc["shipped: fp32", "test_auc"]
    return prec


def prune_study(
    model: nn.Module, data: Encoded, labels, derived, sparsities, lr: float, seed: int, workers: int = 1
) -> tuple[dict, dict]:
    """(scores, table rows) of global magnitude pruning at each sparsity, with and then without the embedding.

    workers 1: one after another in this process (with its torch threads); more: `workers` fine-tunes side by side,
    one process and one torch thread each (the hour profile), so both cores work instead of one thread waiting on
    the other's tiny matrix products.
    """
    keys = [(emb, amount) for emb in (True, False) for amount in sparsities]
    common = {"model": model, "data": data, "labels": labels, "derived": derived, "lr": lr, "seed": seed}
    jobs = [common | {"amount": amount, "embedding": emb} for emb, amount in keys]
    done = in_processes(compress.prune_row, jobs, workers)
    scores, rows = {}, {}
    for (emb, amount), (_, s, row) in zip(keys, done, strict=True):
        name = f"pruned {amount:.0%} ({'with' if emb else 'without'} embeddings)"
        scores[name], rows[name] = s, row
    return scores, rows


def weight_shares(model: Encoder) -> dict[str, float]:
    """Share of the model's parameters in the token embedding, the position table and the nn.Linear weights."""
    total = sum(p.numel() for p in model.parameters())
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    return {
        "embedding": model.get_parameter("embed.weight").numel() / total,
        "position": model.get_parameter("pos.weight").numel() / total,
        "linear": linear / total,
    }
