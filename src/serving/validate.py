"""The checkpoint gate: a .pt file's archive, config, embedding spec, labels and tokenizer state are checked against
each other and against fixed bounds before any module is built or any size it declares is allocated.

Torch-free at import (the ONNX path uses `check_names` and `check_tokenizer_state`); `check_tensors` imports torch.
Every failure is a CheckpointError naming the file and what is wrong, so the CLIs print one line and exit 2.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

from src.data.bpe_check import MAX_IDS, MAX_MODEL_BYTES
from src.serving.errors import CheckpointError

MAX_CHECKPOINT_BYTES = 256 << 20  # the committed models are 0.2-9 MB
MAX_PICKLE_BYTES = 64 << 20  # the checkpoint's pickled part (tokenizer, labels, config); tensors are stored apart
MAX_WIDTH, MAX_LAYERS, MAX_LEN, MAX_LABELS = 4096, 64, 4096, 256
MAX_PARAMS = 64 << 20  # elements of all tensors together (256 MB of float32)
MAX_WORD_CHARS = 1_000  # a word of a word tokenizer's vocabulary
LABEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # output column names: plain, and never "<x>_flag"
_INTS = {"vocab_size": MAX_IDS, "n_labels": MAX_LABELS, "d_model": MAX_WIDTH, "n_layers": MAX_LAYERS}
_INTS |= {"n_heads": MAX_WIDTH, "d_ff": MAX_WIDTH, "max_len": MAX_LEN}
_DOC = {"format": str, "config": dict, "state_dict": dict, "labels": list, "thresholds": dict, "tokenizer": dict}


def _bad(path: str | Path, why: str) -> CheckpointError:
    return CheckpointError(f"{path}: not a valid checkpoint: {why}; re-save or retrain it")


def brief(value) -> str:
    """A value of the file for a one-line message, cut short (a crafted file may hold a huge one)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def read_checkpoint(path: Path) -> bytes:
    """The file's bytes, if it is a bounded zip archive of stored (uncompressed) records as torch.save writes."""
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise _bad(path, f"{size:,} bytes, over the limit of {MAX_CHECKPOINT_BYTES:,}")
    raw = path.read_bytes()
    try:
        entries = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise _bad(path, f"corrupt or truncated (not a torch zip archive: {type(e).__name__})") from None
    # Declared sizes come from the file: a compressed or oversized record could ask the reader for any amount.
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries) or sum(e.file_size for e in entries) > len(raw):
        raise _bad(path, "archive records are compressed or larger than the file")
    if any(e.filename.endswith("data.pkl") and e.file_size > MAX_PICKLE_BYTES for e in entries):
        raise _bad(path, f"pickled part over {MAX_PICKLE_BYTES:,} bytes")
    return raw


def check_doc(path: str | Path, doc: dict) -> tuple[dict, dict | None]:
    """(config, embedding spec) of a loaded checkpoint dict, both checked; raises CheckpointError."""
    for key, kind in _DOC.items():
        if not isinstance(doc.get(key), kind):
            raise _bad(path, f"{key!r} missing or not a {kind.__name__}")
    if doc.get("meta") is not None and not isinstance(doc["meta"], dict):
        raise _bad(path, "'meta' is not a dict")
    cfg = check_config(path, doc["config"])
    spec = check_spec(path, doc.get("embedding"), cfg)
    if len(doc["labels"]) != cfg["n_labels"]:
        raise _bad(path, f"{len(doc['labels'])} labels for a config with n_labels {cfg['n_labels']}")
    check_tokenizer_state(path, doc["tokenizer"], cfg["vocab_size"], cfg["max_len"])
    return cfg, spec


def check_config(path: str | Path, cfg: dict) -> dict:
    """The model config's sizes are integers within bounds and its other fields have the right types."""
    for key, high in _INTS.items():
        if not _int(cfg.get(key), 2 if key == "vocab_size" else 1, high):
            raise _bad(path, f"config {key} = {brief(cfg.get(key))} (an integer up to {high:,} expected)")
    emb = cfg.get("emb_dim")
    if emb is not None and not _int(emb, 1, MAX_WIDTH):
        raise _bad(path, f"config emb_dim = {brief(emb)}")
    if not isinstance(cfg.get("score"), str) or not isinstance(cfg.get("pooling"), str):
        raise _bad(path, "config score or pooling is not a string")
    drop = cfg.get("dropout")
    if not isinstance(drop, int | float) or isinstance(drop, bool) or not 0 <= drop < 1:
        raise _bad(path, f"config dropout = {brief(drop)}")
    return cfg


