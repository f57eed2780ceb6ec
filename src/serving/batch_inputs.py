"""Batch scoring's plan, on the client: which input files, where their outputs go, which ONNX bundle scores them."""

from __future__ import annotations

import contextlib
import glob
import sys
from collections.abc import Sequence
from pathlib import Path

from src.serving import bundle
from src.serving.batch_worker import SUFFIXES, InputError
from src.serving.errors import CheckpointError


def find_inputs(patterns: Sequence[str], output: Path) -> list[Path]:
    """Sorted absolute input files; InputError for a pattern matching nothing, a foreign file or a name clash."""
    found: set[Path] = set()
    for pattern in patterns:
        matches = glob.glob(pattern, recursive=True)
        if not matches:
            raise InputError(f"{pattern}: no input files match")
        found.update(Path(m).resolve() for m in matches)
    out = output.resolve()
    files = sorted(f for f in found if out not in f.parents)  # `**` may reach earlier outputs: not inputs
    if not files:
        raise InputError(f"{' '.join(patterns)}: no input files match outside the output folder")
    stems: dict[str, Path] = {}
    for f in files:
        if not f.is_file() or f.suffix.lower() not in SUFFIXES:
            raise InputError(f"{f}: not a Parquet or CSV file (expected {', '.join(SUFFIXES)})")
        if f.stem in stems:
            raise InputError(f"{f}: same output name as {stems[f.stem]} ({f.stem}.parquet); rename one")
        stems[f.stem] = f
    return files


def output_path(output: Path, src: Path) -> Path:
    """Where a partition's scores go: same base name, .parquet, in the output folder."""
    return output.resolve() / f"{src.stem}.parquet"


def resolve_bundle(model: Path) -> Path:
    """The bundle folder to score with: `model` itself, or the checkpoint's up-to-date bundle (exported if needed)."""
    if model.is_dir():
        return model.resolve()
    if not model.is_file():
        raise CheckpointError(f"{model}: checkpoint not found")
    target = bundle.default_dir(model)
    if bundle.matches(target, model):
        with contextlib.suppress(CheckpointError):  # a damaged bundle of this very file is exported again
            bundle.read_manifest(target)
            return target.resolve()
    from src.serving import onnx_export  # torch, in this process only, and only when a bundle must be made

    try:
        out = onnx_export.export(model)
    except FileExistsError as e:
        raise CheckpointError(str(e)) from None
    print(f"batch: exported {model} -> {out}/", file=sys.stderr)
    return out.resolve()
