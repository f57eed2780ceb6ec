"""`make bench`'s bounded-input check: peak RSS of the predict CLI (ONNX backend) on a 64 MB single-word line and on
a 1 GB file of long lines, each against a stated bound (issue #22).

Each input is scored by a fresh predict CLI child, which reports its own peak RSS (VmHWM at exit), so nothing of
the bench process counts. The bound of a run is the peak of the same child on a few short
lines plus 4 x (one input chunk, 32 MB, + the line cap in use): the raw chunk, its decoded text, one transient copy
and the tokenizer's pieces, but nothing that grows with the file or with a word's length.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from src import ROOT

MB = 1 << 20
WORD_BYTES, FILE_BYTES, LONG_LINE_BYTES = 64 * MB, 1 << 30, 512 << 10  # full run; --quick divides the first two by 16
QUICK_DIVISOR = 16
HOW = (
    "predict CLI, ONNX backend, 1 thread, fresh child per input; peak RSS = the child's VmHWM at exit; "
    "bound = the same child's peak on short lines + 4 x (32 MB input chunk + the line cap in use)"
)
_WORDS = b"you are a lovely person and this is a long comment about the weather in the park "


# Runs the predict CLI and, at exit, writes its own VmHWM: a child's ru_maxrss (wait4, RUSAGE_CHILDREN) would not
# do, Linux carries the parent's high-water mark into it at exec.
_CHILD = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(os.environ["TOXIC_PEAK_FILE"], "w") as f:
        f.write(str(kb))
atexit.register(_peak)
runpy.run_module("src.apps.predict", run_name="__main__", alter_sys=True)
"""


def predict_peak(
    args: list, stdin=subprocess.DEVNULL, timeout: float | None = None
) -> tuple[subprocess.CompletedProcess, float | None]:
    """The predict CLI with `args` in a fresh child -> (result, its own peak RSS in MB; None if it never exited)."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as f:
        env = {**os.environ, "TOXIC_PEAK_FILE": f.name}
        cmd = [sys.executable, "-c", _CHILD, *map(str, args)]
        res = subprocess.run(cmd, stdin=stdin, capture_output=True, cwd=ROOT, env=env, timeout=timeout, check=False)
        text = Path(f.name).read_text()
    return res, int(text) / 1024 if text else None


def peak_rss(model: Path, path: Path, *args: str) -> tuple[int, float]:
    """(exit code, peak RSS in MB) of the predict CLI scoring `path` with the ONNX bundle `model`."""
    res, peak = predict_peak(["--model", model, "--backend", "onnx", "--threads", 1, "--quiet", *args, path])
    return res.returncode, float("nan") if peak is None else peak


def write_inputs(folder: Path, word_bytes: int, file_bytes: int) -> dict[str, Path]:
    """A few short lines; one line holding a single `word_bytes` word; `file_bytes` of LONG_LINE_BYTES lines of words."""
    paths = {name: folder / f"{name}.txt" for name in ("short", "word", "long")}
    paths["short"].write_bytes(b"have a nice day\nyou are a worthless idiot\n\nthanks\n")
    with open(paths["word"], "wb") as f:
        f.write(b"first line\n")
        for _ in range(word_bytes // MB):
            f.write(b"a" * MB)
        f.write(b"\nlast line\n")
    line = (_WORDS * (LONG_LINE_BYTES // len(_WORDS) + 1))[: LONG_LINE_BYTES - 1] + b"\n"
    with open(paths["long"], "wb") as f:
        for _ in range(file_bytes // LONG_LINE_BYTES):
            f.write(line)
    return paths


def _entry(code: int, peak: float, base: float, cap: int, **info) -> dict:
    from src.serving.predict import CHUNK_BYTES  # imported only when measuring (keeps the bench import light)

    bound = base + 4 * (CHUNK_BYTES + cap) / MB
    met = code == 0 and peak <= bound
    return {"value": round(peak, 1), "target": f"<= {bound:.0f} MB", "met": met, "exit_code": code, **info}


def measure_inputs(bundle: Path, folder: Path, quick: bool = False) -> dict:
    """Goal-shaped rows ({value, target, met, ...}) for bench.json: peak RSS of the huge-word and long-lines runs."""
    from src.serving.limits import MAX_LINE_BYTES

    div = QUICK_DIVISOR if quick else 1
    word, size = WORD_BYTES // div, FILE_BYTES // div
    paths = write_inputs(folder, word, size)
    try:
        _, base = peak_rss(bundle, paths["short"])
        refused, refused_peak = peak_rss(bundle, paths["word"])  # default cap: the line is refused, never read whole
        cap = word + MB
        code, peak = peak_rss(bundle, paths["word"], "--max-line-bytes", str(cap))
        long_code, long_peak = peak_rss(bundle, paths["long"])
    finally:
        for p in paths.values():
            p.unlink(missing_ok=True)
    word_row = _entry(code, peak, base, cap, line_cap_bytes=cap, default_cap_exit_code=refused)
    word_row["default_cap_peak_rss_mb"] = round(refused_peak, 1)  # refused (exit 2) before the line is read whole
    long_row = _entry(long_code, long_peak, base, MAX_LINE_BYTES, line_bytes=LONG_LINE_BYTES, file_bytes=size)
    for row in (word_row, long_row):
        row.update(baseline_mb=round(base, 1), how=HOW)
    return {f"single_word_{word // MB}mb_line_peak_rss": word_row, f"long_lines_{size // MB}mb_file_peak_rss": long_row}
