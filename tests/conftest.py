"""Shared pytest fixtures: synthetic datasets in the real formats and isolated output folders."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.fixtures import write_ghc, write_jigsaw


@pytest.fixture
def ghc_dir(tmp_path: Path) -> Path:
    """Root holding ghc/ (use as TOXIC_DATA_DIR)."""
    return write_ghc(tmp_path / "data")


@pytest.fixture
def jigsaw_dir(tmp_path: Path) -> Path:
    """Root holding jigsaw/ (use as TOXIC_DATA_DIR)."""
    return write_jigsaw(tmp_path / "data")


@pytest.fixture
def toxic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point TOXIC_DATA_DIR / TOXIC_RESULTS_DIR / TOXIC_MODELS_DIR at tmp folders; returns them."""
    dirs = {name: tmp_path / sub for name, sub in (("data", "data"), ("results", "results"), ("models", "models"))}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("TOXIC_DATA_DIR", str(dirs["data"]))
    monkeypatch.setenv("TOXIC_RESULTS_DIR", str(dirs["results"]))
    monkeypatch.setenv("TOXIC_MODELS_DIR", str(dirs["models"]))
    return dirs


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module: on a busy machine, thread contention makes tiny models ~5x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
