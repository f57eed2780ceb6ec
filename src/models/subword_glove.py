"""Start vectors for a subword (BPE) table from GloVe: the report's closing idea (BPE plus a pre-trained embedding
layer) at the size of a small table, so a <= 200K-parameter model keeps some of GloVe's knowledge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from src.data.datasets import clean_text
from src.data.glove import load_vectors
from src.data.tokenizers import Tokenizer
from src.models.embeddings import ppmi_svd


def subword_glove(
    tokenizer: Tokenizer, texts: Iterable[str], dim: int, source: str | Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """((V, dim) vectors, (V,) bool covered): each token's count-weighted mean GloVe vector over the training words
    it is a piece of, centred and projected on its top `dim` principal axes; tokens no known word covers get zeros.

    Every word is encoded alone: BPE splits text at spaces, so a word's pieces are the same as in a sentence.
    """
    counts = Counter(w for t in texts for w in clean_text(t).split())
    words = sorted(counts)  # a fixed order, whatever the order of the training rows
    vecs, found = load_vectors(words, source)
    pieces = tokenizer.encode(words)
    rows = np.concatenate([np.asarray(p, dtype=np.int64) for p in pieces]) if words else np.zeros(0, np.int64)
    cols = np.repeat(np.arange(len(words)), [len(p) for p in pieces])
    weight = np.array([counts[w] for w in words], dtype=np.float64)[cols] * found[cols]
    m = sp.csr_matrix((weight, (rows, cols)), shape=(tokenizer.vocab_size, len(words)))
    mass = np.asarray(m.sum(axis=1)).ravel()
    covered = mass > 0
    covered[0] = False  # PAD
    out = np.zeros((tokenizer.vocab_size, dim), dtype=np.float32)
    if covered.sum() <= dim:
        raise ValueError(f"only {int(covered.sum())} tokens have a GloVe word, too few for {dim} dimensions")
    mean = np.asarray(m[covered] @ vecs, dtype=np.float64) / mass[covered, None]  # (V_covered, 50)
    centred = mean - mean.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out[covered] = centred @ vt[:dim].T
    return out, covered


def glove_ppmi_vectors(
    tokenizer: Tokenizer,
    texts: list[str],
    ids: list[list[int]],
    dim: int,
    glove_dim: int,
    seed: int = 0,
    source: str | Path | None = None,
) -> np.ndarray:
    """(V, dim) start: `glove_dim` columns from `subword_glove`, the rest PPMI+SVD of the training ids, each block
    at unit standard deviation (the caller rescales the whole table)."""
    if not 0 < glove_dim <= dim:
        raise ValueError(f"glove_dim must be in 1..{dim}, got {glove_dim}")
    g, covered = subword_glove(tokenizer, texts, glove_dim, source)
    blocks = [g / g[covered].std()]
    if dim > glove_dim:
        p = ppmi_svd(ids, tokenizer.vocab_size, dim - glove_dim, seed=seed)
        blocks.append(p / p[1:].std())
    out = np.concatenate(blocks, axis=1).astype(np.float32)
    out[0] = 0.0  # PAD
    return out
