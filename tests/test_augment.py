"""Augmentation: the suite's training part as labelled rows (never a held-out case), and misspelled copies."""

from __future__ import annotations

import numpy as np
import pytest

from src.evaluation.suite import SPLIT_GROUPS, build_suite, training_sentences
from src.experiments.mitigation import augmented
from src.experiments.runs import Encoded
from src.training.augment import char_noise, suite_rows


def test_suite_rows_label_the_training_part_only() -> None:
    suite = build_suite(0)
    part = training_sentences(suite)
    texts, y = suite_rows(part, ["hd", "cv", "vo"], "ghc")
    assert len(texts) == len(part) == y.shape[0] and y.shape[1] == 3
    func = part["functionality"].to_numpy()
    assert (y[func == "threat"] == [1, 1, 0]).all() and (y[func == "identity_positive"] == 0).all()
    assert (y[func == "profanity_non_hateful"] == [0, 0, 1]).all() and (y[func == "explicit_derogation", 0] == 1).all()
    variants = part["variant_of"] != ""
    assert variants.any() and (y[variants.to_numpy(), 0] == 1).all()  # misspelled hate is still hate
    assert not any(g.lower() in t.lower() for t in texts for g in SPLIT_GROUPS["heldout"])
    with pytest.raises(ValueError, match="training part only"):
        suite_rows(suite, ["hd", "cv", "vo"], "ghc")
    labels = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    _, yj = suite_rows(part, labels, "jigsaw")
    assert (yj[func == "abuse_at_individuals"] == [1, 0, 0, 0, 1, 0]).all()


def test_char_noise_misspells_some_long_words_only() -> None:
    texts = ["these people are wonderful neighbours and good friends"] * 50
    noisy = char_noise(texts, 0.5, seed=0)
    assert noisy == char_noise(texts, 0.5, seed=0) and noisy != texts
    for a, b in zip(texts, noisy, strict=True):
        wa, wb = a.split(" "), b.split(" ")
        assert len(wa) == len(wb) and all(x == y for x, y in zip(wa, wb, strict=True) if len(x) < 4)
        assert all(abs(len(x) - len(y)) <= 1 for x, y in zip(wa, wb, strict=True))
    assert char_noise(texts, 0.0) == texts


class _Tok:
    def encode(self, texts):
        return [[len(t) % 7 + 1] for t in texts]


def test_augmented_extends_train_only() -> None:
    y = np.eye(3, dtype=np.float32)
    data = Encoded(_Tok(), [[1], [2], [3]], [[4]], [[5]], y, y[:1], y[:1])
    xy = (["a b", "c d e"], np.ones((2, 3), dtype=np.float32))
    both = augmented(data, "suite+noise", ["x", "yy", "zzz"], xy, repeat=2, rate=0.5)
    assert len(both.train) == 3 + 2 * 2 + 3 and both.y_train.shape == (10, 3) and both.val is data.val
    assert augmented(data, "plain", ["x", "yy", "zzz"], xy, 2, 0.5).train == data.train
    with pytest.raises(ValueError, match="unknown augmentation"):
        augmented(data, "mixup", [], xy, 1, 0.1)
