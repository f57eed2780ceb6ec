"""Torch-free parts shared by both serving backends: output columns and flags, and length-sorted batches."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from src.common.batching import CHUNK_BATCHES, length_batches
from src.data.datasets import SPECS
from src.serving.errors import CheckpointError
from src.serving.limits import MAX_WORD_CHARS, cap_words
from src.serving.validate import check_names

if TYPE_CHECKING:
    from src.data.tokenizers import Tokenizer

# Padded tokens per model call (40 rows of 200 tokens); short batches stay whole. Attention holds (rows, T, T)
# floats per head, 41 MB at 256 rows of 200 tokens: smaller calls keep the peak allocation down and run faster
# in both backends (the scores stay in cache).
MAX_TOKENS = 8_192


class Scorer:
    """What both backends share: the predict loop and the output columns; a backend supplies `probs`.

    Subclasses are dataclasses with `tokenizer`, `labels`, `thresholds`, `derived` and `derived_thresholds`.
    """

    tokenizer: Tokenizer
    labels: list[str]
    thresholds: dict[str, float]
    derived: dict[str, list[str]]
    derived_thresholds: dict[str, float]
    max_word_chars: int = MAX_WORD_CHARS  # longer words are cut before tokenising (bounded tokenizer memory)

    def probs(self, ids: np.ndarray) -> np.ndarray:
        """(B, T) padded int64 ids -> (B, L) float32 label probabilities: one model call."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str], batch_size: int = 256, max_tokens: int | None = MAX_TOKENS) -> pd.DataFrame:
        """One row per text, in order: probability and 0/1 flag columns (see `columns`).

        Length-sorted batches, each cut to at most `max_tokens` padded tokens (see `MAX_TOKENS`).
        """
        texts = list(texts)
        probs = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for rows, ids in encoded_batches(self.tokenizer, texts, batch_size, max_tokens, self.max_word_chars):
            probs[rows] = self.probs(ids)
        return self.frame(probs)

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

    def frame(self, probs: np.ndarray) -> pd.DataFrame:
        """(N, L) label probabilities -> the output table: probabilities, derived maxima, then 0/1 flags."""
        cols = {lab: probs[:, j] for j, lab in enumerate(self.labels)}
        for name, members in self.derived.items():
            cols[name] = probs[:, [self.labels.index(m) for m in members]].max(axis=1)
        for name in self.names:
            cols[f"{name}_flag"] = (cols[name] >= self.threshold(name)).astype(np.int8)
        return pd.DataFrame(cols, columns=self.columns)


def _stored_derived(meta: dict, labels: list[str]) -> dict:
    """Derived labels stored in the file, else those of its dataset (older files kept only "dataset")."""
    if "derived" in meta:
        return meta["derived"] or {}
    spec = SPECS.get(str(meta.get("dataset")))
    return dict(spec.derived) if spec is not None and list(spec.labels) == labels else {}


def label_fields(path: str | Path, labels, thresholds, meta) -> tuple[list, dict, dict, dict]:
    """Checked (labels, thresholds, derived, derived_thresholds) of a model file; CheckpointError if inconsistent."""
    try:
        labels, meta = [str(lab) for lab in labels], meta or {}
        derived = {str(k): [str(m) for m in v] for k, v in _stored_derived(meta, labels).items()}
        bad = {k: [m for m in v if m not in labels] for k, v in derived.items()}
        if any(bad.values()) or set(derived) & set(labels):
            raise ValueError(f"derived labels {derived} do not fit labels {labels}")
        dthr = {str(k): float(v) for k, v in (meta.get("derived_thresholds") or {}).items()}
        thr = {lab: float(thresholds[lab]) for lab in labels}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(f"{path}: inconsistent checkpoint ({type(e).__name__}: {e})") from e
    check_names(path, labels, derived, {**thr, **dthr})
    return labels, thr, derived, dthr


def pad_ids(seqs: list[list[int]], pad_id: int = 0) -> np.ndarray:
    """Right-pad to the longest sequence of the batch: (B, T_max) int64."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.full((len(seqs), int(lengths.max())), pad_id, dtype=np.int64)
    # One flat copy instead of a Python loop of row assignments: tokenised batches are many short rows.
    out[np.arange(out.shape[1]) < lengths[:, None]] = np.fromiter(
        itertools.chain.from_iterable(seqs), dtype=np.int64, count=int(lengths.sum())
    )
    return out


def token_split(batch: np.ndarray, lengths: np.ndarray, max_tokens: int | None) -> list[np.ndarray]:
    """A batch cut into consecutive row slices of at most `max_tokens` padded tokens each (None: left whole)."""
    if max_tokens is None or len(batch) == 0:
        return [batch]
    rows = max(1, max_tokens // int(lengths[batch].max()))
    return [batch[i : i + rows] for i in range(0, len(batch), rows)]


def encoded_batches(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    batch_size: int,
    max_tokens: int | None = None,
    max_word_chars: int = MAX_WORD_CHARS,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(row indices, padded ids) per model call: `length_batches`' batches, each cut by `token_split`.

    Texts are tokenised one `length_batches` chunk at a time: the batches stay the same, and the id lists (Python
    ints, ~36 bytes per token) of a long input never sit in memory all at once. Words are cut to `max_word_chars`
    first (`limits.cap_words`), so no text makes the tokenizer's memory grow with its length.
    """
    chunk = batch_size * CHUNK_BATCHES
    for start in range(0, len(texts), chunk):
        ids = tokenizer.encode([cap_words(t, max_word_chars) for t in texts[start : start + chunk]])
        lengths = np.fromiter((len(s) for s in ids), dtype=np.int64, count=len(ids))
        for b in length_batches(lengths, batch_size):
            for part in token_split(b, lengths, max_tokens):
                yield start + part, pad_ids([ids[i] for i in part])
