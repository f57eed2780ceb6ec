"""TF-IDF (word + char n-grams) + one logistic regression per label: the report's baseline.

Both cores work during a fit (`TfidfJobs`): the per-label liblinear fits run in threads (liblinear releases the
GIL while it trains), on large inputs the vectorizers fit in worker processes, char n-grams first (`fit_all`: one
model's, or every vectorizer of several models together), and prediction splits its rows across processes. Each
piece computes exactly what the sequential path computes (the vectorizers' transform is row by row; each label's
fit is independent), so the models and probabilities are identical for any `n_jobs` (tests/test_tfidf.py).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class TfidfConfig:
    """Hyper-parameters of the TF-IDF + LR baseline."""

    word_ngrams: tuple[int, int] = (1, 2)  # word n-gram range
    char_ngrams: tuple[int, int] = (2, 5)  # char_wb n-gram range; 0 disables char features
    max_features: int = 200_000  # per vectorizer, keeps the model small and fast
    min_df: int = 2  # drop n-grams seen once: noise and size
    C: float = 4.0  # inverse L2 strength of each logistic regression
    class_weight: str | None = "balanced"  # the report's class weighting, LR flavour
    clean: bool = False  # apply the report's [a-zA-Z]+ cleaning first

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TfidfConfig:
        """The config from its `asdict` form read back from JSON (which turns the n-gram tuples into lists)."""
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**kw)


def default_jobs() -> int:
    """Every core the machine has (2 when it cannot tell)."""
    return os.cpu_count() or 2


@dataclass(frozen=True)
class TfidfJobs:
    """How a fit or prediction uses the cores: never what it computes, so it is not stored with the model."""

    n_jobs: int = field(default_factory=default_jobs)  # label fits at once, and processes vectorising; 1: sequential
    min_rows: int = 20_000  # smaller inputs are vectorised in this process: a worker process takes ~1 s to start
    # Each concurrent liblinear fit holds its own copy of the features (16 bytes per stored value): at Jigsaw's size
    # ~2 GB each, so the copies together stay under this many bytes (the 12 GiB a notebook process may use).
    max_copy_bytes: int = 6 * 2**30


class TfidfLR:
    """Word+char TF-IDF features and one LogisticRegression per label."""

    def __init__(self, cfg: TfidfConfig, labels: list[str], jobs: TfidfJobs | None = None):
        self.cfg, self.labels, self.jobs = cfg, list(labels), jobs or TfidfJobs()
        kw = dict(sublinear_tf=True, min_df=cfg.min_df, max_features=cfg.max_features, dtype=np.float32)
        self.vecs = [TfidfVectorizer(ngram_range=cfg.word_ngrams, **kw)]
        if cfg.char_ngrams[1] > 0:
            self.vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=cfg.char_ngrams, **kw))
        self.clfs: list[LogisticRegression] = []
        self.fingerprint = ""  # of the training data, when loaded from a file that stored one

    def _prep(self, texts):
        if self.cfg.clean:
            from src.data.datasets import clean_text

            return [clean_text(t) for t in texts]
        return list(texts)

    def parallel(self, n_rows: int) -> bool:
        """Whether n_rows are many enough to fit and predict across processes."""
        return self.jobs.n_jobs > 1 and n_rows >= self.jobs.min_rows

    def _features(self, texts) -> csr_matrix:
        """Features of texts under the fitted vectorizers (rows split across processes on large inputs)."""
        texts = self._prep(texts)
        if not self.parallel(len(texts)):
            return hstack([v.transform(texts) for v in self.vecs]).tocsr()
        return _transform_rows(self.vecs, texts, self.jobs.n_jobs)  # rows are independent once fitted

    def fit(self, texts, y: np.ndarray) -> TfidfLR:
        """Fit the vectorizers and one classifier per label on (texts, (N, L) 0/1 labels)."""
        return fit_all([self], texts, y)[0]

    def _fit_labels(self, x: csr_matrix, y: np.ndarray) -> TfidfLR:
        """One classifier per label on fitted features x."""
        x = x.astype(np.float64)  # liblinear works in float64: converted once here, not once per label
        y = np.asarray(y)

        def fit_label(j: int) -> LogisticRegression:
            clf = LogisticRegression(
                C=self.cfg.C, class_weight=self.cfg.class_weight, max_iter=2000, solver="liblinear"
            )
            return clf.fit(x, y[:, j])

        per_fit = 16 * (x.nnz + x.shape[0])  # liblinear's copy: an (index, value) node per stored value and row end
        n = min(self.jobs.n_jobs, len(self.labels), max(1, self.jobs.max_copy_bytes // per_fit))
        if n <= 1:
            self.clfs = [fit_label(j) for j in range(len(self.labels))]
        else:  # threads share x; each fit draws its liblinear seed from np.random as the loop would (unused by it)
            with ThreadPoolExecutor(n) as ex:
                self.clfs = list(ex.map(fit_label, range(len(self.labels))))
        return self

    def predict_proba(self, texts) -> np.ndarray:
        """(N, L) probabilities in LABELS order."""
        x = self._features(texts)
        return np.stack([c.predict_proba(x)[:, 1] for c in self.clfs], axis=1)

    def n_params(self) -> int:
        """Learned numbers: LR weights + biases, plus the IDF vectors the model must store."""
        lr = sum(c.coef_.size + c.intercept_.size for c in self.clfs)
        return int(lr + sum(len(v.idf_) for v in self.vecs))

    def to_bytes(self) -> bytes:
        """The model as `save` writes it (no pickle): its length is the size on disk."""
        buf = io.BytesIO()
        self.save(buf)
        return buf.getvalue()

    def save(self, path, fingerprint: str = "") -> None:
        """Write config, labels, vocabularies, IDF weights and LR weights to one .npz of plain arrays (no pickle).

        `fingerprint` names the training data (see `src.studies.baseline`), so a reader can tell a stale file.
        """
        meta = {"config": asdict(self.cfg), "labels": self.labels, "format": FORMAT, "fingerprint": fingerprint}
        # Any-typed: mypy checks a `**dict` against every keyword of savez_compressed, `allow_pickle: bool` included.
        arrays: dict[str, Any] = {"meta": _json_array(meta)}
        for i, v in enumerate(self.vecs):
            terms = sorted(v.vocabulary_, key=v.vocabulary_.get)  # column order
            arrays |= {f"terms{i}": _json_array(terms), f"idf{i}": v.idf_}
        # (L, F) float64, as fitted: a reload predicts the same.
        arrays["coef"] = np.vstack([c.coef_ for c in self.clfs])
        arrays["intercept"] = np.concatenate([c.intercept_ for c in self.clfs])  # (L,)
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path) -> TfidfLR:
        """A model written by `save`; ValueError naming the file if it is not one (never unpickles anything)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes())
                if meta.get("format") != FORMAT:
                    raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
                cfg = TfidfConfig.from_dict(meta["config"])
                model = cls(cfg, meta["labels"])
                model.fingerprint = meta.get("fingerprint", "")
                for i, v in enumerate(model.vecs):
                    v.vocabulary = {t: j for j, t in enumerate(json.loads(z[f"terms{i}"].tobytes()))}
                    v.fit(["x"])  # validates the fixed vocabulary; the IDF weights are replaced next
                    v.idf_ = z[f"idf{i}"].astype(v.dtype)  # as fitted: a reload is as big as the model it saved
                model.clfs = [_lr(cfg, w, b) for w, b in zip(z["coef"], z["intercept"], strict=True)]
        except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: not a TF-IDF + LR model file ({type(e).__name__}: {e}); refit it") from e
        return model


