"""Notebook glue for encoder experiments: encode splits once, train one configuration, collect its row."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from src.data.datasets import Splits, label_matrix
from src.evaluation.metrics import evaluate_model
from src.experiments.results import model_entry
from src.models.embeddings import ppmi_svd, skipgram
from src.models.encoder import Encoder, ModelConfig, count_params, init_embedding
from src.training.loop import History, TrainConfig, fit, predict_proba, set_seed


@dataclass
class Encoded:
    """Token ids and label matrices of the three splits for one tokenizer."""

    tokenizer: object  # BPETokenizer or WordTokenizer
    train: list[list[int]]
    val: list[list[int]]
    test: list[list[int]]
    y_train: np.ndarray  # (N, L) float32, LABELS order
    y_val: np.ndarray
    y_test: np.ndarray


@dataclass
class Trained:
    """A trained encoder with its validation/test probabilities."""

    model: Encoder
    history: History
    p_val: np.ndarray
    p_test: np.ndarray
    train_seconds: float


def encode(tokenizer, splits: Splits) -> Encoded:
    """Tokenise train/validation/test with one tokenizer."""
    labels = list(splits.spec.labels)
    ids = [tokenizer.encode(list(df["text"])) for df in (splits.train, splits.val, splits.test)]
    ys = [label_matrix(df, labels) for df in (splits.train, splits.val, splits.test)]
    return Encoded(tokenizer, *ids, *ys)


def init_vectors(kind: str, data: Encoded, dim: int, seed: int = 0) -> np.ndarray | None:
    """Embedding start from the training text only: 'random' (None), 'ppmi' (PPMI+SVD) or 'skipgram'."""
    if kind == "random":
        return None
    if kind == "ppmi":
        return ppmi_svd(data.train, data.tokenizer.vocab_size, dim, seed=seed)
    if kind == "skipgram":
        return skipgram(data.train, data.tokenizer.vocab_size, dim, epochs=2, seed=seed)
    raise ValueError(f"unknown embedding init {kind!r}: random, ppmi or skipgram")


def train_encoder(
    data: Encoded,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    vectors: np.ndarray | None = None,
    embedding: torch.nn.Module | None = None,
    desc: str = "train",
    loss_fn=None,
) -> Trained:
    """Build an Encoder (seeded), start its embedding from `vectors`, train with early stopping, predict.

    `loss_fn(logits, row_idx)` replaces the class-weighted BCE (e.g. `distill.make_loss`).
    """
    set_seed(train_cfg.seed)
    model = Encoder(model_cfg, embedding=embedding)
    if embedding is None:
        init_embedding(model, None if vectors is None else torch.as_tensor(vectors))
    t0 = time.perf_counter()
    hist = fit(model, data.train, data.y_train, data.val, data.y_val, train_cfg, desc=desc, loss_fn=loss_fn)
    seconds = time.perf_counter() - t0
    return Trained(model, hist, predict_proba(model, data.val), predict_proba(model, data.test), seconds)


def summary_row(run: Trained, data: Encoded) -> dict:
    """One sweep-table row: params, best validation AUC, epochs, seconds per epoch."""
    c = count_params(run.model)
    return {
        "params": c["total"],
        "embedding": c["embedding"],
        "trainable": c["trainable"],
        "val_macro_auc": round(run.history.best_auc, 4),
        "best_epoch": run.history.best_epoch + 1,
        "s_per_epoch": round(run.history.seconds_per_epoch, 1),
    }


def scores(runs: list[Trained], data: Encoded, labels: list[str], derived: dict) -> dict:
    """evaluate_model on the mean probabilities of `runs` (one run, or a same-size seed/model ensemble)."""
    p_val = np.mean([r.p_val for r in runs], axis=0)
    p_test = np.mean([r.p_test for r in runs], axis=0)
    return evaluate_model(data.y_val, p_val, data.y_test, p_test, labels, derived)


def entry(run: Trained, s: dict, size_bytes: int = 0, **extra) -> dict:
    """A results-file model record for a trained encoder (params counted, speed recorded)."""
    c = count_params(run.model)
    return model_entry(
        c["total"],
        c["trainable"],
        size_bytes,
        s,
        seconds_per_epoch=run.history.seconds_per_epoch,
        best_epoch=run.history.best_epoch + 1,
        train_seconds=run.train_seconds,
        **extra,
    )


def predict_texts(model: Encoder, tokenizer, texts: list[str]) -> np.ndarray:
    """(N, L) probabilities straight from raw texts."""
    return predict_proba(model, tokenizer.encode(texts))
