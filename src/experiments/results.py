"""results/<Notebook>.json: one file per notebook, the single source of REPORT.md's numbers."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from src import ROOT
from src.evaluation.metrics import seed_summary

RESULTS_DIR = ROOT / "results"


def results_dir() -> Path:
    """Where results files go: $TOXIC_RESULTS_DIR (tests, CI fixture runs) or results/."""
    return Path(os.environ.get("TOXIC_RESULTS_DIR", RESULTS_DIR))


def models_dir() -> Path:
    """Where saved models go: $TOXIC_MODELS_DIR (tests, CI fixture runs) or models/."""
    return Path(os.environ.get("TOXIC_MODELS_DIR", RESULTS_DIR.parent / "models"))


def model_entry(total: int, trainable: int, size_bytes: int, scores: dict, **extra) -> dict:
    """One model's record: params, bytes on disk, {"validation": M, "test": M} and any extras."""
    return {
        "params": {"total": int(total), "trainable": int(trainable)},
        "size_bytes": int(size_bytes),
        **scores,
        **extra,
    }


def seed_record(scores_by_seed: dict) -> dict:
    """{metric: seed_summary} over seeds (or seed groups) of test/validation macro AUC and each derived label's F1."""
    runs = scores_by_seed.values()
    rec = {
        "test_macro_auc": seed_summary({k: x["test"]["roc_auc"]["macro"] for k, x in scores_by_seed.items()}),
        "val_macro_auc": seed_summary({k: x["validation"]["roc_auc"]["macro"] for k, x in scores_by_seed.items()}),
    }
    for name in next(iter(runs))["test"].get("derived", {}):
        f1 = {k: x["test"]["derived"][name]["f1_at_tuned"] for k, x in scores_by_seed.items()}
        rec[f"test_{name}_f1"] = seed_summary(f1)
    return rec


def _clean(x):
    # JSON has no NaN: an undefined metric (one class only in a split) is stored as null.
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item"):
        return _clean(x.item())
    return x


def write_results(notebook: str, dataset: str, labels, models: dict, best: str, **extra) -> Path:
    """Write results/<notebook>.json in the shared shape; returns the path."""
    if best not in models:
        raise ValueError(f"best model {best!r} is not among {list(models)}")
    out = results_dir() / f"{notebook}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"dataset": dataset, "labels": list(labels), "best": best, "models": models, **extra}
    out.write_text(json.dumps(_clean(doc), indent=1, sort_keys=False) + "\n")
    return out


def read_results(notebook: str, directory: str | os.PathLike | None = None) -> dict:
    """Read results/<notebook>.json with a clear error if the notebook has not been run."""
    path = Path(directory or results_dir()) / f"{notebook}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run notebooks/{notebook}.ipynb first (make report).")
    return json.loads(path.read_text())
