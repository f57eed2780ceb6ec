"""The CPU timeline behind the scale record's idle-core stretches (src.apps.cpu_watch)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from src.apps.cpu_watch import CpuWatch, busy_cores, cell_at, idle_stretches, read_stat, slowest_cells, used_mb


def test_idle_stretches_are_runs_of_samples_with_a_core_idle_longest_first() -> None:
    busy = [2.0, 1.2, 1.0, 1.9, 0.3, 0.2, 0.1, 2.0, 1.4]  # 2 cores: <= 1.5 busy means a core idle
    assert idle_stretches(busy, cores=2, interval=2.0) == [(8.0, 6.0), (2.0, 4.0), (16.0, 2.0)]
    assert idle_stretches([2.0, 1.8], cores=2) == []


def test_busy_cores_from_two_readings() -> None:
    assert busy_cores((100, 400), (250, 600), cores=2) == pytest.approx(1.5)  # 150 of 200 jiffies busy
    assert busy_cores((100, 400), (100, 400), cores=2) == 0.0  # no time passed: nothing measured


def test_read_stat_counts_iowait_as_idle_and_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  10 2 3 50 5 1 1 0 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n")
    assert read_stat(stat) == (17, 72)  # busy: user+nice+system+irq+softirq+steal; total: the first 8 fields
    stat.write_text("not a stat file\n")
    assert read_stat(stat) is None
    assert read_stat(tmp_path / "missing") is None


def test_cell_at_names_the_code_cell_running_then() -> None:
    def cell(start: str, end: str) -> dict:
        return {
            "cell_type": "code",
            "source": "x = 1",
            "metadata": {"papermill": {"start_time": start, "end_time": end}},
        }

    cells = [
        {"cell_type": "markdown", "source": "# title"},
        cell("2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z"),
        cell("2026-01-01T00:00:10Z", "2026-01-01T00:01:00Z"),
    ]
    t0 = 1767225600.0  # 2026-01-01T00:00:00Z
    assert cell_at(cells, t0 + 5) == 1 and cell_at(cells, t0 + 30) == 2 and cell_at(cells, t0 + 99) is None
    assert slowest_cells(cells) == [{"cell": 2, "seconds": 50.0}, {"cell": 1, "seconds": 10.0}]
    assert slowest_cells(cells, keep=1) == [{"cell": 2, "seconds": 50.0}]
    assert slowest_cells([{"cell_type": "code", "source": "x = 1", "metadata": {}}]) == []  # not run: not timed


@pytest.mark.skipif(read_stat() is None, reason="no /proc/stat (not Linux)")
def test_watch_samples_while_the_block_runs() -> None:
    with CpuWatch(cores=2, interval=0.05) as watch:
        time.sleep(0.3)
    summary = watch.summary()
    assert len(watch.busy) >= 3 and all(0 <= b <= 2 for b in watch.busy)
    assert 0 <= summary["idle_core_share"] <= 1 and summary["cpu_sample_seconds"] == 0.05
    assert summary["longest_idle_core_seconds"] <= 0.05 * len(watch.busy)
    if used_mb() is not None:  # Linux: the machine's memory in use, sampled with the CPU
        assert len(watch.used) == len(watch.busy) + 1 and summary["peak_used_mb"] >= summary["peak_added_mb"] >= 0


def test_used_memory_is_total_less_available(tmp_path: Path) -> None:
    info = tmp_path / "meminfo"
    info.write_text("MemTotal:       2048000 kB\nMemFree:  100 kB\nMemAvailable:   1024000 kB\n")
    assert used_mb(info) == 1000.0
    info.write_text("MemTotal: 12 kB\n")  # no MemAvailable: not measured
    assert used_mb(info) is None and used_mb(tmp_path / "missing") is None


@pytest.mark.skipif(read_stat() is None, reason="no /proc/stat (not Linux)")
def test_a_block_shorter_than_one_interval_still_gets_a_sample() -> None:
    with CpuWatch(cores=2, interval=60.0) as watch:
        time.sleep(0.05)
    assert len(watch.busy) == 1 and "longest_idle_core_seconds" in watch.summary()