FORMAT = "toxic-small tfidf_lr v1"


def fit_all(models: list[TfidfLR], texts, y: np.ndarray) -> list[TfidfLR]:
    """Fit one or several TF-IDF + LR models on the same rows: the same models as fitting each in turn.

    On large inputs the vectorizers of all of them are fitted together in the first model's n_jobs processes,
    slowest (char) first, so both cores work through that phase (a lone fit's word vectorizer ends long before its
    char one, leaving a core idle); then each model's label fits run here, in threads, in order.
    """
    if not together(models, len(texts)):
        for m in models:  # each model's features freed once its labels are fitted
            prepped = m._prep(texts)
            m._fit_labels(hstack([v.fit_transform(prepped) for v in m.vecs]).tocsr(), y)
        return models
    prepped = [m._prep(texts) for m in models]
    tasks = [(i, j) for i, m in enumerate(models) for j in range(len(m.vecs))]
    tasks.sort(key=lambda t: models[t[0]].vecs[t[1]].analyzer != "char_wb")  # char first: the longest tasks
    with _pool(models[0].jobs.n_jobs) as pool:
        futures = {t: pool.submit(_fit_transform, models[t[0]].vecs[t[1]], prepped[t[0]]) for t in tasks}
        done = {t: f.result() for t, f in futures.items()}
    for i, m in enumerate(models):  # each model's features freed once its labels are fitted
        parts = [done.pop((i, j)) for j in range(len(m.vecs))]
        m.vecs = [v for v, _ in parts]
        m._fit_labels(hstack([x for _, x in parts]).tocsr(), y)
    return models


def together(models: list[TfidfLR], n_rows: int) -> bool:
    """Whether `fit_all` fits these models' vectorizers side by side in processes (two or more, on many rows)."""
    return sum(len(m.vecs) for m in models) > 1 and models[0].parallel(n_rows)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Spawned worker processes (a forked Jupyter kernel can hang); joined on exit, so their CPU time is counted."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _fit_transform(vec: TfidfVectorizer, texts: list[str]) -> tuple[TfidfVectorizer, csr_matrix]:
    """(the fitted vectorizer, its features of texts): one vectorizer's fit, in a worker process."""
    x = vec.fit_transform(texts)
    return vec, x


def _transform(vecs: list[TfidfVectorizer], texts: list[str]) -> csr_matrix:
    """The stacked features of texts under fitted vectorizers (a block of rows, in a worker process)."""
    return hstack([v.transform(texts) for v in vecs]).tocsr()


def _transform_rows(vecs: list[TfidfVectorizer], texts: list[str], n_jobs: int) -> csr_matrix:
    """`_transform` of texts in n_jobs blocks of rows, the first here and the rest in worker processes."""
    bounds = np.linspace(0, len(texts), n_jobs + 1).astype(int)
    blocks = [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with _pool(n_jobs - 1) as pool:
        futures = [pool.submit(_transform, vecs, b) for b in blocks[1:]]
        first = _transform(vecs, blocks[0])
        return vstack([first, *(f.result() for f in futures)]).tocsr()


def _json_array(obj) -> np.ndarray:
    """Any JSON value as a uint8 array, so np.load never needs pickle."""
    return np.frombuffer(json.dumps(obj).encode("utf-8"), dtype=np.uint8)


def _lr(cfg: TfidfConfig, coef: np.ndarray, intercept: float) -> LogisticRegression:
    """A fitted binary LogisticRegression from stored weights."""
    clf = LogisticRegression(C=cfg.C, class_weight=cfg.class_weight, solver="liblinear")
    clf.coef_, clf.intercept_ = coef[None, :].astype(np.float64), np.array([intercept], dtype=np.float64)
    clf.classes_ = np.array([0, 1])
    return clf
