"""One run record and one training entry point for every experiment: encode splits once, train, predict, record."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch

from src.common.seeding import set_seed
from src.data.datasets import Splits, label_matrix, stratified_split
from src.data.tokenizers import Tokenizer
from src.evaluation.metrics import evaluate_model
from src.evaluation.records import model_entry
from src.models.embeddings import ppmi_svd, skipgram
from src.models.encoder import Encoder, ModelConfig, init_embedding
from src.models.size import count_params
from src.training.distill import make_loss
from src.training.loop import History, TrainConfig, fit, predict_proba


@dataclass
class Encoded:
    """Token ids and label matrices of the three splits for one tokenizer."""

    tokenizer: Tokenizer
    train: list[list[int]]
    val: list[list[int]]
    test: list[list[int]]
    y_train: np.ndarray  # (N, L) float32, LABELS order
    y_val: np.ndarray
    y_test: np.ndarray | None  # None where only train/validation are needed (training jobs)

    def subset(self, rows: np.ndarray | None, seed: int = 0) -> Encoded:
        """The same splits with train cut to `rows` (None: self) and validation to a stratified sample of as many rows
        (`sweep_rows`); test stays whole. At Jigsaw's size a sample-trained run's validation pass over every row, one
        per epoch, took longer than its training; its comparisons only need the same validation rows for every run."""
        if rows is None:
            return self
        val_rows = sweep_val_rows(self.y_val, rows, seed)
        val, y_val = (
            (self.val, self.y_val) if val_rows is None else ([self.val[i] for i in val_rows], self.y_val[val_rows])
        )
        train = [self.train[i] for i in rows]
        return Encoded(self.tokenizer, train, val, self.test, self.y_train[rows], y_val, self.y_test)


def sweep_rows(y: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a label-stratified sample of `n` rows of a split for sweeps and ablations (None: all rows).

    Final models always train on every row; only choices made between configurations use the sample.
    """
    if n is None or n >= len(y):
        return None
    return np.flatnonzero(stratified_split(y, frac=n / len(y), seed=seed + 7))


def sweep_val_rows(y_val: np.ndarray, rows: np.ndarray | None, seed: int = 0) -> np.ndarray | None:
    """The validation rows of runs trained on train `rows`: a stratified sample of as many (None: every row)."""
    return None if rows is None else sweep_rows(y_val, len(rows), seed)


def train_part(split: dict, rows: np.ndarray | None, val_rows: np.ndarray | None = None) -> dict:
    """A {"train", "val", "test"} dict of ids, labels or probabilities with "train" cut to `rows` and "val" to
    `val_rows` (None: as is; `Encoded.subset` says why the validation rows of a sample-trained run are cut)."""
    if rows is None and val_rows is None:
        return split
    out = dict(split)
    for key, idx in (("train", rows), ("val", val_rows)):
        if idx is not None:
            part = split[key]
            out[key] = part[idx] if isinstance(part, np.ndarray) else [part[i] for i in idx]
    return out


@dataclass
class Run:
    """One trained model (encoder or any fit/predict_proba model) with its probabilities and timings."""

    model: Any  # an Encoder, or anything with fit(texts, y) and predict_proba(texts) (TF-IDF + LR)
    p_val: np.ndarray  # (N_val, L) probabilities, LABELS order
    p_test: np.ndarray  # (N_test, L)
    train_seconds: float  # wall time of training on the train split
    history: History = field(default_factory=History)  # epochs of an encoder run (empty for sklearn-style models)
    tokenizer: Tokenizer | None = None  # what turns raw text into the model's ids (encoders)
    comments_per_second: float | None = None  # test-set prediction throughput, where it was timed

    @property
    def params(self) -> dict[str, int]:
        """`size.count_params` of an encoder; {"total", "trainable"} from n_params() otherwise."""
        if isinstance(self.model, torch.nn.Module):
            return count_params(self.model)
        n = int(self.model.n_params())
        return {"total": n, "trainable": n}


def encode(tokenizer: Tokenizer, splits: Splits) -> Encoded:
    """Tokenise train/validation/test with one tokenizer."""
    labels = list(splits.spec.labels)
    tr, va, te = (tokenizer.encode(list(df["text"])) for df in (splits.train, splits.val, splits.test))
    y_tr, y_va, y_te = (label_matrix(df, labels) for df in (splits.train, splits.val, splits.test))
    return Encoded(tokenizer, tr, va, te, y_tr, y_va, y_te)


def init_vectors(kind: str, data: Encoded, dim: int, seed: int = 0) -> np.ndarray | None:
    """Embedding start from the training text only: 'random' (None), 'ppmi' (PPMI+SVD) or 'skipgram'."""
    if kind == "random":
        return None
    if kind == "ppmi":
        return ppmi_svd(data.train, data.tokenizer.vocab_size, dim, seed=seed)
    if kind == "skipgram":
        return skipgram(data.train, data.tokenizer.vocab_size, dim, epochs=2, seed=seed)
    raise ValueError(f"unknown embedding init {kind!r}: random, ppmi or skipgram")


