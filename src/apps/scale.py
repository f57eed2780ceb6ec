"""`make scale`: the report at Jigsaw's size on the Jigsaw-shaped proxy, measured per notebook (time, peak memory).

python -m src.apps.scale summarize --results runs/scale_proxy/implied/results --data-root DIR [--variant V] [--out FILE]

`make scale` builds each proxy variant (src/data/proxy.py; SCALE_VARIANTS, default implied and conditional), runs
`make report DATASET=jigsaw` on it into its own folder (the committed GHC results stay) with the time budget, then
this command writes results/scale_jigsaw_proxy.json (implied) or results/scale_jigsaw_proxy_<variant>.json from
what the run recorded: wall seconds, peak RSS, CPU seconds and idle-core stretches per notebook (notebook_times.json),
rows per split, the training throughput of each notebook's saved model, and the budget's measured rates and chosen
knobs (budget.json). The proxy's metrics are never Jigsaw results.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
from pathlib import Path

from src.common.results import write_json
from src.data.datasets import get_spec, load_files

# one hour, 12 GiB per notebook process; and the hour less a 25% margin for slower machines
# and no core idle for more than a minute at a time (src.apps.cpu_watch)
LIMITS = {"total_wall_seconds": 3600, "peak_rss_mb": 12 * 1024, "margin_wall_seconds": 2700, "idle_core_seconds": 60}


def _rows(results: Path, data_root: Path) -> tuple[dict[str, int], int]:
    """({train, test, test_scored} rows of the proxy, rows of the train split), from LookAtData's results file
    when the run has one (no second read of the CSVs), else from the files themselves."""
    path = results / "LookAtData.json"
    if path.is_file():
        doc = json.loads(path.read_text())
        c, unscored = doc["counts"], doc.get("notes", {}).get("test_unscored_excluded", 0)
        train = c["train"]["rows"] + c["validation"]["rows"]
        return {"train": train, "test": c["test"]["rows"] + unscored, "test_scored": c["test"]["rows"]}, c["train"][
            "rows"
        ]
    train, test, notes = load_files(get_spec("jigsaw"), data_root / "jigsaw")
    excluded = notes.get("test_unscored_excluded", 0)
    return {"train": len(train), "test": len(test) + excluded, "test_scored": len(test)}, len(train) * 4 // 5


def _checkpoint(nb: str, doc: dict, models: Path) -> Path | None:
    """The checkpoint a notebook saved for its best model (None if it saves none or the file is missing)."""
    best = str(doc.get("best", ""))
    stem = {"BaseAttention": "baseattention", "BestResult": "bestresult"}.get(nb)
    if nb == "Shrink" and best.startswith("student_"):
        stem = "shrink_" + best.split(":")[0].replace("_", "")
    path = models / f"{stem}_jigsaw.pt" if stem else None
    return path if path is not None and path.is_file() else None


@functools.cache
def _train_texts(data_root: Path) -> tuple[str, ...]:
    """The train split the notebooks used (seed 0), read once for every checkpoint."""
    from src.data.datasets import load_splits

    return tuple(load_splits("jigsaw", root=data_root, seed=0).train["text"])


def _train_tokens(path: Path, data_root: Path) -> int:
    """Tokens per training epoch of a saved model: its tokenizer over the train split the notebooks used."""
    from src.serving.checkpoint import load

    _, tok, _ = load(path)
    return sum(len(ids) for ids in tok.encode(list(_train_texts(data_root))))


def _throughput(nb: str, doc: dict | None, n_train: int, models: Path, data_root: Path) -> dict:
    """Training rows and tokens per second of the notebook's saved model (one epoch incl. its validation pass)."""
    if not doc:
        return {}
    best = (doc.get("models") or {}).get(doc.get("best"), {})
    spe = best.get("seconds_per_epoch")
    if not spe:
        return {}
    out = {"train_seconds_per_epoch": spe, "train_rows_per_s": n_train / spe, "best_model": doc["best"]}
    if (path := _checkpoint(nb, doc, models)) is not None:
        tokens = _train_tokens(path, data_root)
        out |= {"checkpoint": path.name, "train_tokens_per_epoch": tokens, "train_tokens_per_s": tokens / spe}
    return out


