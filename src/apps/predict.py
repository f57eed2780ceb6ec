"""Score comments with a saved model: `python -m src.apps.predict --model models/bestresult_ghc.pt [FILE ...]`.

One row per input line (or JSONL record), in order, CSV or JSONL on stdout; exit code 2 with a one-line `error:` for a
bad model or input. The scoring itself is src/serving/predict.py (torch) or src/serving/onnx_predict.py (no torch).
"""

from __future__ import annotations

import argparse
import os
import sys

from src.serving.errors import CheckpointError
from src.serving.limits import MAX_LINE_BYTES, MAX_WORD_CHARS, size_arg
from src.serving.predict import BACKENDS, InputError, chunks, input_rows, open_model, write_rows


def progress_bar(sources: list[str], quiet: bool):
    from tqdm import tqdm

    sizes = [os.path.getsize(s) if s != "-" and os.path.isfile(s) else None for s in sources]
    total = None if None in sizes else sum(s for s in sizes if s is not None)
    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, unit="B", unit_scale=True, desc="scoring", file=sys.stderr, disable=disable, delay=1)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 2 bad model or input)."""
    ap = argparse.ArgumentParser(
        prog="python -m src.apps.predict",
        description="Score comments (one per line, or JSONL with a 'text' field) with a saved model.",
        epilog="Output: one row per input line, in order. Columns: <label> probabilities (labels, then derived "
        "labels), then <label>_flag = 1 if the probability >= the tuned threshold. Exit code 2: bad model or input "
        "(including a line over --max-line-bytes).",
    )
    ap.add_argument(
        "--model", required=True, help="checkpoint file (models/baseattention_ghc.pt) or ONNX bundle folder"
    )
    ap.add_argument(
        "--backend", choices=BACKENDS, default="auto", help="auto: onnx if the checkpoint's bundle is there"
    )
    ap.add_argument("files", nargs="*", default=["-"], help="input files ('-' or none: stdin)")
    ap.add_argument("--format", choices=["auto", "text", "jsonl"], default="auto", help="auto: jsonl for *.jsonl")
    ap.add_argument("--output-format", choices=["csv", "jsonl"], default="csv")
    ap.add_argument("--errors", choices=["strict", "replace"], default="strict", help="non-UTF-8 bytes")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: the backend's default)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    cap = "longest input line (or JSONL record) in bytes, e.g. 64M (default 1 MiB); a longer one stops the run"
    ap.add_argument("--max-line-bytes", type=size_arg, default=MAX_LINE_BYTES, metavar="SIZE", help=cap)
    cut = f"longer runs of non-space characters are cut to N before tokenising (default {MAX_WORD_CHARS:,})"
    ap.add_argument("--max-word-chars", type=int, default=MAX_WORD_CHARS, metavar="N", help=cut)
    args = ap.parse_args(argv)
    if args.batch_size < 1 or args.max_word_chars < 1:
        ap.error("--batch-size and --max-word-chars must be at least 1")
    try:
        pred = open_model(args.model, args.backend, args.threads)
    except CheckpointError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    for f in args.files:
        if f != "-" and not os.path.isfile(f):
            print(f"error: {f}: no such input file", file=sys.stderr)
            return 2
    pred.max_word_chars = args.max_word_chars
    progress = progress_bar(args.files, args.quiet)
    try:
        header = True
        for chunk in chunks(input_rows(args.files, args.format, args.errors, progress, args.max_line_bytes)):
            write_rows(pred.predict(chunk, args.batch_size), args.output_format, sys.stdout, header)
            header = False
            del chunk  # before the next chunk is read: one 32 MB chunk in memory at a time, not two
        if header:  # empty input: a CSV still gets its header
            write_rows(pred.predict([]), args.output_format, sys.stdout, True)
    except (InputError, CheckpointError) as e:  # CheckpointError: a bundle's graph failing on a batch
        progress.close()
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `head`) left: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # e.g. an unreadable input file
        progress.close()
        print(f"error: {e}", file=sys.stderr)
        return 2
    progress.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
