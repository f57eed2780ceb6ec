"""GloVe-transformer experiments: synthetic vectors for CI, one-call train/predict, seed and blend helpers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from src.data.datasets import clean_text
from src.data.glove import PACKAGE_DIM, WordTokenizer
from src.evaluation.compress import serialized_bytes
from src.evaluation.metrics import seed_stats
from src.experiments.runs import Encoded, train_encoder
from src.models.embeddings import ppmi_svd
from src.models.encoder import Encoder, ModelConfig, count_params
from src.models.glove_embedding import GloveEmbedding
from src.training.distill import make_loss
from src.training.loop import History, TrainConfig, macro_auc


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
    teacher: np.ndarray | None = None,
    alpha: float = 0.0,
) -> GloveRun:
    """Build GloveEmbedding(mode) + Encoder(mcfg), fit on ids['train'], predict 'val' and 'test'.

    `corpus` (V, K), e.g. from `corpus_vectors`, is appended to every word vector as K frozen columns.
    `teacher` (N_train, L) probabilities with `alpha` > 0: distillation loss (`src.training.distill.distill_loss`).
    """
    emb = GloveEmbedding(tok.vectors, mode, trainable_ids=tok.trainable_ids, corpus=corpus)
    cfg = replace(mcfg, vocab_size=tok.vocab_size, max_len=tok.max_len, emb_dim=emb.dim)
    data = Encoded(tok, ids["train"], ids["val"], ids["test"], y["train"], y["val"], None)
    loss = None  # alpha 0: fit's own weighted BCE, whether or not a teacher is given
    if alpha > 0:  # make_loss refuses a missing teacher or one of the wrong shape
        loss = make_loss(y["train"], teacher, alpha, pos_weight_power=tcfg.pos_weight_power)
    run = train_encoder(data, cfg, tcfg, embedding=emb, desc=desc, loss_fn=loss)  # seeds the init like any run
    return GloveRun(run.model.cpu(), tok, run.history, run.p_val, run.p_test)


def _train_job(job: dict) -> GloveRun:
    return train_glove(**job)


def train_glove_many(jobs: list[dict], workers: int = 2) -> list[GloveRun]:
    """`train_glove(**job)` for every job, `workers` at a time in spawned processes with one torch thread each.

    Every run seeds itself, so the results equal a sequential loop's (workers=1 runs one); the workers'
    progress bars go to the kernel's log, not into the notebook.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [train_glove(**job) for job in jobs]
    ctx = multiprocessing.get_context("spawn")  # forking after torch started its thread pool can hang
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        return list(pool.map(_train_job, jobs))


def state_bytes(model: torch.nn.Module) -> int:
    """Size of the model's serialised state_dict (what one more ensemble member adds on disk)."""
    return serialized_bytes(model.state_dict())


def pick_blend_weight(
    y_val: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, weights=(0.0, 0.2, 0.3, 0.4, 0.5)
) -> tuple[float, dict[float, float]]:
    """Weight w of model b in (1-w)·a + w·b with the best validation macro AUC, and the AUC of each w."""
    aucs = {float(w): macro_auc(y_val, (1 - w) * p_a + w * p_b) for w in weights}
    return max(aucs, key=aucs.get), aucs


def seed_table(scores: dict[int, dict]) -> pd.DataFrame:
    """Columns = seeds (+ mean, std): val/test macro AUC, test per-label AUC and tuned F1, derived F1."""
    t = pd.DataFrame(
        {
            s: {
                "val macro AUC": x["validation"]["roc_auc"]["macro"],
                "test macro AUC": x["test"]["roc_auc"]["macro"],
                **{f"test {k} AUC": v for k, v in x["test"]["roc_auc"]["per_label"].items()},
                **{f"test {k} F1 (tuned)": v["f1"] for k, v in x["test"]["at_tuned"]["per_label"].items()},
                **{f"test {k} F1 (derived)": d["f1_at_tuned"] for k, d in x["test"]["derived"].items()},
            }
            for s, x in scores.items()
        }
    )
    t["mean"], t["std"] = t.mean(axis=1), t.std(axis=1, ddof=1)
    return t


def seed_record(scores: dict[int, dict]) -> dict:
    """For results files: test macro AUC over seeds (values, mean, std), validation's, and derived hate F1's."""
    test = seed_stats([x["test"]["roc_auc"]["macro"] for x in scores.values()])
    return {
        "seeds": list(scores),
        "test_macro_auc": test["values"],
        "mean": test["mean"],
        "std": test["std"],
        "val_macro_auc": seed_stats([x["validation"]["roc_auc"]["macro"] for x in scores.values()]),
        "test_hate_f1": seed_stats(
            [x["test"]["derived"].get("hate", {}).get("f1_at_tuned", np.nan) for x in scores.values()]
        ),
    }
