"""The user's real path at small scale: a Jigsaw-shaped proxy, then `make scale` (= `make report DATASET=jigsaw`
into its own folder + the scale summary) end to end through the Makefile, the committed GHC outputs untouched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from src.apps.pipeline import NOTEBOOKS
from tests.fixtures import write_ghc

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ["REPORT.md", "results/BestResult.json", "models/bestresult_ghc.pt", "notebooks/BestResult.ipynb"]

pytestmark = pytest.mark.notebooks


def _digest(paths: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256((ROOT / p).read_bytes()).hexdigest() for p in paths if (ROOT / p).is_file()}


def _make_scale(tmp_path: Path, *args: str) -> tuple[Path, Path]:
    """`make scale SCALE=0.01 ...` on a proxy of the synthetic GHC fixture; (its SCALE_DIR, its SCALE_OUT)."""
    source = write_ghc(tmp_path / "source", n_train=600, n_test=200)  # holds ghc/: the proxy's text source
    run_dir, out = tmp_path / "scale", tmp_path / "scale_jigsaw_proxy.json"
    env = {**os.environ, "TOXIC_DATA_DIR": str(source)}
    env.pop("TOXIC_RESULTS_DIR", None), env.pop("TOXIC_MODELS_DIR", None)
    cmd = ["make", "-s", "scale", "SCALE=0.01", f"SCALE_DIR={run_dir}", f"SCALE_OUT={out}", *args]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "budget 60 min: predicted" in res.stdout  # the calibration ran and said what it chose
    return run_dir, out


def _budget(doc: dict, notebooks: set[str]) -> None:
    """The record keeps the budget's measured rates and chosen knobs: the hour profile's on a tiny proxy."""
    b = doc["budget"]
    assert b["budget_minutes"] == 60 and b["limit_seconds"] == 2700 and b["fits"] and b["rates"]["train_rows_per_s"] > 0
    assert b["knobs"] == b["hour_profile_knobs"] and set(b["predicted_seconds"]) == notebooks
    assert 0 < doc["calibration_seconds"] == b["calibration_seconds"] < doc["total_wall_seconds"]
    assert b["references"] and all(r.startswith("results/scale_jigsaw_proxy") for r in b["references"])


def test_make_scale_on_a_small_proxy(tmp_path: Path) -> None:
    """~1,600 train and ~1,500 test rows of proxy built from the synthetic GHC fixture, every notebook in full (not quick) mode."""
    before = _digest(COMMITTED)
    run_dir, out = _make_scale(tmp_path, "SCALE_VARIANTS=implied")
    run_dir = run_dir / "implied"
    doc = json.loads(out.read_text())
    assert doc["variant"] == "implied"
    assert doc["rows"] == {"train": 1596, "test": 1532, "test_scored": 640}
    assert set(doc["notebooks"]) == set(NOTEBOOKS)  # every notebook of `make report`
    for nb, t in doc["notebooks"].items():
        assert t["wall_seconds"] > 0 and t["peak_rss_mb"] > 50 and t["cpu_seconds"] > 0, (nb, t)
        slack = 0.01 + 0.05 * (1 + t["cpu_per_wall"]) / t["wall_seconds"]  # both times are rounded to 0.1 s
        assert t["cpu_per_wall"] == pytest.approx(t["cpu_seconds"] / t["wall_seconds"], abs=slack)
        assert 0 <= t["longest_idle_core_seconds"] <= t["wall_seconds"] + 2 and 0 <= t["idle_core_share"] <= 1
    assert isinstance(doc["limits"]["no_core_idle_over_60s"], bool)  # every notebook had its CPU timeline
    _budget(doc, set(doc["notebooks"]))
    assert doc["budget"]["rates"]["tfidf_rows_per_s"] > 0  # the baseline ran: its probe too
    base = doc["notebooks"]["BaseAttention"]
    assert base["train_rows_per_s"] > 0 and doc["limits"]["total_wall_seconds_le_3600"]
    assert base["checkpoint"] == "baseattention_jigsaw.pt" and base["train_tokens_per_s"] > base["train_rows_per_s"]
    assert base["params"]["sweep_sample"] == 20000 and base["params"]["seeds"] == [0, 1, 2, 3]  # the hour profile
    for nb in doc["notebooks"]:  # the executed notebooks and results went to the run folder, not notebooks/
        assert (run_dir / "notebooks" / f"{nb}.ipynb").is_file() and (run_dir / "results" / f"{nb}.json").is_file()
    assert json.loads((run_dir / "results" / "baseline.json").read_text())["dataset"] == "jigsaw"
    assert "notebooks on the **jigsaw** data" in (run_dir / "REPORT.md").read_text()  # its own report
    assert _digest(COMMITTED) == before


def test_make_scale_runs_each_variant_into_its_own_record(tmp_path: Path) -> None:
    """Both variants (one notebook each, to stay fast): their own run folder, data and record file."""
    run_dir, out = _make_scale(tmp_path, "NOTEBOOKS=LookAtData")  # SCALE_VARIANTS: the default, both
    records = {
        v: json.loads(p.read_text())
        for v, p in (("implied", out), ("conditional", out.with_name(f"{out.stem}_conditional.json")))
    }
    for variant, doc in records.items():
        assert doc["variant"] == variant and set(doc["notebooks"]) == {"LookAtData"}
        assert doc["rows"] == {"train": 1596, "test": 1532, "test_scored": 640}
        _budget(doc, {"LookAtData"})
        assert doc["budget"]["rates"]["tfidf_rows_per_s"] is None  # no baseline in this run: no TF-IDF probe
        assert (run_dir / variant / "results" / "LookAtData.json").is_file()
    a, b = ((run_dir / v / "data" / "jigsaw" / "train.csv").read_bytes() for v in ("implied", "conditional"))
    assert a != b
