"""TF-IDF (word + char n-grams) + one logistic regression per label: the report's baseline."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

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


class TfidfLR:
    """Word+char TF-IDF features and one LogisticRegression per label."""

    def __init__(self, cfg: TfidfConfig, labels: list[str]):
        self.cfg, self.labels = cfg, list(labels)
        kw = dict(sublinear_tf=True, min_df=cfg.min_df, max_features=cfg.max_features, dtype=np.float32)
        self.vecs = [TfidfVectorizer(ngram_range=cfg.word_ngrams, **kw)]
        if cfg.char_ngrams[1] > 0:
            self.vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=cfg.char_ngrams, **kw))
        self.clfs: list[LogisticRegression] = []

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
        """Pickled model (vocabularies included): its size is the size on disk."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
