"""How busy the cores were while a notebook ran: a CPU timeline sampled from /proc/stat, and its idle stretches;
with it the machine's memory in use (/proc/meminfo), which counts side-by-side worker processes together.

`src.apps.notebooks run` watches every notebook it executes; the scale record keeps each notebook's longest stretch
with a core idle and which cell it was in (#24's done-when: no core idle for more than a minute at a time). The
timeline is system-wide, so measure on a quiet machine; /proc/stat is Linux's, and elsewhere nothing is recorded.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

INTERVAL_S = 2.0  # seconds per sample: fine enough for a one-minute criterion, cheap (one small file read)
IDLE_CORE = 0.5  # a sample has "a core idle" when at least this many cores' worth of its time was idle
KEEP = 3  # longest idle stretches kept per notebook (where to look first)
SLOWEST = 6  # longest cells kept per notebook (where the time goes)
STAT = Path("/proc/stat")
MEMINFO = Path("/proc/meminfo")


def read_stat(path: Path = STAT) -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores together since boot (None where /proc/stat is not readable)."""
    try:
        fields = [int(x) for x in path.read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    if len(fields) < 8:
        return None
    idle = fields[3] + fields[4]  # idle + iowait: a core waiting on the disk is not computing either
    return sum(fields) - idle, sum(fields)


def used_mb(path: Path = MEMINFO) -> float | None:
    """Memory in use on the whole machine (MemTotal - MemAvailable), in MB (None where /proc/meminfo is not readable).

    Unlike a process's peak RSS it adds up processes running at once (a notebook's workers side by side)."""
    try:
        kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in path.read_text().splitlines() if ":" in ln)}
        return (kb["MemTotal"] - kb["MemAvailable"]) / 1024
    except (OSError, ValueError, KeyError, IndexError):
        return None


def busy_cores(prev: tuple[int, int], cur: tuple[int, int], cores: int) -> float:
    """Average number of busy cores between two readings."""
    total = cur[1] - prev[1]
    return cores * (cur[0] - prev[0]) / total if total > 0 else 0.0


def idle_stretches(busy: list[float], cores: int, interval: float = INTERVAL_S) -> list[tuple[float, float]]:
    """(start, length) in seconds of each run of samples with a core idle (busy <= cores - IDLE_CORE), longest first."""
    out, start = [], None
    for i, b in enumerate([*busy, float(cores)]):  # a busy sentinel closes the last run
        if b <= cores - IDLE_CORE and start is None:
            start = i
        elif b > cores - IDLE_CORE and start is not None:
            out.append((start * interval, (i - start) * interval))
            start = None
    return sorted(out, key=lambda s: -s[1])


def _when(meta: dict, key: str) -> float:
    """Seconds since the epoch of one of papermill's per-cell times (ISO text, UTC)."""
    t = datetime.fromisoformat(str(meta[key]).replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def cell_times(cells: list) -> list[tuple[int, float, float]]:
    """(1-based code-cell index, start, end) of every code cell papermill timed (seconds since the epoch)."""
    code = [c for c in cells if c.get("cell_type") == "code" and c.get("source", "").strip()]
    out = []
    for i, cell in enumerate(code, 1):
        meta = cell.get("metadata", {}).get("papermill", {})
        try:
            out.append((i, _when(meta, "start_time"), _when(meta, "end_time")))
        except (KeyError, TypeError, ValueError):  # a cell papermill did not time (not run)
            continue
    return out


def cell_at(cells: list, t: float) -> int | None:
    """1-based index of the code cell running at wall-clock time `t` (papermill's per-cell start/end metadata)."""
    return next((i for i, start, end in cell_times(cells) if start <= t <= end), None)


def slowest_cells(cells: list, keep: int = SLOWEST) -> list[dict]:
    """The `keep` longest code cells, longest first: [{"cell": 1-based code-cell index, "seconds": wall}]."""
    timed = [{"cell": i, "seconds": round(end - start, 1)} for i, start, end in cell_times(cells)]
    return sorted(timed, key=lambda c: -c["seconds"])[:keep]


class CpuWatch:
    """Samples busy cores every `interval` seconds on a daemon thread while the `with` block runs."""

    def __init__(self, cores: int, interval: float = INTERVAL_S) -> None:
        self.cores, self.interval, self.started = cores, interval, 0.0
        self.busy: list[float] = []  # busy cores per sample
        self.used: list[float] = []  # machine memory in use per sample, MB (the first: before the block started)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample_memory(self) -> None:
        if (mb := used_mb()) is not None:
            self.used.append(mb)

    def _loop(self) -> None:
        prev = read_stat()
        self._sample_memory()
        while prev is not None and not self._stop.wait(self.interval):
            cur = read_stat()
            if cur is None:
                return
            self.busy.append(busy_cores(prev, cur, self.cores))
            self._sample_memory()
            prev = cur
        if prev is not None and not self.busy and (cur := read_stat()) is not None:
            self.busy.append(busy_cores(prev, cur, self.cores))  # a block shorter than one interval: one sample

    def __enter__(self) -> CpuWatch:
        self.started = time.time()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, cells: list | None = None) -> dict:
        """Longest idle-core stretches (with the cell each began in), share of samples with a core idle; {} if unmeasured."""
        if not self.busy:
            return {}
        stretches = idle_stretches(self.busy, self.cores, self.interval)
        kept = [
            {"start_s": s, "seconds": n, "cell": cell_at(cells or [], self.started + s)} for s, n in stretches[:KEEP]
        ]
        idle = sum(b <= self.cores - IDLE_CORE for b in self.busy) / len(self.busy)
        memory = {}
        if self.used:  # the rise over what was in use when it started: the notebook's kernel and workers together
            memory = {"peak_used_mb": round(max(self.used)), "peak_added_mb": round(max(self.used) - self.used[0])}
        return memory | {
            "longest_idle_core_seconds": stretches[0][1] if stretches else 0.0,
            "idle_core_share": round(idle, 3),
            "idle_core_stretches": kept,
            "cpu_sample_seconds": self.interval,
            "slowest_cells": slowest_cells(cells or []),
        }
