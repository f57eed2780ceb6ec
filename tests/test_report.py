"""src.report.render fills REPORT.md's marked tables from results files and leaves everything else alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from src.common.results import write_results
from src.evaluation.metrics import evaluate_model
from src.evaluation.records import model_entry
from src.report.render import NOT_RUN, fill, render

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = """# Title

Hand-written intro that must survive.

<!-- BEGIN table:data -->
old data
<!-- END table:data -->

Middle text.

<!-- BEGIN table:models -->
<!-- END table:models -->

<!-- BEGIN table:per_label -->
x
<!-- END table:per_label -->

<!-- BEGIN table:published -->
<!-- END table:published -->

<!-- BEGIN table:time -->
<!-- END table:time -->

Closing words.
"""


def _results(toxic_env: dict[str, Path]) -> None:
    labels = ["hd", "cv", "vo"]
    rng = np.random.default_rng(0)
    y = (rng.random((60, 3)) < 0.3).astype(int)
    p = np.clip(y * 0.5 + rng.random((60, 3)) * 0.6, 0, 1)
    scores = evaluate_model(y, p, y, p, labels, {"hate": ("hd", "cv")})
    models = {"tfidf_lr": model_entry(1234, 1234, 5_000_000, scores), "other": model_entry(10, 5, 100, scores)}
    write_results("baseline", "ghc", labels, models=models, best="tfidf_lr")
    look = {
        "dataset": "ghc",
        "labels": labels,
        "counts": {s: {"hd": 3, "cv": 1, "vo": 2, "rows": 10} for s in ("train", "validation", "test")},
        "rates": {s: {"hd": 0.3, "cv": 0.1, "vo": 0.2, "all_zero": 0.6} for s in ("train", "validation", "test")},
        "all_zero_share": 0.6,
        "length_quantiles": {"clean": {"q90": 47.0, "q95": 57.0}},
    }
    (toxic_env["results"] / "LookAtData.json").write_text(json.dumps(look))


def test_render_fills_markers_and_keeps_text(tmp_path: Path, toxic_env: dict[str, Path]) -> None:
    _results(toxic_env)
    report = tmp_path / "REPORT.md"
    report.write_text(TEMPLATE)
    text = render(report, toxic_env["results"], wall_seconds=125)
    for keep in ("# Title", "Hand-written intro that must survive.", "Middle text.", "Closing words."):
        assert keep in text
    assert "old data" not in text and "\nx\n" not in text
    assert "| hd | 3 | 3 | 3 | 0.300 |" in text
    assert "| baseline | tfidf_lr * | ghc | 1234 | 1234 | 5.0 MB |" in text
    assert "| baseline | other | ghc | 10 | 5 |" in text
    assert "report (Jigsaw, as published)" in text and "F1 micro 0.69, F1 macro 0.42" in text
    assert "125 s (2.1 min)" in text
    assert json.loads((toxic_env["results"] / "report_time.json").read_text()) == {"wall_seconds": 125}
    # Idempotent: a second run changes nothing, and the stored wall time is reused.
    assert render(report, toxic_env["results"]) == text
    for name in ("data", "models", "per_label", "published", "time"):
        assert text.count(f"<!-- BEGIN table:{name} -->") == 1 and text.count(f"<!-- END table:{name} -->") == 1


def test_missing_results_say_not_run(tmp_path: Path, toxic_env: dict[str, Path]) -> None:
    report = tmp_path / "REPORT.md"
    report.write_text(TEMPLATE)
    text = render(report, toxic_env["results"])
    assert text.count(NOT_RUN) == 4  # data, models, per_label, time; the published block is static
    assert "Closing words." in text


def test_fill_leaves_unknown_markers() -> None:
    text = "a\n<!-- BEGIN table:other -->\nkeep\n<!-- END table:other -->\n"
    assert fill(text, "data", "new") == text


def test_cli(tmp_path: Path, toxic_env: dict[str, Path]) -> None:
    _results(toxic_env)
    report = tmp_path / "REPORT.md"
    report.write_text(TEMPLATE)
    cmd = [
        sys.executable,
        "-m",
        "src.report.render",
        "--results",
        str(toxic_env["results"]),
        "--report",
        str(report),
    ]
    subprocess.run([*cmd, "--wall-seconds", "60"], check=True, cwd=ROOT, capture_output=True)
    assert "60 s (1.0 min)" in report.read_text()


def test_repo_report_has_markers() -> None:
    text = (ROOT / "REPORT.md").read_text()
    for name in ("data", "models", "per_label", "published", "time"):
        assert f"<!-- BEGIN table:{name} -->" in text and f"<!-- END table:{name} -->" in text
