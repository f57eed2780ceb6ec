"""Results files: results/<Notebook>.json (one per notebook, the single source of REPORT.md's numbers) and every
other JSON record the project writes, through one writer (`write_json`) that stores NaN as null."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from src import ROOT

RESULTS_DIR = ROOT / "results"


def results_dir() -> Path:
    """Where results files go: $TOXIC_RESULTS_DIR (tests, CI fixture runs) or results/."""
    return Path(os.environ.get("TOXIC_RESULTS_DIR", RESULTS_DIR))


def models_dir() -> Path:
    """Where saved models go: $TOXIC_MODELS_DIR (tests, CI fixture runs) or models/."""
    return Path(os.environ.get("TOXIC_MODELS_DIR", RESULTS_DIR.parent / "models"))


def clean(x, digits: int | None = None):
    """JSON-ready copy: NaN -> None (JSON has no NaN), NumPy scalars -> Python, floats rounded to `digits` if given."""
    if hasattr(x, "item") and not isinstance(x, dict | list | tuple):
        x = x.item()
    if isinstance(x, float):
        return None if math.isnan(x) else (round(x, digits) if digits is not None else x)
    if isinstance(x, dict):
        return {k: clean(v, digits) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v, digits) for v in x]
    return x


def write_json(path: str | os.PathLike, doc: dict, digits: int | None = None, indent: int | None = 1) -> Path:
    """The one writer of the project's JSON records (results, bench, scale, times): `clean`ed, folder created."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(clean(doc, digits), indent=indent, default=str) + "\n")
    return out


def write_results(notebook: str, dataset: str, labels, models: dict, best: str, **extra) -> Path:
    """Write results/<notebook>.json in the shared shape; returns the path."""
    if best not in models:
        raise ValueError(f"best model {best!r} is not among {list(models)}")
    doc = {"dataset": dataset, "labels": list(labels), "best": best, "models": models, **extra}
    return write_json(results_dir() / f"{notebook}.json", doc)


def read_results(notebook: str, directory: str | os.PathLike | None = None) -> dict:
    """Read results/<notebook>.json with a clear error if the notebook has not been run."""
    path = Path(directory or results_dir()) / f"{notebook}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run notebooks/{notebook}.ipynb first (make report).")
    return json.loads(path.read_text())
