"""Length-sorted batching, the one helper of training, scoring, serving and the teacher (NumPy only, no torch)."""

from __future__ import annotations

import numpy as np

CHUNK_BATCHES = 50  # batches sorted together: similar lengths inside a batch, some shuffling across chunks


def length_batches(
    lengths: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | None = None,
    chunk_batches: int | None = CHUNK_BATCHES,
) -> list[np.ndarray]:
    """Index batches of similar lengths: stable sort inside chunks of `chunk_batches` batches (None: one global sort).

    With `rng` (training): rows are shuffled before chunking and the batches are shuffled after; without it the
    order is fixed, so scoring a list in chunks of `batch_size * chunk_batches` rows gives the same batches.
    """
    n = len(lengths)
    idx = rng.permutation(n) if rng is not None else np.arange(n)
    chunk = batch_size * chunk_batches if chunk_batches else max(n, 1)
    batches = []
    for s in range(0, n, chunk):
        part = idx[s : s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches
