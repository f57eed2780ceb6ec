"""The teacher's probability cache: fp16 probabilities per split, labels and a fingerprint of the split they match."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SPLITS = ("train", "val", "test")  # cache order, each in load_splits() row order
CACHE_VERSION = 1


class StaleCacheError(ValueError):
    """The teacher cache was made from other split texts or labels than the ones loaded now."""


def split_fingerprint(texts: dict[str, Sequence[str]], y: dict[str, np.ndarray] | None = None) -> str:
    """sha256 over the split names, sizes, texts (in order) and optionally the labels."""
    h = hashlib.sha256()
    for name in SPLITS:
        h.update(f"{name}:{len(texts[name])}\n".encode())
        for t in texts[name]:
            h.update(t.encode("utf-8"))
            h.update(b"\x00")
        if y is not None:
            h.update(np.ascontiguousarray(np.asarray(y[name], dtype=np.int8)).tobytes())
    return h.hexdigest()


def splits_fingerprint(splits, labels: Sequence[str]) -> str:
    """Fingerprint of a `src.data.datasets.Splits`: texts and labels of train/val/test."""
    frames = {"train": splits.train, "val": splits.val, "test": splits.test}
    return split_fingerprint(
        {k: f["text"].tolist() for k, f in frames.items()}, {k: f[list(labels)].to_numpy() for k, f in frames.items()}
    )


def save_cache(
    path: str | os.PathLike,
    probs: dict[str, np.ndarray],
    labels: Sequence[str],
    fingerprint: str,
    meta: dict | None = None,
) -> Path:
    """Write probabilities (float16) per split + labels + fingerprint + JSON meta to an .npz."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        if probs[name].ndim != 2 or probs[name].shape[1] != len(labels):
            raise ValueError(f"probs[{name!r}] has shape {probs[name].shape}; expected (N, {len(labels)}).")
    # Any-typed: mypy checks a `**dict` against every keyword of savez_compressed, `allow_pickle: bool` included.
    probs16: dict[str, Any] = {f"p_{name}": np.asarray(probs[name], dtype=np.float16) for name in SPLITS}
    np.savez_compressed(
        path,
        **probs16,
        labels=np.array(list(labels)),
        fingerprint=np.array(fingerprint),
        meta=np.array(json.dumps({"cache_version": CACHE_VERSION, **(meta or {})})),
    )
    return path


def load_cache(path: str | os.PathLike, labels: Sequence[str], fingerprint: str) -> tuple[dict[str, np.ndarray], dict]:
    """({split: float32 probs}, meta) from the .npz; StaleCacheError if labels or split fingerprint differ."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as z:
        got_labels = [str(x) for x in z["labels"]]
        got_fp = str(z["fingerprint"])
        meta = json.loads(str(z["meta"]))
        probs = {name: z[f"p_{name}"].astype(np.float32) for name in SPLITS}
    if got_labels != list(labels):
        raise StaleCacheError(f"{path}: cached labels {got_labels} differ from {list(labels)}; retrain (retrain=True).")
    if got_fp != fingerprint:
        raise StaleCacheError(
            f"{path}: stale teacher cache: it was made from other train/val/test texts or labels "
            f"(fingerprint {got_fp[:12]}… vs now {fingerprint[:12]}…). Different data files, split seed or "
            "sample size? Retrain the teacher (retrain=True) or restore the matching data."
        )
    return probs, meta


def transfer_cache_name(dataset: str) -> str:
    """File name of a teacher's transfer-set cache: its probabilities of other corpora's unlabelled texts."""
    return f"teacher_{dataset}_transfer_probs.npz"


def texts_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 over the labels and the texts in order: which transfer texts a cache scored."""
    h = hashlib.sha256(("\x00".join(labels) + "\x01").encode("utf-8"))
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def save_transfer(path: str | os.PathLike, probs: np.ndarray, labels: Sequence[str], texts: Sequence[str], meta=None):
    """Write a teacher's (N, L) transfer-text probabilities (float16), labels, the texts' fingerprint and meta."""
    if probs.shape != (len(texts), len(labels)):
        raise ValueError(f"transfer probabilities have shape {probs.shape}; expected ({len(texts)}, {len(labels)}).")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        p_transfer=np.asarray(probs, dtype=np.float16),
        labels=np.array(list(labels)),
        fingerprint=np.array(texts_fingerprint(texts, labels)),
        meta=np.array(json.dumps({"cache_version": CACHE_VERSION, **(meta or {})})),
    )
    return path


def load_transfer(path: str | os.PathLike, labels: Sequence[str], texts: Sequence[str]) -> tuple[np.ndarray, dict]:
    """(float32 (N, L) probabilities, meta) of a transfer cache; StaleCacheError if it scored other texts or labels."""
    try:
        with np.load(path, allow_pickle=False) as z:
            got_labels, got_fp = [str(x) for x in z["labels"]], str(z["fingerprint"])
            meta, probs = json.loads(str(z["meta"])), z["p_transfer"].astype(np.float32)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:  # damaged or not a transfer cache
        raise ValueError(
            f"{path}: not a readable transfer cache ({type(e).__name__}: {e}); delete it and rerun "
            "`python -m src.apps.teacher oof --transfer`."
        ) from e
    if (
        probs.shape != (len(texts), len(got_labels))
        or got_labels != list(labels)
        or got_fp != texts_fingerprint(texts, labels)
    ):
        raise StaleCacheError(
            f"{path}: the cache scored other transfer texts or labels than these ({len(texts):,} texts, labels "
            f"{list(labels)}); rerun `python -m src.apps.teacher oof --transfer` on the corpora at hand."
        )
    return probs, meta
