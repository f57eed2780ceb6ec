"""Export saved checkpoints to ONNX bundles that score without torch: `python -m src.apps.export models/*.pt`.

Each bundle (`models/<name>_onnx/`, or `--out DIR` for one checkpoint) holds model.onnx, the tokenizer as plain data
and a manifest with every file's sha256; `--out` replaces only an empty folder or a bundle of ours.
"""

from __future__ import annotations

import argparse
import sys

from src.serving import bundle, onnx_export
from src.serving.errors import CheckpointError


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 2 bad checkpoint)."""
    ap = argparse.ArgumentParser(prog="python -m src.apps.export", description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", help="checkpoint files, e.g. models/*.pt")
    ap.add_argument("--out", help="bundle folder (one checkpoint only; default: <name>_onnx/ next to it)")
    args = ap.parse_args(argv)
    if args.out and len(args.checkpoints) > 1:
        ap.error("--out takes one checkpoint")
    for path in args.checkpoints:
        try:
            out = onnx_export.export(path, args.out)
        except (CheckpointError, FileExistsError) as e:
            print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        size = (out / bundle.MODEL_FILE).stat().st_size
        print(f"{path} -> {out}/ (model.onnx {size / 1024:,.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
