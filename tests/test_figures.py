"""src.report.figures draws the report's figures from results files only; src.report.published holds the report's
numbers exactly as the seed report gives them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from src import ROOT
from src.report import published
from src.report.figures import FIGURES, draw_all, learning_curve, load_docs, size_answer
from src.report.figures_common import model_points, save, style

RESULTS = ROOT / "results"
SEED_REPORT = Path(ROOT).parent / "shared" / "seed-report.md"
PNG = b"\x89PNG\r\n\x1a\n"


def test_draw_all_on_committed_results(tmp_path: Path):
    written = draw_all(RESULTS, tmp_path)
    assert len(written) >= 7 and set(written) <= set(FIGURES)
    for name, path in written.items():
        assert path == tmp_path / f"{name}.png" and path.read_bytes()[:8] == PNG
        assert path.stat().st_size < 200_000, f"{name} is {path.stat().st_size} bytes"


def test_missing_files_skip_their_figures(tmp_path: Path):
    part = tmp_path / "results"
    part.mkdir()
    for name in ("LookAtData", "BestResult"):
        shutil.copy(RESULTS / f"{name}.json", part)
    (part / "Shrink.json").write_text("{not json")  # unreadable counts as absent
    written = draw_all(part, tmp_path / "out")
    assert set(written) == {"data", "headline", "per_label_f1"}
    assert draw_all(tmp_path / "empty", tmp_path / "out2") == {}


def test_learning_curve_drawn_from_stored_history_same_bytes_twice(tmp_path: Path):
    doc = json.loads((RESULTS / "BaseAttention.json").read_text())
    doc["models"]["report_setting"]["val_auc_per_epoch"] = [0.6, 0.65, 0.7]
    docs = {"BaseAttention": doc}
    with style():
        first = save(learning_curve(docs), tmp_path / "a.png").read_bytes()
        second = save(learning_curve(docs), tmp_path / "b.png").read_bytes()
    assert first[:8] == PNG and first == second


def test_size_answer_is_the_smallest_model_meeting_each_criterion():
    docs = load_docs(RESULTS)
    ans, pts = size_answer(docs), model_points(docs)
    pts = pts[pts.notebook != "baseline"]
    base = ans["baseline"]
    match, beat = ans["matches"], ans["beats"]
    assert match is not None and match["mean"] >= ans["baseline"]
    assert not (pts[pts.params < match["params"]]["mean"] >= ans["baseline"]).any()
    if beat is not None:
        assert beat["n_seeds"] >= ans["min_seeds"] and beat["mean"] - beat["std"] > base
        assert beat["params"] >= match["params"]


def _tables(markdown: str) -> dict[str, list[list[list[str]]]]:
    """{section title: [table rows (header and separator dropped) as cell lists]} of a Markdown file."""
    out: dict[str, list] = {}
    section, block = "", None
    for line in markdown.splitlines() + [""]:
        line = line.strip()
        if line.startswith("## "):
            section = line[3:]
        if line.startswith("|"):
            block = [] if block is None else block
            block.append([c.strip() for c in line.strip("|").split("|")])
        elif block is not None:
            out.setdefault(section, []).append(block[2:])
            block = None
    return out


@pytest.mark.skipif(not SEED_REPORT.is_file(), reason="../shared/seed-report.md is not beside the repository")
def test_published_numbers_match_the_seed_report():
    text = SEED_REPORT.read_text()
    tables = {title.split(" (")[0]: t for title, t in _tables(text).items()}
    as_str = lambda d: [[k, str(v)] for k, v in d.items()]  # noqa: E731
    assert tables["Baseline"][0] == as_str(published.BASELINE)
    assert tables["Model 1"][0] == as_str(published.TINY_TRANSFORMER)
    assert tables["Model 2"][0] == as_str(published.GLOVE)
    per_label = [
        [lab, *(str(v[k]) for k in ("precision", "recall", "f1", "support"))] for lab, v in published.PER_LABEL.items()
    ]
    assert tables["Model 2"][1] == per_label
    assert re.search(r"labels: ([\w, ]+)\.", text).group(1).split(", ") == list(published.LABELS)
    assert f"~{published.LEADERBOARD_TOP_PRIVATE}" in text and "200 tokens cover 0.9" in text


def test_published_rows_keep_the_reports_digits():
    text = " | ".join(t for _, t in published.published_rows())
    assert "F1 micro 0.69, F1 macro 0.42" in text and "threat 0.00" in text and "precision micro 0.0914" in text
    assert published.OUR_PATH["f1 micro"] == ("at_0.5", "f1", "micro")
    assert published.OUR_PATH["roc_auc macro"] == ("roc_auc", "macro")
