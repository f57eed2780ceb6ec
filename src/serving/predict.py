"""Serving: score comments with any saved encoder checkpoint, from Python (`load`) or the command line.

Output columns: `<label>` = probability for each label, then each derived label (max of its members),
then `<label>_flag` = 1 where that probability >= the tuned threshold stored in the checkpoint, else 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import torch

from src.data.datasets import SPECS
from src.models.encoder import Encoder
from src.serving import checkpoint
from src.serving.checkpoint import CheckpointError
from src.training.loop import bucket_batches, pad

CHUNK_ROWS = 2048  # CLI rows scored at once: enough for length-sorted batches to pay off
CHUNK_BYTES = 32 << 20  # ...but flushed earlier so a file of huge lines never sits in memory whole
DECIMALS = 6  # probabilities in CSV/JSONL output


@dataclass
class Predictor:
    """A loaded model with its tokenizer, labels, tuned thresholds and derived labels."""

    model: Encoder
    tokenizer: object  # BPETokenizer or WordTokenizer: anything with encode(list[str]) -> list[list[int]]
    labels: list[str]
    thresholds: dict[str, float]
    derived: dict[str, list[str]] = field(default_factory=dict)
    derived_thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Probability column names: labels, then derived labels."""
        return [*self.labels, *self.derived]

    @property
    def columns(self) -> list[str]:
        """All output columns: probabilities, then `<name>_flag` in the same order."""
        return [*self.names, *(f"{n}_flag" for n in self.names)]

    def threshold(self, name: str) -> float:
        """Tuned threshold of a label or derived label (derived without a stored one: 0.5)."""
        return self.thresholds[name] if name in self.thresholds else self.derived_thresholds.get(name, 0.5)

    def predict(self, texts: list[str], batch_size: int = 256) -> pd.DataFrame:
        """One row per text, in order: probability and 0/1 flag columns (see `columns`)."""
        ids = self.tokenizer.encode(list(texts))
        probs = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        dev = next(self.model.parameters()).device
        # No rng: batches follow sorted length (least padding) and keep a fixed order.
        with torch.inference_mode():
            for b in bucket_batches(np.array([len(s) for s in ids], dtype=np.int64), batch_size, None):
                probs[b] = torch.sigmoid(self.model(pad([ids[i] for i in b]).to(dev)).float()).cpu().numpy()
        cols = {lab: probs[:, j] for j, lab in enumerate(self.labels)}
        for name, members in self.derived.items():
            cols[name] = probs[:, [self.labels.index(m) for m in members]].max(axis=1)
        for name in self.names:
            cols[f"{name}_flag"] = (cols[name] >= self.threshold(name)).astype(np.int8)
        return pd.DataFrame(cols, columns=self.columns)


def _derived(meta: dict, labels: list[str]) -> dict:
    """Derived labels stored in the file, else those of its dataset (older files kept only "dataset")."""
    if "derived" in meta:
        return meta["derived"] or {}
    spec = SPECS.get(meta.get("dataset"))
    return dict(spec.derived) if spec is not None and list(spec.labels) == labels else {}


def load(path: str | Path, device: str = "cpu") -> Predictor:
    """Predictor from a checkpoint file; raises CheckpointError if it is missing, corrupt or foreign."""
    model, tok, doc = checkpoint.load(path, map_location=device)
    try:
        labels, meta = list(doc["labels"]), doc.get("meta") or {}
        derived = {str(k): list(v) for k, v in _derived(meta, labels).items()}
        bad = {k: [m for m in v if m not in labels] for k, v in derived.items()}
        if any(bad.values()) or set(derived) & set(labels):
            raise ValueError(f"derived labels {derived} do not fit labels {labels}")
        dthr = {str(k): float(v) for k, v in (meta.get("derived_thresholds") or {}).items()}
        thr = {lab: float(doc["thresholds"][lab]) for lab in labels}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(f"{path}: inconsistent checkpoint ({type(e).__name__}: {e})") from e
    return Predictor(model.to(device), tok, labels, thr, derived, dthr)


class InputError(ValueError):
    """An unreadable input line (bad encoding or bad JSONL); the message names file and line."""


