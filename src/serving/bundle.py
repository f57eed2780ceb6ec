"""ONNX bundles: a folder with model.onnx, the tokenizer as plain data and manifest.json (no pickle anywhere).

Torch-free: the exporter writes bundles with these helpers and the ONNX predictor reads them back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FORMAT, VERSION = "toxic-small/onnx-bundle", 1
MANIFEST, MODEL_FILE = "manifest.json", "model.onnx"
TOKENIZER_FILES = {"bpe": "tokenizer.bpe", "word": "vocab.json"}  # kind -> file holding its big field
_PAYLOAD_FIELD = {"bpe": "model_bytes", "word": "words"}


def default_dir(checkpoint: str | Path) -> Path:
    """Where the bundle of `models/x.pt` goes: the folder `models/x_onnx/` next to it."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}_onnx")


def sha256(data: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tokenizer_files(state: dict) -> tuple[dict, str, bytes]:
    """Split a tokenizer state into (manifest fields, file name, file bytes): the big field goes to its own file."""
    kind = state.get("kind")
    if kind not in TOKENIZER_FILES:
        raise ValueError(f"unknown tokenizer kind {kind!r}")
    payload = state[_PAYLOAD_FIELD[kind]]
    data = bytes(payload) if kind == "bpe" else json.dumps(list(payload), ensure_ascii=False).encode("utf-8")
    fields = {k: v for k, v in state.items() if k != _PAYLOAD_FIELD[kind]}
    return {**fields, "file": TOKENIZER_FILES[kind]}, TOKENIZER_FILES[kind], data


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a bundle that passes every check of `bundle_check.open_bundle`; BundleError otherwise."""
    from src.serving.bundle_check import open_bundle  # it imports this module: import at call time

    return open_bundle(folder).doc


def matches(folder: str | Path, checkpoint: str | Path) -> bool:
    """True when `folder` holds a bundle exported from exactly this checkpoint file (same sha256)."""
    try:
        path = Path(folder) / MANIFEST
        if path.stat().st_size > 1 << 20:  # not a manifest of ours; never read a crafted one whole
            return False
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc["source"]["sha256"] == sha256_file(checkpoint)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return False