def _notebook(t: dict) -> dict:
    """One notebook's line of the record from notebook_times.json."""
    keys: tuple[str, ...] = ("cpu_seconds", "cpu_per_wall", "longest_idle_core_seconds", "idle_core_share")
    keys += ("idle_core_stretches", "slowest_cells")
    keys += ("peak_used_mb", "peak_added_mb")  # the machine's memory: side-by-side workers counted together
    machine = ("cpu", "torch_kernels")  # a record from a slower or different CPU reads differently
    cpu = {k: t[k] for k in keys + machine if k in t}
    return {"wall_seconds": t["seconds"], "peak_rss_mb": t.get("peak_rss_mb"), **cpu, "params": t.get("params")}


def summarize(results: Path, data_root: Path, device: str = "cpu", variant: str = "implied") -> dict:
    """The scale record: rows, total and per-notebook wall time, peak RSS and CPU use, throughput, budget, limits."""
    times = json.loads((results / "notebook_times.json").read_text())
    rows, n_train_split = _rows(results, data_root)
    notebooks = {}
    for nb, t in times.items():
        path = results / f"{nb}.json"
        doc = json.loads(path.read_text()) if path.is_file() else None
        notebooks[nb] = _notebook(t) | _throughput(nb, doc, n_train_split, results.parent / "models", data_root)
    budget = json.loads((results / "budget.json").read_text()) if (results / "budget.json").is_file() else None
    calibration = budget["calibration_seconds"] if budget else 0.0
    total = calibration + sum(n["wall_seconds"] for n in notebooks.values())  # the run's whole time
    peak = max((n["peak_rss_mb"] or 0) for n in notebooks.values())
    cpu = [n["cpu_seconds"] for n in notebooks.values() if "cpu_seconds" in n]
    idle = [n["longest_idle_core_seconds"] for n in notebooks.values() if "longest_idle_core_seconds" in n]
    added = [n["peak_added_mb"] for n in notebooks.values() if "peak_added_mb" in n]
    return {
        "variant": variant,
        "rows": rows,
        "total_wall_seconds": total,
        "calibration_seconds": calibration,
        "cores": os.cpu_count(),
        "device": device,
        "cpu_per_wall": sum(cpu) / max(total - calibration, 1e-9) if len(cpu) == len(notebooks) else None,
        "notebooks": notebooks,
        "peak_rss_mb": peak,
        # the largest rise of the machine's memory in use over a notebook's start (its processes together)
        "peak_added_mb": max(added) if len(added) == len(notebooks) else None,
        "budget": budget,
        "limits": {
            "total_wall_seconds_le_3600": total <= LIMITS["total_wall_seconds"],
            "total_wall_seconds_le_2700": total <= LIMITS["margin_wall_seconds"],
            "every_notebook_peak_rss_le_12gib": peak <= LIMITS["peak_rss_mb"],
            "every_notebook_processes_together_le_12gib": (
                max(added) <= LIMITS["peak_rss_mb"] if len(added) == len(notebooks) else None
            ),
            # None: a notebook ran without the CPU timeline (not Linux, or a record from before src.apps.cpu_watch)
            "no_core_idle_over_60s": max(idle) <= LIMITS["idle_core_seconds"] if len(idle) == len(notebooks) else None,
        },
        "note": "Jigsaw-shaped proxy built from GHC text (src/data/proxy.py): time and memory only, never Jigsaw results",
    }


def main(argv: list[str] | None = None) -> None:
    """CLI: write the scale record from a finished proxy report run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["summarize"])
    ap.add_argument("--results", type=Path, required=True, help="results folder of the proxy report run")
    ap.add_argument("--data-root", type=Path, required=True, help="folder holding jigsaw/ (the proxy)")
    ap.add_argument("--device", default=None, help="recorded device (default: cuda name when present, else cpu)")
    ap.add_argument("--variant", default="implied", help="the proxy variant the run used (src/data/proxy.py)")
    ap.add_argument("--out", type=Path, default=Path("results/scale_jigsaw_proxy.json"))
    a = ap.parse_args(argv)
    device = a.device or _device()
    doc = summarize(a.results, a.data_root, device, a.variant)
    write_json(a.out, doc)
    print(f"wrote {a.out}: {doc['total_wall_seconds']:.0f} s, peak RSS {doc['peak_rss_mb']:.0f} MB, {doc['limits']}")


def _device() -> str:
    import torch

    return f"cuda {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"


if __name__ == "__main__":
    main()