def train_run(
    data: Encoded,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    vectors: np.ndarray | None = None,
    embedding: torch.nn.Module | None = None,
    teacher: np.ndarray | None = None,
    alpha: float = 0.0,
    temperature: float = 1.0,
    dtype: torch.dtype = torch.float32,
    desc: str = "train",
) -> Run:
    """Build an Encoder (seeded), start its embedding, train with early stopping, predict validation and test.

    `embedding` replaces the plain table (e.g. a GloveEmbedding); otherwise it starts from `vectors` (None: random).
    `teacher` (N_train, L) probabilities with `alpha` > 0 train with the distillation loss; alpha 0 is plain
    class-weighted BCE. `dtype` is the training precision (predictions come back as float32).
    """
    set_seed(train_cfg.seed)
    model = Encoder(model_cfg, embedding=embedding)
    if embedding is None:
        init_embedding(model, None if vectors is None else torch.as_tensor(vectors))
    model.to(dtype)
    loss = None  # alpha 0: fit's own weighted BCE, whether or not a teacher is given
    if alpha > 0:  # make_loss refuses a missing teacher or one of the wrong shape
        loss = make_loss(data.y_train, teacher, alpha, temperature, train_cfg.pos_weight_power)
    t0 = time.perf_counter()
    hist = fit(model, data.train, data.y_train, data.val, data.y_val, train_cfg, desc=desc, loss_fn=loss)
    seconds = time.perf_counter() - t0
    p_val = predict_proba(model, data.val)
    p_test = predict_proba(model, data.test)
    return Run(model.cpu(), p_val, p_test, seconds, hist, data.tokenizer)


def _call(fn_job: tuple[Callable, dict]):
    fn, job = fn_job
    return fn(**job)


def in_processes(fn: Callable, jobs: list[dict], workers: int = 2) -> list:
    """[fn(**job) for job in jobs], `workers` at a time in spawned processes with one torch thread each.

    Every run seeds itself, so the results equal a loop's (workers=1 runs the loop here); the workers' progress
    bars go to the kernel's log, not into the notebook.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [fn(**job) for job in jobs]
    ctx = multiprocessing.get_context("spawn")  # forking after torch started its thread pool can hang
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        return list(pool.map(_call, [(fn, job) for job in jobs]))


def in_background(fn: Callable, job: dict) -> Future:
    """fn(**job) in one spawned process with one torch thread while the caller goes on; `.result()` waits for it.

    For a lone run beside a `workers`-wide pool (e.g. the report setting during the sweep): one more process than
    cores for a while, rather than a core idle for the whole lone run. It seeds itself, so the result is the same.
    """
    ctx = multiprocessing.get_context("spawn")  # as in_processes
    pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=torch.set_num_threads, initargs=(1,))
    future = pool.submit(_call, (fn, job))
    pool.shutdown(wait=False)  # the submitted job still runs; the process exits when it is done
    return future


@dataclass(frozen=True)
class TrainJob:
    """The arguments of one `train_run`: a typed job for `train_many` (change one with `dataclasses.replace`)."""

    data: Encoded  # token ids and labels of the splits it trains and predicts on
    model_cfg: ModelConfig  # the Encoder's shape
    train_cfg: TrainConfig  # schedule, loss weighting, seed
    vectors: np.ndarray | None = None  # (V, d) start of the embedding table; None: random
    embedding: torch.nn.Module | None = None  # replaces the plain table (e.g. a GloveEmbedding)
    teacher: np.ndarray | None = None  # (N_train, L) soft targets for distillation
    alpha: float = 0.0  # weight of the teacher's term (0: plain class-weighted BCE)
    temperature: float = 1.0  # softening of the teacher's probabilities
    dtype: torch.dtype = torch.float32  # training precision
    desc: str = "train"  # progress-bar label

    def kwargs(self) -> dict:
        """The job as `train_run` keyword arguments (shallow: arrays and models are not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def train_many(jobs: Sequence[TrainJob], workers: int = 2) -> list[Run]:
    """`train_run` of every job, side by side (see `in_processes`)."""
    return in_processes(train_run, [j.kwargs() for j in jobs], workers)


def fit_predict(model, splits: Splits) -> Run:
    """Fit any fit/predict_proba model on train, predict validation and test, timing fit and test prediction."""
    labels = list(splits.spec.labels)
    t0 = time.perf_counter()
    model.fit(list(splits.train["text"]), label_matrix(splits.train, labels).astype(int))
    return predict_run(model, splits, time.perf_counter() - t0)


def predict_run(model, splits: Splits, fit_s: float) -> Run:
    """The Run of a fitted model (fit_s: its fit's seconds): validation and test predictions, test comments/s."""
    p_val = model.predict_proba(list(splits.val["text"]))
    t0 = time.perf_counter()
    p_test = model.predict_proba(list(splits.test["text"]))
    pred_s = time.perf_counter() - t0
    return Run(model, p_val, p_test, fit_s, comments_per_second=len(splits.test) / max(pred_s, 1e-9))


def scores(runs: list[Run], data: Encoded, labels: list[str], derived: dict) -> dict:
    """evaluate_model on the mean probabilities of `runs` (one run, or a same-size seed/model ensemble)."""
    p_val = np.mean([r.p_val for r in runs], axis=0)
    p_test = np.mean([r.p_test for r in runs], axis=0)
    assert data.y_test is not None, "scoring needs the test labels (Encoded.y_test)"
    return evaluate_model(data.y_val, p_val, data.y_test, p_test, labels, derived)


def entry(run: Run, s: dict, size_bytes: int = 0, **extra) -> dict:
    """A results-file model record for a trained encoder (params counted, speed recorded)."""
    c = run.params
    return model_entry(
        c["total"],
        c["trainable"],
        size_bytes,
        s,
        seconds_per_epoch=run.history.seconds_per_epoch,
        best_epoch=run.history.best_epoch + 1,
        train_seconds=run.train_seconds,
        val_auc_per_epoch=list(run.history.val_auc),  # the learning curve REPORT.md draws
        **extra,
    )


def predict_texts(model: Encoder, tokenizer: Tokenizer, texts: list[str]) -> np.ndarray:
    """(N, L) probabilities straight from raw texts."""
    return predict_proba(model, tokenizer.encode(texts))
