"""Embedding initialisations from the training text alone: PPMI + truncated SVD, and skip-gram."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.decomposition import TruncatedSVD
from tqdm import tqdm


def cooccurrence(ids: list[list[int]], vocab_size: int, window: int = 4) -> sp.csr_matrix:
    """Symmetric (V, V) counts of token pairs at most `window` apart, weighted 1/distance."""
    rows, cols, vals = [], [], []
    for s in ids:
        a = np.asarray(s)
        for d in range(1, window + 1):
            if len(a) > d:
                rows.append(a[:-d])
                cols.append(a[d:])
                vals.append(np.full(len(a) - d, 1.0 / d))
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    m = sp.coo_matrix((v, (r, c)), shape=(vocab_size, vocab_size)).tocsr()
    return (m + m.T).tocsr()


def ppmi_svd(
    ids: list[list[int]], vocab_size: int, dim: int, window: int = 4, alpha: float = 0.75, seed: int = 0
) -> np.ndarray:
    """(V, dim) vectors: positive PMI of co-occurrences (context-smoothed), then truncated SVD, U·√S."""
    m = cooccurrence(ids, vocab_size, window)
    total = m.sum()
    row = np.asarray(m.sum(axis=1)).ravel()
    ctx = np.asarray(m.sum(axis=0)).ravel() ** alpha  # smoothing keeps rare contexts from dominating PMI
    ctx = ctx / ctx.sum()
    m = m.tocoo()
    pmi = np.log(m.data / (row[m.row] / total) / ctx[m.col] / total)
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (m.row[keep], m.col[keep])), shape=m.shape)
    svd = TruncatedSVD(n_components=dim, random_state=seed, algorithm="randomized", n_iter=7)
    u = svd.fit_transform(ppmi)  # = U·S
    vec = u / np.sqrt(np.maximum(svd.singular_values_, 1e-8))  # U·√S: the usual symmetric split
    return vec.astype(np.float32)


def skipgram(
    ids: list[list[int]],
    vocab_size: int,
    dim: int,
    window: int = 4,
    negatives: int = 5,
    epochs: int = 1,
    batch_size: int = 4096,
    lr: float = 0.01,
    seed: int = 0,
) -> np.ndarray:
    """(V, dim) skip-gram with negative sampling vectors (the report's pre-training), trained in torch."""
    g = torch.Generator().manual_seed(seed)
    pair_arrays: list[np.ndarray] = []
    for d in range(1, window + 1):
        for s in ids:
            if len(s) > d:
                a = np.asarray(s)
                pair_arrays += [np.stack([a[:-d], a[d:]], 1), np.stack([a[d:], a[:-d]], 1)]
    pairs = torch.as_tensor(np.concatenate(pair_arrays), dtype=torch.long)  # (P, 2) center, context
    counts = torch.bincount(pairs[:, 1], minlength=vocab_size).float() ** 0.75
    counts[0] = 0  # never sample PAD as a negative
    emb_in = torch.nn.Embedding(vocab_size, dim)
    emb_out = torch.nn.Embedding(vocab_size, dim)
    torch.nn.init.uniform_(emb_in.weight, -0.5 / dim, 0.5 / dim, generator=g)
    torch.nn.init.zeros_(emb_out.weight)
    opt = torch.optim.Adam([*emb_in.parameters(), *emb_out.parameters()], lr=lr)
    n_steps = epochs * (-(-len(pairs) // batch_size))
    bar = tqdm(total=n_steps, desc="skip-gram", leave=False)
    for _ in range(epochs):
        for b in torch.randperm(len(pairs), generator=g).split(batch_size):
            c, o = pairs[b, 0], pairs[b, 1]
            neg = torch.multinomial(counts, len(b) * negatives, replacement=True, generator=g).view(len(b), negatives)
            vc = emb_in(c)  # (B, C)
            pos = (vc * emb_out(o)).sum(-1)  # (B,)
            negs = torch.bmm(emb_out(neg), vc.unsqueeze(-1)).squeeze(-1)  # (B, K)
            loss = -(torch.nn.functional.logsigmoid(pos).mean() + torch.nn.functional.logsigmoid(-negs).sum(-1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.update(1)
    bar.close()
    return emb_in.weight.detach().numpy().astype(np.float32)
