"""Did a change move any metric? Every value of results/<name>.json against a commit's, timings left out.

python -m src.apps.results_diff [--base HEAD] [BaseAttention BestResult ...]   (default: every notebook)

Prints each notebook's differing paths (old -> new) and exits 1 when any metric moved; keys added since the base
are listed apart (new records are not changed metrics). Timing and memory keys (seconds, rates per second, peak
RSS, cores busy, idle stretches) differ on every run and are skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
from pathlib import Path
from typing import Any

from src import ROOT

TIMING = ("seconds", "_per_s", "per_second", "peak_rss", "rss_mb", "cpu_per_wall", "idle_core", "wall_s", "generate_s")


def timing_key(key: str) -> bool:
    """A key whose value is a time, a rate or a memory figure of this run (never a metric)."""
    return any(t in key for t in TIMING)


def diff(old: Any, new: Any, path: str = "", tol: float = 0.0) -> tuple[list[str], list[str]]:
    """(changed "path: old -> new" lines, paths only in `new`) over two JSON trees, timing keys skipped."""
    changed: list[str] = []
    added: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in old:
            if timing_key(str(k)):
                continue
            if k not in new:
                changed.append(f"{path}.{k}: removed")
                continue
            c, a = diff(old[k], new[k], f"{path}.{k}", tol)
            changed += c
            added += a
        added += [f"{path}.{k}" for k in new if k not in old and not timing_key(str(k))]
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (x, y) in enumerate(zip(old, new, strict=True)):
            c, a = diff(x, y, f"{path}[{i}]", tol)
            changed += c
            added += a
    elif isinstance(old, float) and isinstance(new, float):
        if not (math.isnan(old) and math.isnan(new)) and not abs(old - new) <= tol:
            changed.append(f"{path}: {old!r} -> {new!r}")
    elif old != new:
        changed.append(f"{path}: {old!r} -> {new!r}")
    return changed, added


def committed(name: str, base: str) -> Any:
    """results/<name>.json as committed at `base` (None when it is not there)."""
    res = subprocess.run(["git", "show", f"{base}:results/{name}.json"], cwd=ROOT, capture_output=True, text=True)
    return json.loads(res.stdout) if res.returncode == 0 else None


def main(argv: list[str] | None = None) -> None:
    """CLI: compare the working tree's results files with `--base`'s; exit 1 when a metric moved."""
    from src.apps.pipeline import NOTEBOOKS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(NOTEBOOKS), help="results files (default: every notebook's)")
    ap.add_argument("--base", default="HEAD", help="the commit to compare with")
    ap.add_argument("--results", type=Path, default=ROOT / "results", help="the folder holding the new files")
    ap.add_argument("--tol", type=float, default=0.0, help="largest float difference counted as equal")
    a = ap.parse_args(argv)
    moved = False
    for name in a.names:
        old, path = committed(name, a.base), a.results / f"{name}.json"
        if old is None or not path.is_file():
            print(f"{name}: {'not at ' + a.base if old is None else 'no ' + str(path)}")
            continue
        changed, added = diff(old, json.loads(path.read_text()), name, a.tol)
        moved |= bool(changed)
        print(f"{name}: {'identical' if not changed else f'{len(changed)} changed'} metrics; {len(added)} keys added")
        for line in changed[:20]:
            print("   ", line)
    raise SystemExit(1 if moved else 0)


if __name__ == "__main__":
    main()
