"""TF-IDF (word + char n-grams) + one logistic regression per label: the report's baseline."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack
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


class TfidfLR:
    """Word+char TF-IDF features and one LogisticRegression per label."""

    def __init__(self, cfg: TfidfConfig, labels: list[str]):
        self.cfg, self.labels = cfg, list(labels)
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

    def _features(self, texts, fit: bool = False):
        texts = self._prep(texts)
        return hstack([v.fit_transform(texts) if fit else v.transform(texts) for v in self.vecs]).tocsr()

    def fit(self, texts, y: np.ndarray) -> TfidfLR:
        """Fit the vectorizers and one classifier per label on (texts, (N, L) 0/1 labels)."""
        x = self._features(texts, fit=True)
        self.clfs = [
            LogisticRegression(C=self.cfg.C, class_weight=self.cfg.class_weight, max_iter=2000, solver="liblinear").fit(
                x, y[:, j]
            )
            for j in range(len(self.labels))
        ]
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
                    v.idf_ = z[f"idf{i}"].astype(np.float64)
                model.clfs = [_lr(cfg, w, b) for w, b in zip(z["coef"], z["intercept"], strict=True)]
        except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: not a TF-IDF + LR model file ({type(e).__name__}: {e}); refit it") from e
        return model


FORMAT = "toxic-small tfidf_lr v1"


def _json_array(obj) -> np.ndarray:
    """Any JSON value as a uint8 array, so np.load never needs pickle."""
    return np.frombuffer(json.dumps(obj).encode("utf-8"), dtype=np.uint8)


def _lr(cfg: TfidfConfig, coef: np.ndarray, intercept: float) -> LogisticRegression:
    """A fitted binary LogisticRegression from stored weights."""
    clf = LogisticRegression(C=cfg.C, class_weight=cfg.class_weight, solver="liblinear")
    clf.coef_, clf.intercept_ = coef[None, :].astype(np.float64), np.array([intercept], dtype=np.float64)
    clf.classes_ = np.array([0, 1])
    return clf
