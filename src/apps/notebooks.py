"""Execute a notebook top to bottom with papermill in the project's kernel, strip run metadata, check hygiene.

python -m src.apps.notebooks run notebooks/baseline.ipynb -p dataset ghc [-o out.ipynb]
python -m src.apps.notebooks check notebooks/*.ipynb   (pre-commit, make lint)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
from pathlib import Path

import nbformat

from src import ROOT
from src.apps.cpu_watch import CpuWatch
from src.common.machine import machine_record
from src.common.results import results_dir, write_json

MAX_CELL_LINES = 15  # a notebook cell tells one step; anything longer lives in src/
KEEP_CELL_META = {"tags"}  # `parameters` / `injected-parameters` tags are all we need
KERNEL = "toxic-small"  # the Jupyter kernel `make venv` installs into .venv (runs .venv/bin/python)
KERNELSPEC = {"display_name": "toxic-small (.venv)", "language": "python", "name": KERNEL}


def _terminal(text: str) -> str:
    """What a terminal would show: for each line only what follows its last carriage return (tqdm redraws)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout/stderr chunks and keep only the final state of progress bars."""
    merged: list = []
    for out in outputs:
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1]["name"] == out["name"]
        ):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream":
            out["text"] = _terminal(out["text"])
    return [o for o in merged if o.get("output_type") != "stream" or o["text"].strip()]


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove papermill/editor metadata and progress-bar redraws so diffs show content only."""
    nb.metadata = nbformat.from_dict({k: v for k, v in nb.metadata.items() if k in {"kernelspec", "language_info"}})
    nb.metadata["kernelspec"] = nbformat.from_dict(KERNELSPEC)  # JupyterLab opens it in the project's kernel
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in KEEP_CELL_META})
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    return nb


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def run(
    path: str | Path, params: dict | None = None, output: str | Path | None = None, cwd: str | Path | None = None
) -> Path:
    """Run `path` with papermill (parameters injected), strip metadata, write to `output` (default: in place)."""
    import papermill as pm

    path = Path(path)
    output = Path(output) if output else path
    t0 = time.perf_counter()
    with CpuWatch(torch_threads()) as watch:
        pm.execute_notebook(
            str(path),
            str(output),
            parameters=params or {},
            cwd=str(cwd or ROOT),
            progress_bar=False,
            kernel_name=kernel_name(),
        )
    seconds = time.perf_counter() - t0
    nb = nbformat.read(output, as_version=4)
    cpu = watch.summary(nb.cells)  # before strip: papermill's per-cell times say which cell left a core idle
    nbformat.write(strip(nb), output)
    record_time(path.stem, seconds, params or {}, cpu)
    return output


def kernel_name() -> str:
    """The project's kernel when installed (`make venv`), else the default python3 kernel of this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL if KERNEL in KernelSpecManager().find_kernel_specs() else "python3"


def problems(path: str | Path) -> list[str]:
    """What keeps a committed notebook from being one clean top-to-bottom run (empty list: none)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # any unreadable file is reported, not raised: the check lists every notebook
        return [f"{path}: not readable as a notebook ({e})"]
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    out = []
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        out.append(f"{path}: execution counts {counts[:8]}... are not 1..{len(code)}: rerun it top to bottom")
    errors = sum(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    if errors:
        out.append(f"{path}: {errors} error output(s)")
    extra = set(nb.metadata) - {"kernelspec", "language_info"}
    if extra:
        out.append(f"{path}: run metadata {sorted(extra)} left in: run it through `python -m src.apps.notebooks`")
    return out + style_problems(path, code)


def style_problems(path: str | Path, code: list) -> list[str]:
    """Thin-notebook rules: code cells of at most MAX_CELL_LINES lines and no function or class definitions."""
    out = []
    for i, cell in enumerate(code, 1):
        lines = cell.source.strip().splitlines()
        if len(lines) > MAX_CELL_LINES:
            out.append(
                f"{path}: code cell {i} has {len(lines)} lines (> {MAX_CELL_LINES}): move the logic to src/studies/"
            )
        if any(line.lstrip().startswith(("def ", "class ", "async def ")) for line in lines):
            out.append(f"{path}: code cell {i} defines a function or class: move it to src/studies/")
    return out


def peak_rss_mb() -> float:
    """Largest peak RSS of any finished child process (the kernel and the workers it spawned), in MB.

    Linux carries a waited-for child's own children into it, so this covers every process a notebook ran.
    """
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU seconds of every finished child process (the kernel and its workers, as for peak RSS)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record_time(notebook: str, seconds: float, params: dict, timeline: dict | None = None) -> None:
    """Keep the last wall time, peak memory, CPU time and idle-core stretches (`timeline`, src.apps.cpu_watch) of
    each notebook in results/notebook_times.json."""
    path = results_dir() / "notebook_times.json"
    times = json.loads(path.read_text()) if path.is_file() else {}
    times[notebook] = {"seconds": round(seconds, 1), "params": params, "threads": torch_threads()}
    times[notebook]["peak_rss_mb"] = round(peak_rss_mb())
    cpu = cpu_seconds()  # over wall time: ~2 when both cores of a 2-core machine are busy throughout
    times[notebook] |= {"cpu_seconds": round(cpu, 1), "cpu_per_wall": round(cpu / max(seconds, 1e-9), 2)}
    times[notebook] |= timeline or {}
    times[notebook] |= machine_record()  # torch picks kernels by CPU: another CPU may give other training bits
    write_json(path, times)


def torch_threads() -> int:
    """CPU cores the kernel could use (the notebooks set torch to this many threads)."""
    return os.cpu_count() or 1


def main() -> None:
    """CLI: run one notebook with -p NAME VALUE parameters."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["run", "strip", "check"])
    ap.add_argument("notebook", nargs="+")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if a.cmd == "check":
        found = [msg for path in a.notebook for msg in problems(path)]
        print("\n".join(found) or f"{len(a.notebook)} notebook(s) clean")
        raise SystemExit(1 if found else 0)
    if len(a.notebook) > 1:
        ap.error(f"{a.cmd} takes one notebook")
    if a.cmd == "strip":
        nb = nbformat.read(a.notebook[0], as_version=4)
        nbformat.write(strip(nb), a.output or a.notebook[0])
        return
    run(a.notebook[0], {k: _value(v) for k, v in a.p}, a.output)


if __name__ == "__main__":
    main()
