"""`python -m src.apps.results_diff`: metrics compared, timings skipped, additions apart."""

from __future__ import annotations

import json
import math

import pytest

from src.apps.results_diff import diff, main, timing_key


def test_metrics_compared_timings_skipped_additions_apart() -> None:
    old = {"auc": 0.81, "train_seconds": 12.0, "rows": [1, 2], "m": {"f1": 0.5, "comments_per_s": 9.0, "x": math.nan}}
    new = {"auc": 0.81, "train_seconds": 99.0, "rows": [1, 2], "m": {"f1": 0.5, "comments_per_s": 1.0, "x": math.nan}}
    assert diff(old, new) == ([], [])
    new = {**new, "auc": 0.8100001, "extra": 1, "m": {"f1": 0.5, "x": 1.0}}
    changed, added = diff(old, new)
    assert changed == [".auc: 0.81 -> 0.8100001", ".m.x: nan -> 1.0"] and added == [".extra"]
    assert diff(old, new, tol=1e-6)[0] == [".m.x: nan -> 1.0"]
    assert diff({"a": [1, 2]}, {"a": [1, 2, 3]})[0] == [".a: [1, 2] -> [1, 2, 3]"]
    assert diff({"a": 1}, {})[0] == [".a: removed"]
    assert all(map(timing_key, ["seconds_per_epoch", "peak_rss_mb", "longest_idle_core_seconds", "ghc_test_per_s"]))
    assert not any(map(timing_key, ["roc_auc", "f1", "params", "threshold"]))


def test_cli_exits_1_when_a_metric_moved(tmp_path, capsys) -> None:
    from src.apps.results_diff import committed

    doc = committed("baseline", "HEAD")
    if doc is None:
        pytest.skip("no committed results/baseline.json")
    (tmp_path / "baseline.json").write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as same:
        main(["baseline", "--results", str(tmp_path)])
    assert same.value.code == 0 and "baseline: identical metrics" in capsys.readouterr().out
    doc["best_changed_here"] = 1
    doc["best"] = "another"
    (tmp_path / "baseline.json").write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as moved:
        main(["baseline", "--results", str(tmp_path)])
    out = capsys.readouterr().out
    assert moved.value.code == 1 and "1 changed" in out and "1 keys added" in out and "-> 'another'" in out