def check_spec(path: str | Path, spec, cfg: dict) -> dict | None:
    """A GloVe embedding spec (or None) that fits the config: sizes bounded, trainable ids unique and in range."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("mode") not in ("frozen", "finetune", "frozen+oov"):
        raise _bad(path, "embedding spec is not a dict with a known mode")
    vocab, dim, extra = spec.get("vocab_size"), spec.get("dim"), spec.get("corpus_dim", 0)
    if vocab != cfg["vocab_size"] or not _int(dim, 1, MAX_WIDTH) or not _int(extra, 0, MAX_WIDTH):
        raise _bad(
            path,
            f"embedding spec {brief(vocab)} x {brief(dim)} (+{brief(extra)}) does not fit vocab_size {cfg['vocab_size']}",
        )
    if (cfg.get("emb_dim") or cfg["d_model"]) != dim + extra:
        raise _bad(path, f"embedding width {dim} + {extra} differs from the config's {cfg.get('emb_dim')}")
    ids = spec.get("trainable_ids", [1])
    if not isinstance(ids, list) or len(ids) >= vocab or not all(_int(i, 1, vocab - 1) for i in ids):
        raise _bad(path, "embedding trainable_ids are not ids between 1 and vocab_size - 1")
    if len(set(ids)) != len(ids):
        raise _bad(path, "embedding trainable_ids repeat")
    return spec


def check_tokenizer_state(path: str | Path, state: dict, vocab_size: int, max_len: int) -> None:
    """A tokenizer state (checkpoint or bundle manifest) of a known kind with bounded, well-typed fields."""
    kind = state.get("kind")
    if not _int(state.get("max_len"), 1, max_len):
        raise _bad(path, f"tokenizer max_len {brief(state.get('max_len'))} (1 to the model's {max_len} expected)")
    if kind == "bpe":
        data = state.get("model_bytes")
        if not isinstance(data, bytes) or len(data) > MAX_MODEL_BYTES or not isinstance(state.get("clean"), bool):
            raise _bad(path, "BPE tokenizer state without model bytes or clean flag")
        return
    if kind != "word" or state.get("version") != 1:
        raise _bad(path, f"unknown tokenizer kind {brief(kind)} or version")
    check_words(path, state.get("words"), vocab_size)
    if not _int(state.get("n_oov"), 0, len(state["words"]) - 2):
        raise _bad(path, f"tokenizer n_oov {brief(state.get('n_oov'))}")


def check_words(path: str | Path, words, vocab_size: int) -> None:
    """A word tokenizer's vocabulary: unique bounded strings, PAD and UNK first, no more than the model's rows."""
    if not isinstance(words, list) or not 2 <= len(words) <= vocab_size:
        raise _bad(path, f"tokenizer words are not a list of 2 to {vocab_size:,} entries")
    if not all(isinstance(w, str) and len(w) <= MAX_WORD_CHARS for w in words) or len(set(words)) != len(words):
        raise _bad(path, "tokenizer words are not unique strings")
    if words[:2] != ["<pad>", "<unk>"]:
        raise _bad(path, "tokenizer words do not start with <pad>, <unk>")


def check_names(path: str | Path, labels: list[str], derived: dict, thresholds: dict) -> None:
    """Label and derived-label names are plain, unique, never end in `_flag`; thresholds are probabilities."""
    names = [*labels, *derived]
    for name in names:
        if not LABEL_NAME.fullmatch(name) or name.endswith("_flag"):
            raise CheckpointError(
                f"{path}: label name {name[:80]!r} is not usable as an output column (letters, digits and _, "
                "at most 64, not ending in _flag); retrain or re-save the model with other label names"
            )
    if len(set(names)) != len(names) or not 1 <= len(labels) <= MAX_LABELS:
        raise CheckpointError(f"{path}: label names repeat or there are none (or over {MAX_LABELS})")
    for name, t in thresholds.items():
        if not math.isfinite(t) or not 0 <= t <= 1:
            raise CheckpointError(f"{path}: threshold of {name!r} is {t}, not a probability")


def check_tensors(path: str | Path, found: dict, expected: dict) -> None:
    """The checkpoint's tensors match the (meta-device) module's: same names, shapes and dtypes, plain dense storage."""
    import torch

    if set(found) != set(expected):
        diff = sorted(set(found) ^ set(expected))[:3]
        raise _bad(path, f"weights do not match the stored config (names differ: {diff})")
    total = sum(t.numel() for t in expected.values())
    if total > MAX_PARAMS:
        raise _bad(path, f"config asks for {total:,} weights, over the limit of {MAX_PARAMS:,}")
    for name, want in expected.items():
        t = found[name]
        ok = type(t) is torch.Tensor and t.layout == torch.strided and t.device.type == "cpu"
        if not ok or t.dtype != want.dtype or t.shape != want.shape or not t.is_contiguous():
            raise _bad(path, f"weight {name} is not a dense {want.dtype} tensor of shape {tuple(want.shape)}")
