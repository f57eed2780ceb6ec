"""Execute a notebook top to bottom with papermill, then strip run/editor metadata before commit.

python -m src.experiments.notebooks run notebooks/baseline.ipynb -p dataset ghc [-o out.ipynb]
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
from src.experiments.results import results_dir

KEEP_CELL_META = {"tags"}  # `parameters` / `injected-parameters` tags are all we need


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
    pm.execute_notebook(
        str(path),
        str(output),
        parameters=params or {},
        cwd=str(cwd or ROOT),
        progress_bar=False,
        kernel_name="python3",
    )
    seconds = time.perf_counter() - t0
    nb = nbformat.read(output, as_version=4)
    nbformat.write(strip(nb), output)
    record_time(path.stem, seconds, params or {})
    return output


def record_time(notebook: str, seconds: float, params: dict) -> None:
    """Keep the last wall time of each notebook in results/notebook_times.json (shown in REPORT.md)."""
    path = results_dir() / "notebook_times.json"
    times = json.loads(path.read_text()) if path.is_file() else {}
    times[notebook] = {"seconds": round(seconds, 1), "params": params, "threads": torch_threads()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(times, indent=1) + "\n")


def torch_threads() -> int:
    """CPU cores the kernel could use (the notebooks set torch to this many threads)."""
    return os.cpu_count() or 1


def main() -> None:
    """CLI: run one notebook with -p NAME VALUE parameters."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["run", "strip"])
    ap.add_argument("notebook")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if a.cmd == "strip":
        nb = nbformat.read(a.notebook, as_version=4)
        nbformat.write(strip(nb), a.output or a.notebook)
        return
    run(a.notebook, {k: _value(v) for k, v in a.p}, a.output)


if __name__ == "__main__":
    main()
