"""Sweep samples and run profiles: comparisons on a stratified row sample, final models on every row."""

from __future__ import annotations

import numpy as np
import pytest

from src.apps.pipeline import main as pipeline_main
from src.apps.profiles import PROFILES, params_for
from src.studies.runs import Encoded, sweep_rows, train_part


def _y(n: int = 1000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((n, 3)) < [0.1, 0.02, 0.3]).astype(np.float32)


def test_sweep_rows_is_a_stratified_deterministic_sample() -> None:
    y = _y()
    rows = sweep_rows(y, 200, seed=0)
    assert len(rows) == 200 and len(set(rows.tolist())) == 200 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, sweep_rows(y, 200, seed=0)) and not np.array_equal(rows, sweep_rows(y, 200, seed=1))
    assert np.allclose(y[rows].mean(0), y.mean(0), atol=0.01)  # label rates kept, the rare label included
    assert sweep_rows(y, None) is None and sweep_rows(y, len(y)) is None and sweep_rows(y, 5000) is None


def test_subset_and_train_part_cut_only_the_train_split() -> None:
    y = _y(10)
    data = Encoded(None, [[i] for i in range(10)], [[1]], [[2]], y, y[:1], y[:1])
    rows = np.array([1, 4, 7])
    part = data.subset(rows)
    assert part.train == [[1], [4], [7]] and np.array_equal(part.y_train, y[rows])
    assert part.val is data.val and part.test is data.test and data.subset(None) is data
    split = {"train": np.arange(10), "val": np.arange(3)}
    assert train_part(split, rows)["train"].tolist() == [1, 4, 7] and train_part(split, rows)["val"] is split["val"]
    assert train_part({"train": ["a", "b", "c"]}, np.array([2]))["train"] == ["c"] and train_part(split, None) is split


def test_profiles_pass_literals_and_full_changes_nothing() -> None:
    assert PROFILES["full"] == {} and params_for("full", "BaseAttention") == []
    got = dict(params_for("hour", "BaseAttention"))
    assert got["sweep_sample"] == "20000" and got["seeds"] == "[0, 1, 2, 3]"
    with pytest.raises(SystemExit, match="unknown profile"):
        params_for("fast", "BaseAttention")


def test_pipeline_picks_the_profile_by_dataset(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    seen = {}
    monkeypatch.setattr("src.apps.pipeline.run_all", lambda *a, **k: seen.setdefault("profile", a[-1]) and 0)
    monkeypatch.setattr("src.report.render.render", lambda *a: None)
    (tmp_path / "results").mkdir()
    pipeline_main(["--dataset", "jigsaw", "--out", str(tmp_path), "--notebooks", "LookAtData"])
    assert seen.pop("profile") == "hour"
    pipeline_main(["--dataset", "jigsaw", "--out", str(tmp_path), "--notebooks", "LookAtData", "--profile", "full"])
    assert seen.pop("profile") == "full"
