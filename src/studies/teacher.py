"""The Teacher notebook's code: fine-tune (on a GPU machine), score every split, write the probability cache and a
metrics file; or reuse a cache that matches the splits, or say why the teacher is skipped.

The command line is `python -m src.apps.teacher finetune --out DIR` (`oof`: the cross-fitted variant in
src/studies/teacher_oof.py, k fold teachers, out-of-fold train probabilities).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from src.common.results import models_dir, write_json
from src.evaluation.records import model_entry
from src.models.size import count_params, tensor_bytes
from src.models.teacher import TEACHER_NAME, load_teacher, teacher_available
from src.training.loop import device_name, pick_device
from src.training.teacher_cache import StaleCacheError, load_cache, save_cache, splits_fingerprint
from src.training.teacher_finetune import TeacherConfig, config_dict, fit, predict_proba

MODEL = "minilm_l6"  # the teacher's name in results files


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


def config(epochs: int, lr: float, batch_size: int, max_len: int, seed: int, quick: bool) -> TeacherConfig:
    """The fine-tuning settings; `quick` (CI, CPU): a smoke run of 4 steps, 1 epoch, batch 16, at most 32 tokens."""
    cfg = TeacherConfig(epochs=epochs, lr=lr, batch_size=batch_size, max_len=max_len, seed=seed)
    if quick:  # CPU steps cost seconds each (~5 s at batch 32 x 32 tokens on 2 busy cores)
        cfg = replace(cfg, epochs=1, max_len=min(max_len, 32), batch_size=16, max_steps=4)
    return cfg


def cache_path(dataset: str) -> Path:
    """Where the teacher's probabilities for `dataset` are cached (models/teacher_<dataset>_probs.npz)."""
    return models_dir() / f"teacher_{dataset}_probs.npz"


@dataclass
class TeacherProbs:
    """The teacher's probabilities {train, val, test} (None: skipped), the run's meta, where they came from, why not."""

    probs: dict[str, np.ndarray] | None
    meta: dict = field(default_factory=dict)
    source: str | None = None  # "cache" or "trained here"
    why: str = ""  # why it was skipped (probs None), or why a cache was not used

    @property
    def skipped(self) -> bool:
        """True when there are no probabilities (no matching cache and no training here)."""
        return self.probs is None


def probabilities(
    dataset: str,
    cfg: TeacherConfig,
    labels: list[str],
    fingerprint: str,
    *,
    retrain: bool,
    train_on_cpu: bool,
    quick: bool,
) -> TeacherProbs:
    """The cached probabilities when they match the splits; else fine-tune here (`train_and_cache`) when the extras
    are installed and a GPU, `train_on_cpu` or `quick` allows it (a quick run never writes the cache); else skipped."""
    path, why = cache_path(dataset), ""
    if not retrain and path.is_file():
        try:
            probs, meta = load_cache(path, labels, fingerprint)
            return TeacherProbs(probs, meta, "cache")
        except StaleCacheError as e:
            why = f"Cache not used: {e}"
            print(why)
    available, gpu = teacher_available(), pick_device().type == "cuda"
    if not (available and (gpu or train_on_cpu or quick)):  # quick: a few CPU steps (smoke test)
        if not available:
            why = "the optional teacher extras are not installed (pip install -r requirements-teacher.txt)"
            return TeacherProbs(None, why=why)
        return TeacherProbs(None, why="no GPU here and train_on_cpu is False (fine-tuning takes hours on 2 CPU cores)")
    with tempfile.TemporaryDirectory() as tmp:
        train_and_cache(dataset, tmp, cfg)
        probs, meta = load_cache(Path(tmp) / path.name, labels, fingerprint)
        if not quick:
            shutil.copyfile(Path(tmp) / path.name, path)
            print("cache written:", path)
    return TeacherProbs(probs, meta, "trained here", why)


def describe(t: TeacherProbs, fingerprint: str) -> str:
    """What the training/cache step did, in two lines (or why it skipped)."""
    if t.skipped:
        return f"SKIPPED: no matching teacher cache, and {t.why}. Results are written with a note only."
    m = t.meta
    return (
        f"teacher probabilities from: {t.source}; trained on {m['device']} in {m['train_seconds']} s; "
        f"{m['steps']} steps; epoch losses {np.round(m['epoch_loss'], 4).tolist()}\n"
        f"split fingerprint {fingerprint[:16]}… ({'matches the cache' if t.source == 'cache' else 'fresh run'})"
    )


def calibration(y: np.ndarray, p: np.ndarray, labels: list[str], split: str = "validation") -> dict:
    """Mean predicted probability against the positive rate, per label, on one split."""
    return {
        "split": split,
        "mean_probability": {lab: float(np.mean(p[:, j])) for j, lab in enumerate(labels)},
        "positive_rate": {lab: float(np.mean(y[:, j])) for j, lab in enumerate(labels)},
    }


def record(
    t: TeacherProbs,
    scores: dict | None,
    y_val: np.ndarray,
    labels: list[str],
    dataset: str,
    fingerprint: str,
    quick: bool,
) -> tuple[dict, dict]:
    """(models, extra keys) of results/Teacher.json: the teacher's entry with its validation calibration and the
    cache's size, or a skipped entry with its note."""
    if t.skipped:
        note = f"skipped: no matching cache; {t.why}"
        return {MODEL: {"skipped": True, "note": note}}, {"skipped": True, "note": note}
    assert scores is not None and t.probs is not None, "a teacher that is not skipped has scores and probabilities"
    m, path = t.meta, cache_path(dataset)
    info = {"train_seconds": m["train_seconds"], "device": m["device"], "source": t.source}
    info |= {"config": m.get("config"), "alternatives": m.get("alternatives")}
    models = {MODEL: model_entry(m["params_total"], m["params_trainable"], m["size_bytes"], scores, **info)}
    extra = {"quick": quick, "cache": path.name, "fingerprint": fingerprint}
    extra["cache_bytes"] = path.stat().st_size if path.is_file() else None
    return models, extra | {"calibration": calibration(y_val, t.probs["val"], labels)}
