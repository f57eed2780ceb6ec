"""The baseline's fitted TF-IDF + LR models, saved by the baseline notebook and reused instead of refitted.

BestResult (blend), Behaviour (suite scoring), Shrink and the bench (speed) all need the TF-IDF + LR baseline.
At Jigsaw's size one fit takes minutes (char n-grams of 127K long comments), so the baseline notebook saves each
fitted variant as `models/<name>_<dataset>.npz` (name: tfidf_lr, tfidf_lr_clean) (plain arrays, no pickle: `TfidfLR.save`) and the others load
the one whose config and training data match, or fit their own when none does (a fresh clone, another split).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

from src.common.results import models_dir
from src.data.datasets import Splits, label_matrix
from src.models.tfidf import TfidfConfig, TfidfLR


def train_fingerprint(splits: Splits) -> str:
    """sha256 of the train split's texts and labels: all a TF-IDF + LR fit depends on besides its config."""
    h = hashlib.sha256()
    for t in splits.train["text"]:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    h.update(label_matrix(splits.train, list(splits.spec.labels)).astype("int8").tobytes())
    return h.hexdigest()


def model_path(name: str, dataset: str) -> Path:
    """Where the baseline notebook saves its variant `name` (tfidf_lr, tfidf_lr_clean) for `dataset`."""
    return models_dir() / f"{name}_{dataset}.npz"


def save(model: TfidfLR, name: str, splits: Splits) -> Path:
    """Save a fitted variant with the fingerprint of the data it was fitted on; returns the path."""
    path = model_path(name, splits.spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)  # a fresh run folder (runs/<dataset>/models) may not exist yet
    model.save(path, fingerprint=train_fingerprint(splits))
    return path


def fitted(splits: Splits, cfg: TfidfConfig) -> tuple[TfidfLR, str]:
    """(model, where it came from): a saved baseline variant with this config and training data, else a fresh fit."""
    labels, fp, unreadable = list(splits.spec.labels), train_fingerprint(splits), []
    for path in sorted(models_dir().glob(f"tfidf_*_{splits.spec.name}.npz")):
        try:
            model = TfidfLR.load(path)
        except ValueError:
            unreadable.append(path.name)  # damaged or foreign: said below, and a fresh fit gives the same model
            continue
        if asdict(model.cfg) == asdict(cfg) and model.labels == labels and model.fingerprint == fp:
            return model, f"loaded {path.name} (fitted by the baseline notebook on this train split)"
    model = TfidfLR(cfg, labels).fit(list(splits.train["text"]), label_matrix(splits.train, labels).astype(int))
    skipped = f"; unreadable, ignored: {', '.join(unreadable)} (rerun the baseline notebook)" if unreadable else ""
    return model, f"fitted here (no saved baseline model matches this config and train split{skipped})"
