"""Which outputs of a batch run are finished: an existing output counts only if this run's model wrote it."""

from __future__ import annotations

import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from src.serving.batch_worker import InputError

SHA_KEY = b"toxic_small.bundle_manifest_sha256"  # written by batch_worker.scored_table into each output's schema


def stored_sha(dest: Path) -> str | None:
    """The bundle manifest sha256 an output was scored with, or None if it is unreadable or not ours."""
    try:
        meta = pq.read_schema(dest).metadata or {}
    except (pa.ArrowException, OSError):
        return None
    sha = meta.get(SHA_KEY)
    return sha.decode("ascii", "replace") if sha else None


def pending(dests: dict[Path, Path], manifest_sha: str, overwrite: bool) -> dict[Path, Path]:
    """Inputs still to score: no output yet, or one `overwrite` lets us replace; InputError for a foreign output.

    An output skipped as finished must carry this run's bundle sha256: one scored by another model (or anything
    else under that name) is never silently kept, and never replaced without --overwrite.
    """
    todo = {}
    for src, dest in dests.items():
        try:
            mode = dest.lstat().st_mode
        except FileNotFoundError:
            todo[src] = dest
            continue
        if not stat.S_ISREG(mode):
            raise InputError(f"{dest}: exists and is not a regular file; remove it or choose another --output")
        found = stored_sha(dest)
        if found == manifest_sha:
            continue
        if not overwrite:
            what = f"scored with another model (bundle {found[:12]})" if found else "not an output of this tool"
            raise InputError(
                f"{dest}: exists but was {what}, not with this run's model (bundle {manifest_sha[:12]}); "
                "delete it or pass --overwrite to rescore it"
            )
        todo[src] = dest
    return todo
