"""ONNX bundles: a folder with model.onnx, the tokenizer as plain data and manifest.json (no pickle anywhere).

Torch-free: the exporter writes bundles with these helpers and the ONNX predictor reads them back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from src.serving.errors import CheckpointError

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
    """The checked manifest of a bundle: right format, every listed file present with its recorded sha256."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise CheckpointError(
            f"{folder}: {MANIFEST} not found: not an ONNX bundle "
            "(make one with `python -m src.serving.onnx_export MODEL.pt`)"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({type(e).__name__}); re-export the bundle") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise CheckpointError(f"{path}: not a toxic-small ONNX bundle ({FORMAT} version {VERSION} expected)")
    files, tok = doc.get("files"), doc.get("tokenizer")
    kind = tok.get("kind") if isinstance(tok, dict) else None
    if not isinstance(files, dict) or kind not in TOKENIZER_FILES:
        raise CheckpointError(f"{path}: inconsistent manifest (no file list or unknown tokenizer kind {kind!r})")
    for name in (MODEL_FILE, TOKENIZER_FILES[kind]):  # only known names: a manifest cannot point outside the folder
        if name not in files:
            raise CheckpointError(f"{path}: inconsistent manifest ({name} is not listed)")
        if not (folder / name).is_file():
            raise CheckpointError(f"{folder}: {name} is missing from the bundle; re-export it")
        if sha256_file(folder / name) != files[name]:
            raise CheckpointError(
                f"{folder}: {name} does not match its sha256 in {MANIFEST} (corrupt or modified); re-export the bundle"
            )
    return doc


def load_tokenizer(folder: str | Path, doc: dict):
    """The bundle's tokenizer (BPETokenizer or WordTokenizer), rebuilt from its file and manifest fields."""
    fields = {k: v for k, v in doc["tokenizer"].items() if k != "file"}
    kind = fields["kind"]
    data = (Path(folder) / TOKENIZER_FILES[kind]).read_bytes()
    try:
        if kind == "bpe":
            from src.data.tokenizers import BPETokenizer

            return BPETokenizer.from_state({**fields, "model_bytes": data})
        from src.data.glove import WordTokenizer

        return WordTokenizer.from_state({**fields, "words": json.loads(data.decode("utf-8"))})
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{folder}: unusable tokenizer ({type(e).__name__}: {e}); re-export the bundle") from e


def matches(folder: str | Path, checkpoint: str | Path) -> bool:
    """True when `folder` holds a bundle exported from exactly this checkpoint file (same sha256)."""
    try:
        doc = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        return doc["source"]["sha256"] == sha256_file(checkpoint)
    except (OSError, ValueError, KeyError, TypeError):
        return False
