"""The ONNX bundle gate: a bundle folder is read once, checked whole, and only then handed to its loaders.

A bundle holds exactly manifest.json, model.onnx and its tokenizer file: no other entry, no symlink, no subfolder.
Each listed file is read once (size-bounded) and its sha256 checked on the very bytes that are then loaded, so a
file swapped after the check is never used; model.onnx may not keep tensors in other files (external data); the
manifest's tokenizer fields are checked like a checkpoint's. Failures are BundleError: one line, exit 2.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from src.serving import bundle, validate
from src.serving.errors import BundleError, CheckpointError
from src.serving.onnx_scan import OnnxFormatError, external_tensor
from src.serving.validate import brief

if TYPE_CHECKING:  # the tokenizers load youtokentome: imported where a bundle needs one
    from src.data.tokenizers import Tokenizer

MAX_MANIFEST_BYTES = 1 << 20
MAX_FILE_BYTES = {bundle.MODEL_FILE: 256 << 20, "tokenizer.bpe": 32 << 20, "vocab.json": 64 << 20}


@dataclass(frozen=True)
class OpenedBundle:
    """A checked bundle: its manifest, the model's bytes and the tokenizer built from its checked file."""

    doc: dict
    model_bytes: bytes
    tokenizer: Tokenizer  # BPETokenizer or glove.WordTokenizer


def _read(path: Path, limit: int) -> bytes:
    """A regular file's bytes (not through a symlink), refused above `limit` before reading."""
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise BundleError(f"{path}: not a regular file (a symlink or folder in a bundle is refused); re-export it")
    if info.st_size > limit:
        raise BundleError(f"{path}: {info.st_size:,} bytes, over the limit of {limit:,}; re-export the bundle")
    return path.read_bytes()


def manifest(folder: Path) -> dict:
    """The manifest's format, file list and tokenizer kind, checked; BundleError otherwise."""
    path = folder / bundle.MANIFEST
    if not path.is_file() and not path.is_symlink():
        raise BundleError(
            f"{folder}: {bundle.MANIFEST} not found: not an ONNX bundle "
            "(make one with `python -m src.apps.export MODEL.pt`)"
        )
    try:
        doc = json.loads(_read(path, MAX_MANIFEST_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise BundleError(f"{path}: not valid JSON ({type(e).__name__}); re-export the bundle") from None
    if not isinstance(doc, dict) or doc.get("format") != bundle.FORMAT or doc.get("version") != bundle.VERSION:
        raise BundleError(f"{path}: not a toxic-small ONNX bundle ({bundle.FORMAT} version {bundle.VERSION} expected)")
    files, tok = doc.get("files"), doc.get("tokenizer")
    kind = tok.get("kind") if isinstance(tok, dict) else None
    if not isinstance(files, dict) or not isinstance(kind, str) or kind not in bundle.TOKENIZER_FILES:
        raise BundleError(f"{path}: inconsistent manifest (no file list or unknown tokenizer kind {brief(kind)})")
    listed = {bundle.MODEL_FILE, bundle.TOKENIZER_FILES[kind]}
    if set(files) != listed or not all(isinstance(files[n], str) for n in listed):
        raise BundleError(
            f"{path}: inconsistent manifest (files {sorted(map(str, files))[:4]}, expected {sorted(listed)})"
        )
    return doc


def check_entries(folder: Path, doc: dict, complete: bool = True) -> None:
    """The folder holds the manifest and its listed files (all of them if `complete`) and nothing else."""
    listed = set(doc["files"])
    for name in sorted(listed) if complete else ():
        if not (folder / name).is_file():
            raise BundleError(f"{folder}: {name} is missing from the bundle; re-export it")
    for entry in folder.iterdir():
        if entry.name not in listed | {bundle.MANIFEST}:
            raise BundleError(
                f"{folder}: holds {entry.name!r}, which is not one of its listed files (a bundle holds exactly "
                f"{', '.join(sorted(listed | {bundle.MANIFEST}))}); remove it or re-export the bundle"
            )
        if entry.is_symlink() or not entry.is_file():
            raise BundleError(f"{folder}: {entry.name} is a link or not a regular file; re-export the bundle")


def _verified(folder: Path, doc: dict, name: str) -> bytes:
    data = _read(folder / name, MAX_FILE_BYTES[name])
    if bundle.sha256(data) != doc["files"][name]:
        raise BundleError(
            f"{folder}: {name} does not match its sha256 in {bundle.MANIFEST} (corrupt or modified); re-export the bundle"
        )
    return data


def _check_model(folder: Path, data: bytes) -> None:
    try:
        name = external_tensor(data)
    except OnnxFormatError as e:
        raise BundleError(
            f"{folder}: {bundle.MODEL_FILE} cannot be loaded (not an ONNX model: {e}); re-export it"
        ) from None
    if name is not None:
        raise BundleError(
            f"{folder}: {bundle.MODEL_FILE} keeps tensor {name!r} in an external file, which a bundle may not; re-export it"
        )


def _tokenizer(folder: Path, doc: dict, data: bytes):
    """The tokenizer from its checked file and manifest fields, bounded by the manifest's model config."""
    fields = {k: v for k, v in doc["tokenizer"].items() if k != "file"}
    model = doc.get("model")
    cfg = model.get("config") if isinstance(model, dict) else None
    try:
        cfg = validate.check_config(folder / bundle.MANIFEST, cfg if isinstance(cfg, dict) else {})
        if fields["kind"] == "bpe":
            from src.data.tokenizers import BPETokenizer

            state = {**fields, "model_bytes": data}
            validate.check_tokenizer_state(folder, state, cfg["vocab_size"], cfg["max_len"])
            tok: Tokenizer = BPETokenizer.from_state(state)
        else:
            from src.data.glove import WordTokenizer

            state = {**fields, "words": json.loads(data.decode("utf-8"))}
            validate.check_tokenizer_state(folder, state, cfg["vocab_size"], cfg["max_len"])
            tok = WordTokenizer.from_state(state)
    except (CheckpointError, KeyError, TypeError, ValueError, RecursionError) as e:
        why = " ".join(str(e).split())
        raise BundleError(f"{folder}: unusable tokenizer ({type(e).__name__}: {why}); re-export the bundle") from None
    if tok.vocab_size > cfg["vocab_size"]:
        raise BundleError(f"{folder}: tokenizer has more ids than the model's {cfg['vocab_size']:,}; re-export it")
    return tok


def open_bundle(folder: str | Path) -> OpenedBundle:
    """Check a bundle folder whole -> its manifest, model bytes and tokenizer; raises BundleError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError(f"{folder}: ONNX bundle not found")
    doc = manifest(folder)
    check_entries(folder, doc)
    model = _verified(folder, doc, bundle.MODEL_FILE)
    tok_data = _verified(folder, doc, bundle.TOKENIZER_FILES[doc["tokenizer"]["kind"]])
    _check_model(folder, model)
    return OpenedBundle(doc, model, _tokenizer(folder, doc, tok_data))
