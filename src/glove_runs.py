"""GloVe-transformer experiments: synthetic vectors for CI, one-call train/predict, seed and blend helpers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from src.compress import serialized_bytes
from src.data import clean_text
from src.embeddings import ppmi_svd
from src.glove import PACKAGE_DIM, GloveEmbedding, WordTokenizer
from src.model import Encoder, ModelConfig, count_params
from src.pipeline import Encoded, train_encoder
from src.train import History, TrainConfig, macro_auc


def write_synthetic_glove(texts, path: str | Path, dim: int = PACKAGE_DIM, seed: int = 0, skip_every: int = 7) -> Path:
    """A glove.*.txt-format file of random vectors for the words of `texts` (every `skip_every`-th left out: OOV)."""
    words = sorted({w for t in texts for w in clean_text(t).split()})
    rng = np.random.default_rng(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, w in enumerate(words):
            if skip_every and i % skip_every == skip_every - 1:
                continue  # some words stay unknown so the OOV code paths run in CI too
            f.write(w + " " + " ".join(f"{x:.5f}" for x in rng.normal(0, 0.4, dim)) + "\n")
    return path


@dataclass
class GloveRun:
    """One trained GloVe encoder with its validation/test probabilities."""

    model: Encoder
    tokenizer: WordTokenizer
    history: History
    p_val: np.ndarray  # (N_val, L)
    p_test: np.ndarray  # (N_test, L)

    @property
    def params(self) -> dict[str, int]:
        """count_params of the model (frozen GloVe rows count in total, not in trainable)."""
        return count_params(self.model)


def corpus_vectors(train_ids: list[list[int]], vocab_size: int, dim: int, std: float = 0.3) -> np.ndarray:
    """(V, dim) PPMI+SVD word vectors of the training text, rescaled to `std` (GloVe rows: about 0.64)."""
    v = ppmi_svd(train_ids, vocab_size, dim, seed=0)
    # About half the GloVe spread: the pretrained columns still dominate the projection at the start.
    return (v * (std / max(float(v[1:].std()), 1e-8))).astype(np.float32)


def train_glove(
    tok: WordTokenizer,
    mode: str,
    mcfg: ModelConfig,
    tcfg: TrainConfig,
    ids: dict[str, list[list[int]]],
    y: dict[str, np.ndarray],
    desc: str = "train",
    corpus: np.ndarray | None = None,
) -> GloveRun:
    """Build GloveEmbedding(mode) + Encoder(mcfg), fit on ids['train'], predict 'val' and 'test'.

    `corpus` (V, K), e.g. from `corpus_vectors`, is appended to every word vector as K frozen columns.
    """
    emb = GloveEmbedding(tok.vectors, mode, trainable_ids=tok.trainable_ids, corpus=corpus)
    cfg = replace(mcfg, vocab_size=tok.vocab_size, max_len=tok.max_len, emb_dim=emb.dim)
    data = Encoded(tok, ids["train"], ids["val"], ids["test"], y["train"], y["val"], None)
    run = train_encoder(data, cfg, tcfg, embedding=emb, desc=desc)  # seeds the init like any encoder run
    return GloveRun(run.model.cpu(), tok, run.history, run.p_val, run.p_test)


def state_bytes(model: torch.nn.Module) -> int:
    """Size of the model's serialised state_dict (what one more ensemble member adds on disk)."""
    return serialized_bytes(model.state_dict())


def seed_stats(values) -> dict:
    """{"values": [...], "mean": m, "std": s} (sample std, ddof=1; 0 for one value)."""
    v = [float(x) for x in values]
    return {"values": v, "mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}


def pick_blend_weight(
    y_val: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, weights=(0.0, 0.2, 0.3, 0.4, 0.5)
) -> tuple[float, dict[float, float]]:
    """Weight w of model b in (1-w)·a + w·b with the best validation macro AUC, and the AUC of each w."""
    aucs = {float(w): macro_auc(y_val, (1 - w) * p_a + w * p_b) for w in weights}
    return max(aucs, key=aucs.get), aucs
