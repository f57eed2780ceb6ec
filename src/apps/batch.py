"""Score folders of comment files on a Dask cluster with a saved model's ONNX bundle, one task per file.

python -m src.apps.batch --model models/bestresult_ghc.pt --input 'comments/*.parquet' --output scored/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from src.serving.batch import BatchError, BatchSettings, run
from src.serving.batch_worker import InputError
from src.serving.errors import CheckpointError
from src.serving.locks import LockError


def _memory(value: str) -> str:
    from dask.utils import parse_bytes

    if value != "auto":
        try:
            parse_bytes(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a size like 1GiB or 'auto'") from None
    return value


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m src.apps.batch", description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path, help="checkpoint (.pt) or ONNX bundle folder")
    ap.add_argument("--input", required=True, nargs="+", help="glob pattern(s) of .parquet/.csv partitions (quoted)")
    ap.add_argument("--output", required=True, type=Path, help="folder for the scored partitions")
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--id-col", default="id")
    ap.add_argument("--scheduler", help="address of a running scheduler, e.g. tcp://host:8786 (default: local)")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes")
    ap.add_argument("--threads-per-worker", type=int, default=1)
    ap.add_argument("--memory-limit", type=_memory, default="auto", help="per local worker, e.g. 1GiB")
    ap.add_argument("--allow-empty", action="store_true", help="0-row partitions get an empty output, not an error")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--overwrite", action="store_true", help="rescore outputs that another model wrote")
    return ap


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 2 bad model or input, 1 failed job)."""
    ap = _parser()
    a = ap.parse_args(argv)
    if min(a.workers, a.threads_per_worker, a.batch_size) < 1:
        ap.error("--workers, --threads-per-worker and --batch-size must be at least 1")
    s = BatchSettings(
        a.model,
        tuple(a.input),
        a.output,
        a.text_col,
        a.id_col,
        a.scheduler,
        a.workers,
        a.threads_per_worker,
        a.memory_limit,
        a.allow_empty,
        a.batch_size,
        overwrite=a.overwrite,
    )
    try:
        summary = run(s)
    except (InputError, CheckpointError, BatchError, LockError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1 if isinstance(e, BatchError) else 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
