"""Serving: score comments with any saved encoder checkpoint, from Python (`load`) or the command line.

Output columns: `<label>` = probability for each label, then each derived label (max of its members),
then `<label>_flag` = 1 where that probability >= the tuned threshold stored in the checkpoint, else 0.
Two backends give the same table: torch (the .pt checkpoint) and onnx (a bundle from `src.serving.onnx_export`,
scored by onnxruntime). torch is imported only on the torch path, so an onnx run never loads it.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd

from src.serving import bundle
from src.serving.errors import CheckpointError
from src.serving.limits import MAX_LINE_BYTES
from src.serving.scoring import Scorer, label_fields

if TYPE_CHECKING:  # annotations only: the onnx path must not import torch or the tokenizers' dependencies
    from src.data.tokenizers import Tokenizer
    from src.models.encoder import Encoder

CHUNK_ROWS = 2048  # CLI rows scored at once: enough for length-sorted batches to pay off
CHUNK_BYTES = 32 << 20  # ...but flushed earlier so a file of huge lines never sits in memory whole
DECIMALS = 6  # probabilities in CSV/JSONL output
BACKENDS = ("auto", "onnx", "torch")


@dataclass
class Predictor(Scorer):
    """A loaded model with its tokenizer, labels, tuned thresholds and derived labels."""

    model: Encoder
    tokenizer: Tokenizer  # BPETokenizer or glove.WordTokenizer
    labels: list[str]
    thresholds: dict[str, float]
    derived: dict[str, list[str]] = field(default_factory=dict)
    derived_thresholds: dict[str, float] = field(default_factory=dict)

    def probs(self, ids: np.ndarray) -> np.ndarray:
        """(B, T) padded ids -> (B, L) probabilities via the torch model, on its device."""
        import torch

        dev = next(self.model.parameters()).device
        with torch.inference_mode():
            return torch.sigmoid(self.model(torch.from_numpy(ids).to(dev)).float()).cpu().numpy()


def load(path: str | Path, device: str = "cpu") -> Predictor:
    """Predictor from a checkpoint file; raises CheckpointError if it is missing, corrupt or foreign."""
    from src.serving import checkpoint

    model, tok, doc = checkpoint.load(path, map_location=device)
    labels, thr, derived, dthr = label_fields(path, doc.get("labels"), doc.get("thresholds"), doc.get("meta"))
    return Predictor(model.to(device), tok, labels, thr, derived, dthr)


def open_model(model: str | Path, backend: str = "auto", threads: int = 0):
    """Predictor or OnnxPredictor for a .pt checkpoint or a bundle folder; raises CheckpointError for bad files.

    `auto` uses the bundle next to `x.pt` (`x_onnx/`) only when it was exported from this very file (sha256).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    path = Path(model)
    if path.is_dir():
        if backend == "torch":
            raise CheckpointError(f"{path}: a folder, not a checkpoint; the torch backend needs the .pt file")
        return _onnx(path, None, threads)
    target = bundle.default_dir(path)
    if backend == "auto":
        backend = "onnx" if path.is_file() and bundle.matches(target, path) else "torch"
    if backend == "onnx":
        if not target.is_dir():
            raise CheckpointError(
                f"{path}: no ONNX bundle at {target}; export one with `python -m src.apps.export {path}`"
            )
        return _onnx(target, path if path.is_file() else None, threads)
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    return load(path)


def _onnx(folder: Path, source: Path | None, threads: int):
    from src.serving.onnx_predict import load_onnx

    pred = load_onnx(folder, threads)
    origin = pred.manifest.get("source")
    exported_from = origin.get("sha256") if isinstance(origin, dict) else None
    if source is not None and exported_from != bundle.sha256_file(source):
        raise CheckpointError(
            f"{folder}: exported from another version of {source.name}; re-export it with "
            f"`python -m src.apps.export {source}` or pass --backend torch"
        )
    return pred


class InputError(ValueError):
    """An unreadable input line (bad encoding or bad JSONL); the message names file and line."""


def _lines(f: IO[bytes], name: str, cap: int) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) of a binary file; InputError for a line over `cap` bytes, before it is read whole."""
    lineno = 0
    while raw := f.readline(cap + 2):  # cap + "\r\n": one more byte than any allowed line can need
        lineno += 1
        end = len(raw) - raw.endswith(b"\n")
        if end - (raw[end - 1 : end] == b"\r") > cap:  # arithmetic, not removesuffix: no copy of a huge line
            raise InputError(
                f"{name}: line {lineno}: longer than {cap:,} bytes (--max-line-bytes); split it or raise the cap"
            )
        yield lineno, raw


def input_rows(sources: list[str], fmt: str, errors: str, progress, cap: int = MAX_LINE_BYTES) -> Iterator[str]:
    """Texts of all sources in order, one per line, decoded lazily (never a whole file, nor a line over `cap`)."""
    for src in sources:
        name = "<stdin>" if src == "-" else src
        is_jsonl = fmt == "jsonl" or (fmt == "auto" and name.endswith(".jsonl"))
        f = sys.stdin.buffer if src == "-" else open(src, "rb")  # closed in `finally`: stdin is not ours to close
        try:
            for lineno, raw in _lines(f, name, cap):
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
    except RecursionError:  # the decoder recurses per nesting level: a deep line is refused, not a crash
        raise InputError(f"{name}: line {lineno}: invalid JSON (nested too deeply)") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise InputError(f'{name}: line {lineno}: expected a JSON object with a string "text" field')
    return obj["text"]


def chunks(rows: Iterable[str]) -> Iterator[list[str]]:
    chunk, size = [], 0
    for text in rows:
        chunk.append(text)
        size += len(text)
        if len(chunk) >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def write_rows(df: pd.DataFrame, fmt: str, out: IO[str], header: bool) -> None:
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