def _rows(sources: list[str], fmt: str, errors: str, progress) -> Iterator[str]:
    """Texts of all sources in order, one per line, decoded lazily (never a whole file in memory)."""
    for src in sources:
        name = "<stdin>" if src == "-" else src
        is_jsonl = fmt == "jsonl" or (fmt == "auto" and name.endswith(".jsonl"))
        f = sys.stdin.buffer if src == "-" else open(src, "rb")  # closed in `finally`: stdin is not ours to close
        try:
            for lineno, raw in enumerate(f, start=1):
                progress.update(len(raw))
                try:
                    line = raw.decode("utf-8", errors=errors)
                except UnicodeDecodeError as e:
                    raise InputError(
                        f"{name}: line {lineno}: not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the line); "
                        "fix the encoding or pass --errors replace"
                    ) from None
                line = line.removesuffix("\n").removesuffix("\r")
                if lineno == 1:
                    line = line.removeprefix("\ufeff")  # a BOM (Windows editors) is not part of the comment
                yield _jsonl_text(line, name, lineno) if is_jsonl else line
        finally:
            if f is not sys.stdin.buffer:
                f.close()


def _jsonl_text(line: str, name: str, lineno: int) -> str:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{name}: line {lineno}: invalid JSON ({e.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise InputError(f'{name}: line {lineno}: expected a JSON object with a string "text" field')
    return obj["text"]


def _chunks(rows: Iterable[str]) -> Iterator[list[str]]:
    chunk, size = [], 0
    for text in rows:
        chunk.append(text)
        size += len(text)
        if len(chunk) >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _write(df: pd.DataFrame, fmt: str, out: IO[str], header: bool) -> None:
    probs = [c for c in df.columns if not c.endswith("_flag")]
    df = df.astype({c: np.float64 for c in probs}).round({c: DECIMALS for c in probs})
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        if header:
            w.writerow(df.columns)
        w.writerows(df.itertuples(index=False, name=None))
    else:
        for rec in df.to_dict(orient="records"):
            out.write(json.dumps({k: (int(v) if k.endswith("_flag") else float(v)) for k, v in rec.items()}) + "\n")
    out.flush()


def _progress(sources: list[str], quiet: bool):
    from tqdm import tqdm

    sizes = [os.path.getsize(s) if s != "-" and os.path.isfile(s) else None for s in sources]
    total = None if None in sizes else sum(sizes)
    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, unit="B", unit_scale=True, desc="scoring", file=sys.stderr, disable=disable, delay=1)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 2 bad model or input)."""
    ap = argparse.ArgumentParser(
        prog="python -m src.serving.predict",
        description="Score comments (one per line, or JSONL with a 'text' field) with a saved model.",
        epilog="Output: one row per input line, in order. Columns: <label> probabilities (labels, then derived "
        "labels), then <label>_flag = 1 if the probability >= the tuned threshold. Exit code 2: bad model or input.",
    )
    ap.add_argument("--model", required=True, help="checkpoint file, e.g. models/baseattention_ghc.pt")
    ap.add_argument("files", nargs="*", default=["-"], help="input files ('-' or none: stdin)")
    ap.add_argument("--format", choices=["auto", "text", "jsonl"], default="auto", help="auto: jsonl for *.jsonl")
    ap.add_argument("--output-format", choices=["csv", "jsonl"], default="csv")
    ap.add_argument("--errors", choices=["strict", "replace"], default="strict", help="non-UTF-8 bytes")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.batch_size < 1:
        ap.error("--batch-size must be at least 1")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        pred = load(args.model)
    except CheckpointError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    for f in args.files:
        if f != "-" and not os.path.isfile(f):
            print(f"error: {f}: no such input file", file=sys.stderr)
            return 2
    progress = _progress(args.files, args.quiet)
    try:
        header = True
        for chunk in _chunks(_rows(args.files, args.format, args.errors, progress)):
            _write(pred.predict(chunk, args.batch_size), args.output_format, sys.stdout, header)
            header = False
        if header:  # empty input: a CSV still gets its header
            _write(pred.predict([]), args.output_format, sys.stdout, True)
    except InputError as e:
        progress.close()
        print(f"error: {e}", file=sys.stderr)
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
