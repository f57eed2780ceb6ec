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


def test_subset_cuts_train_to_the_rows_and_validation_to_as_many_and_train_part_cuts_what_it_is_given() -> None:
    y, y_val = _y(1000), _y(400, seed=1)
    data = Encoded(None, [[i] for i in range(1000)], [[i] for i in range(400)], [[2]], y, y_val, y_val[:1])
    rows = sweep_rows(y, 100)
    part = data.subset(rows)
    val_rows = sweep_rows(y_val, len(rows))  # a sample-trained run validates on as many stratified rows
    assert part.train == [[i] for i in rows] and np.array_equal(part.y_train, y[rows])
    assert part.val == [[i] for i in val_rows] and np.array_equal(part.y_val, y_val[val_rows]) and len(part.val) == 100
    assert part.test is data.test and data.subset(None) is data
    assert data.subset(rows, seed=1).val != part.val and data.subset(rows).val == part.val  # seeded, deterministic
    small = Encoded(None, [[i] for i in range(1000)], [[1]], [[2]], y, y_val[:1], y_val[:1])
    assert small.subset(rows).val is small.val  # no fewer validation rows than train rows: kept whole
    split = {"train": np.arange(10), "val": np.arange(3)}
    r = np.array([1, 4, 7])
    assert train_part(split, r)["train"].tolist() == [1, 4, 7] and train_part(split, r)["val"] is split["val"]
    assert train_part(split, r, np.array([2]))["val"].tolist() == [2] and train_part(split, None) is split
    assert train_part({"train": ["a", "b", "c"]}, np.array([2]))["train"] == ["c"]
    assert train_part({"train": ["a"], "val": ["b", "c"]}, None, np.array([1])) == {"train": ["a"], "val": ["c"]}


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
