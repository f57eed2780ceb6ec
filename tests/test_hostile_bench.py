"""`make bench`'s bounded-input rows (src/apps/bench_inputs.py), at --quick size on a tiny bundle: the huge word
is refused under the default cap and scored under a raised one, the long-lines file is scored, each within its bound."""

from __future__ import annotations

from pathlib import Path

from src.apps.bench_inputs import measure_inputs
from src.serving import onnx_export
from tests.hostile_files import tiny_checkpoint


def test_bounded_input_rows_for_bench_json(tmp_path: Path):
    folder = onnx_export.export(tiny_checkpoint(tmp_path / "tiny.pt"))
    rows = measure_inputs(folder, tmp_path, quick=True)
    assert set(rows) == {"single_word_4mb_line_peak_rss", "long_lines_64mb_file_peak_rss"}
    word, lines = rows["single_word_4mb_line_peak_rss"], rows["long_lines_64mb_file_peak_rss"]
    assert word["default_cap_exit_code"] == 2 and word["exit_code"] == lines["exit_code"] == 0
    for row in rows.values():
        assert {"value", "target", "met", "baseline_mb"} <= set(row) and row["met"] is True, row
        assert row["baseline_mb"] <= row["value"] <= float(row["target"].split()[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.pt", "tiny_onnx"]  # its inputs are removed
