"""Metrics on hand-computed cases (numbers worked out on paper, not copied from a run)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from src.common.results import read_results, write_results
from src.evaluation.metrics import (
    best_f1_threshold,
    derive,
    eight_row_table,
    evaluate,
    evaluate_model,
    per_label_table,
    tune_thresholds,
)
from src.evaluation.records import model_entry

LABELS = ["a", "b"]
# Rows: a positive in rows 0 and 2, b positive in rows 1 and 2.
Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
P = np.array([[0.9, 0.05], [0.6, 0.7], [0.4, 0.15], [0.2, 0.1]])
HALF = {"a": 0.5, "b": 0.5}


def test_scores_at_half() -> None:
    m = evaluate(Y, P, LABELS, HALF)["at_0.5"]
    # a: pred [1,1,0,0] -> TP1 FP1 FN1; b: pred [0,1,0,0] -> TP1 FP0 FN1.
    assert m["per_label"]["a"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert m["per_label"]["b"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    # micro: TP2 FP1 FN2.
    assert m["precision"]["micro"] == pytest.approx(2 / 3)
    assert m["recall"]["micro"] == pytest.approx(0.5)
    assert m["f1"]["micro"] == pytest.approx(4 / 7)
    assert m["precision"]["macro"] == pytest.approx(0.75)
    assert m["recall"]["macro"] == pytest.approx(0.5)
    assert m["f1"]["macro"] == pytest.approx(7 / 12)


def test_scores_at_given_thresholds() -> None:
    m = evaluate(Y, P, LABELS, {"a": 0.3, "b": 0.12})["at_tuned"]
    # a: pred [1,1,1,0] -> TP2 FP1 FN0; b: pred [0,1,1,0] -> perfect.
    assert m["per_label"]["a"]["f1"] == pytest.approx(0.8)
    assert m["per_label"]["b"]["f1"] == pytest.approx(1.0)
    assert m["precision"]["micro"] == pytest.approx(0.8)  # TP4 FP1
    assert m["recall"]["micro"] == pytest.approx(1.0)
    assert m["f1"]["micro"] == pytest.approx(8 / 9)
    assert m["precision"]["macro"] == pytest.approx(5 / 6)
    assert m["f1"]["macro"] == pytest.approx(0.9)
    assert m["thresholds"] == {"a": 0.3, "b": 0.12}


def test_roc_auc_micro_macro() -> None:
    auc = evaluate(Y, P, LABELS, HALF)["roc_auc"]
    # a: positives {.9,.4} vs negatives {.6,.2}: 3 of 4 pairs ordered; b: 4 of 4.
    assert auc["per_label"] == pytest.approx({"a": 0.75, "b": 1.0})
    assert auc["macro"] == pytest.approx(0.875)
    # pooled: positives .9,.7,.4,.15 vs negatives .6,.2,.05,.1 -> 4+4+3+2 = 13 of 16 pairs.
    assert auc["micro"] == pytest.approx(13 / 16)


def test_tune_thresholds_f1_optimal() -> None:
    # a: t=.9 -> F1 2/3, t=.6 -> 1/2, t=.4 -> 4/5, t=.2 -> 2/3; b: t=.15 separates perfectly.
    assert tune_thresholds(Y, P, LABELS) == pytest.approx({"a": 0.4, "b": 0.15})


def test_threshold_ties_and_no_positives() -> None:
    # F1 is 2/3 at both t=.8 and t=.3: the higher threshold wins.
    assert best_f1_threshold(np.array([1, 0, 0, 1]), np.array([0.8, 0.6, 0.5, 0.3])) == pytest.approx(0.8)
    assert best_f1_threshold(np.array([0, 0, 0]), np.array([0.8, 0.6, 0.5])) == 0.5


def test_derived_is_max_of_members() -> None:
    d = derive(P, LABELS, {"any": ("a", "b"), "only_b": ("b",)})
    assert d["any"] == pytest.approx([0.9, 0.7, 0.4, 0.2])
    assert d["only_b"] == pytest.approx(P[:, 1])
    assert list(derive(Y, LABELS, {"any": ("a", "b")})["any"]) == [1, 1, 1, 0]


def test_derived_scores() -> None:
    m = evaluate(Y, P, LABELS, HALF, derived={"any": ("a", "b")}, derived_thresholds={"any": 0.5})
    # any: y [1,1,1,0], p [.9,.7,.4,.2] -> AUC 1; at .5 pred [1,1,0,0] -> P1 R2/3 F1 .8.
    assert m["derived"]["any"] == pytest.approx({"roc_auc": 1.0, "f1_at_tuned": 0.8, "threshold": 0.5})


def test_auc_nan_when_label_has_one_class() -> None:
    y = Y.copy()
    y[:, 1] = 0
    auc = evaluate(y, P, LABELS, HALF)["roc_auc"]
    assert math.isnan(auc["per_label"]["b"])
    assert auc["macro"] == pytest.approx(0.75)  # the defined labels only
    # pooled: positives .9,.4 vs six negatives .6,.2,.05,.7,.15,.1 -> 6 + 4 = 10 of 12.
    assert auc["micro"] == pytest.approx(10 / 12)


def test_evaluate_model_tunes_on_validation_only() -> None:
    rng = np.random.default_rng(0)
    y_test = (rng.random((50, 2)) < 0.3).astype(int)
    p_test = rng.random((50, 2))
    derived = {"any": ("a", "b")}
    r1 = evaluate_model(Y, P, y_test, p_test, LABELS, derived)
    r2 = evaluate_model(Y, P, y_test, 1 - p_test, LABELS, derived)
    assert r1["validation"]["at_tuned"]["thresholds"] == pytest.approx({"a": 0.4, "b": 0.15})
    assert r1["test"]["at_tuned"]["thresholds"] == r1["validation"]["at_tuned"]["thresholds"]
    assert r2["test"]["at_tuned"]["thresholds"] == r1["test"]["at_tuned"]["thresholds"]
    assert r1["test"]["derived"]["any"]["threshold"] == pytest.approx(0.4)  # any: t=.4 gives F1 1 on validation
    assert r2["test"]["derived"]["any"]["threshold"] == r1["test"]["derived"]["any"]["threshold"]
    assert r1["validation"] == r2["validation"]
    assert r1["test"]["roc_auc"]["micro"] != r2["test"]["roc_auc"]["micro"]


def test_tables_shape() -> None:
    m = evaluate_model(Y, P, Y, P, LABELS, {"any": ("a", "b")})["test"]
    t = eight_row_table(m)
    assert t.shape == (8, 2) and list(t.columns) == ["at 0.5", "at tuned"]
    assert t.loc["f1 micro", "at 0.5"] == pytest.approx(round(4 / 7, 3))
    assert t.loc["roc_auc micro", "at tuned"] == pytest.approx(round(13 / 16, 3))
    pl = per_label_table(m)
    assert list(pl.index) == ["a", "b", "any (derived)"]
    assert pl.loc["a", "threshold"] == pytest.approx(0.4)


def test_results_file_shape(toxic_env: dict[str, Path]) -> None:
    y = Y.copy()
    y[:, 1] = 0  # NaN AUC for b -> must be stored as null
    scores = evaluate_model(Y, P, y, P, LABELS, {"any": ("a", "b")})
    entry = model_entry(1000, 900, 4096, scores, fit_seconds=1.5, comments_per_second=np.float64(123.0))
    path = write_results("nb", "ghc", LABELS, models={"m": entry}, best="m", notes={"x": 1})
    assert path == toxic_env["results"] / "nb.json"
    assert "NaN" not in path.read_text()
    doc = json.loads(path.read_text())
    assert list(doc)[:4] == ["dataset", "labels", "best", "models"] and doc["notes"] == {"x": 1}
    assert doc == read_results("nb")
    m = doc["models"]["m"]
    assert m["params"] == {"total": 1000, "trainable": 900} and m["size_bytes"] == 4096
    assert m["fit_seconds"] == 1.5 and m["comments_per_second"] == 123.0
    assert set(m) >= {"validation", "test"}
    assert m["test"]["roc_auc"]["per_label"]["b"] is None
    assert m["test"]["roc_auc"]["per_label"]["a"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="best model"):
        write_results("nb", "ghc", LABELS, models={"m": entry}, best="other")
    with pytest.raises(FileNotFoundError, match="notebooks/missing.ipynb"):
        read_results("missing")
