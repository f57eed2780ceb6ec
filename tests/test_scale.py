"""The user's real path at small scale: a Jigsaw-shaped proxy, then `make scale` (= `make report DATASET=jigsaw`
into its own folder + the scale summary) end to end through the Makefile, the committed GHC outputs untouched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures import write_ghc

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ["REPORT.md", "results/BestResult.json", "models/bestresult_ghc.pt", "notebooks/BestResult.ipynb"]

pytestmark = pytest.mark.notebooks


def _digest(paths: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256((ROOT / p).read_bytes()).hexdigest() for p in paths if (ROOT / p).is_file()}


def test_make_scale_on_a_small_proxy(tmp_path: Path) -> None:
    """~1,600 train and ~1,500 test rows of proxy built from the synthetic GHC fixture, every notebook in full (not quick) mode."""
    source = write_ghc(tmp_path / "source", n_train=600, n_test=200)  # holds ghc/: the proxy's text source
    before = _digest(COMMITTED)
    run_dir, out = tmp_path / "scale", tmp_path / "scale_jigsaw_proxy.json"
    env = {**os.environ, "TOXIC_DATA_DIR": str(source)}
    env.pop("TOXIC_RESULTS_DIR", None), env.pop("TOXIC_MODELS_DIR", None)
    cmd = ["make", "-s", "scale", "SCALE=0.01", f"SCALE_DIR={run_dir}", f"SCALE_OUT={out}"]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["rows"] == {"train": 1596, "test": 1532, "test_scored": 640}
    assert set(doc["notebooks"]) == {
        "LookAtData",
        "baseline",
        "Teacher",
        "BaseAttention",
        "BestResult",
        "Shrink",
        "Behaviour",
    }
    for nb, t in doc["notebooks"].items():
        assert t["wall_seconds"] > 0 and t["peak_rss_mb"] > 50, (nb, t)
    base = doc["notebooks"]["BaseAttention"]
    assert base["train_rows_per_s"] > 0 and doc["limits"]["total_wall_seconds_le_3600"]
    assert base["checkpoint"] == "baseattention_jigsaw.pt" and base["train_tokens_per_s"] > base["train_rows_per_s"]
    assert base["params"]["sweep_sample"] == 20000 and base["params"]["seeds"] == [0, 1, 2]  # the hour profile
    for nb in doc["notebooks"]:  # the executed notebooks and results went to the run folder, not notebooks/
        assert (run_dir / "notebooks" / f"{nb}.ipynb").is_file() and (run_dir / "results" / f"{nb}.json").is_file()
    assert json.loads((run_dir / "results" / "baseline.json").read_text())["dataset"] == "jigsaw"
    assert "Tables below: the `jigsaw` run" in (run_dir / "REPORT.md").read_text()
    assert _digest(COMMITTED) == before
