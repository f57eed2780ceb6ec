"""Cross-corpus scoring: AUC with bootstrap intervals and flag rates on known examples, and the Transfer study glue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from src.data.corpora import IMPLICIT_HATE, STORMFRONT, EvaluationHalf, load_corpus_split
from src.data.datasets import load_splits
from src.data.tokenizers import BPETokenizer
from src.evaluation.transfer import auc_with_interval, bootstrap_auc, cross_corpus, flag_rate
from src.models.encoder import Encoder, ModelConfig
from src.models.tfidf import TfidfConfig
from src.serving import checkpoint
from src.serving.predict import load
from src.studies import transfer as tr
from src.studies.transfer_tables import auc_long, auc_table, conclusions, flag_table
from tests.fixtures import write_ghc
from tests.fixtures_corpora import write_corpora

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LABELS = ["hd", "cv", "vo"]


def _half(labels: list[str]) -> EvaluationHalf:
    frame = pd.DataFrame({"id": range(len(labels)), "text": [f"t{i}" for i in range(len(labels))], "label": labels})
    return EvaluationHalf("implicit_hate", frame, "fp")


def test_auc_of_a_known_example() -> None:
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    assert auc_with_interval(y, s)["value"] == pytest.approx(0.75)  # 3 of 4 (positive, negative) pairs in order
    tied = auc_with_interval(y, np.full(4, 0.3), n_boot=50)
    assert tied["value"] == 0.5 and tied["ci95"] == [0.5, 0.5]


def test_bootstrap_matches_sklearn_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.2
    s = np.round(rng.random(400) + 0.4 * y, 1)  # many ties
    one = bootstrap_auc(y, s, n_boot=1, seed=3)  # the first resample, recomputed by sklearn below
    r = np.random.default_rng(3)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    idx = np.concatenate([pos[r.integers(0, len(pos), len(pos))], neg[r.integers(0, len(neg), len(neg))]])
    assert one[0] == pytest.approx(roc_auc_score(y[idx], s[idx]))
    a, b = bootstrap_auc(y, s, 300, seed=0), bootstrap_auc(y, s, 300, seed=0)
    assert np.array_equal(a, b) and not np.array_equal(a, bootstrap_auc(y, s, 300, seed=1))
    r = auc_with_interval(y, s, 300)
    assert r["ci95"][0] < r["value"] < r["ci95"][1] and (r["n_pos"], r["n_neg"]) == (int(y.sum()), int((~y).sum()))
    assert np.isnan(auc_with_interval(np.zeros(5), np.arange(5.0))["ci95"]).all()  # one class: no AUC


def test_cross_corpus_on_a_tiny_half() -> None:
    labels = ["not_hate"] * 3 + ["implicit_hate"] * 2 + ["explicit_hate"]
    scores = np.array([0.1, 0.2, 0.3, 0.25, 0.5, 0.9])
    r = cross_corpus(scores, _half(labels), IMPLICIT_HATE, threshold=0.2, n_boot=20)
    assert r["auc"]["explicit"]["value"] == 1.0
    assert r["auc"]["implicit"]["value"] == pytest.approx(5 / 6)  # 0.25 beats 2 of 3 harmless, 0.5 all 3
    assert r["auc"]["hate"]["value"] == pytest.approx(8 / 9) and r["auc"]["hate"]["n_pos"] == 3
    assert r["not_hate_flag_rate"] == {"value": pytest.approx(2 / 3), "n": 3, "threshold": 0.2}  # >= as served
    assert flag_rate(np.array([]), 0.5) != flag_rate(np.array([]), 0.5)  # NaN for no rows
    with pytest.raises(ValueError, match="5 scores for 6 rows"):
        cross_corpus(scores[:5], _half(labels), IMPLICIT_HATE, 0.2)


def _tiny_checkpoint(path: Path, texts: list[str]) -> Path:
    """An untrained tiny BPE model (scores only need to exist) with GHC's derived labels and a stored hate threshold."""
    tok = BPETokenizer.train(texts, vocab_size=80, max_len=32)
    torch.manual_seed(0)
    model = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=8, d_ff=16, max_len=32))
    derived = {"hate": ("hd", "cv"), "any": ("hd", "cv", "vo")}
    thr = {"hd": 0.3, "cv": 0.5, "vo": 0.7}
    checkpoint.save(path, model, tok, LABELS, thr, dataset="ghc", derived=derived, derived_thresholds={"hate": 0.4})
    return path


def test_checkpoint_scorer_reads_the_served_hate_column(tmp_path: Path) -> None:
    texts = ["the weather is nice", "vermin scum filth", "shoot them all", "damn crap"] * 5
    path = _tiny_checkpoint(tmp_path / "bestresult_ghc.pt", texts)
    sc = tr.checkpoint_scorer(path, "ghc")
    served = load(path).predict(texts)
    assert sc.threshold == 0.4 and np.allclose(sc.score(texts), served["hate"])
    assert np.allclose(served["hate"], served[["hd", "cv"]].max(axis=1))
    with pytest.raises(ValueError, match="no 'identity_hate' column"):
        tr.checkpoint_scorer(path, "jigsaw")
    with pytest.raises(ValueError, match="no `hate` derivation"):
        tr.hate_column("gab")


def test_study_end_to_end_on_fixtures(toxic_env: dict[str, Path]) -> None:
    write_ghc(toxic_env["data"])
    write_corpora(toxic_env["data"])
    splits = load_splits("ghc", seed=0)
    _tiny_checkpoint(toxic_env["models"] / "bestresult_ghc.pt", list(splits.train["text"]))
    scs = tr.scorers(splits, TfidfConfig(max_features=2000), toxic_env["models"])
    corpora = {n: load_corpus_split(n) for n in (STORMFRONT.name, IMPLICIT_HATE.name)}
    models = tr.evaluate(scs, corpora, splits, n_boot=50, seed=0)
    assert list(models) == ["tfidf_lr", "bestresult"] and tr.default_model(models) == "bestresult"
    tfidf = models["tfidf_lr"]
    assert tfidf["cross_corpus"]["implicit_hate"]["auc"]["explicit"]["value"] > 0.6  # hd/cv words travel
    assert 0 <= tfidf["cross_corpus"]["stormfront"]["not_hate_flag_rate"]["value"] <= 1
    base = tr.baseline_record(models, corpora, toxic_env["models"] / "bestresult_ghc.pt", previous=None)
    assert base["auc"]["stormfront"] == models["bestresult"]["cross_corpus"]["stormfront"]["auc"]["hate"]["value"]
    assert tr.baseline_record(models, corpora, Path("unused"), {"baseline_default_model": base})["auc"] == base["auc"]
    lower = {"baseline_default_model": base | {"auc": {c: a + 0.01 for c, a in base["auc"].items()}}}
    goals = tr.goals(models, tr.baseline_record(models, corpora, Path("unused"), lower))
    assert goals["baseline_recorded"]["met"] and not goals["default_model_stormfront_hate_auc_ge_baseline"]["met"]
    assert all(g["met"] for g in tr.goals(models, base).values())
    models["minilm_l6_teacher"] = tr.teacher_entry("ghc", toxic_env["models"])
    doc = {"dataset": "ghc", "best": "bestresult", "models": models, "split_seed": 0, "goals": goals}
    doc |= {"corpora": {n: cs.info() for n, cs in corpora.items()}, "baseline_default_model": base}
    text = conclusions(doc)
    assert "nan" not in text and "not available" in text and "**not met**" in text
    assert auc_table(auc_long(models, "ghc")).shape == (2, 5) and flag_table(models, "ghc").shape == (2, 4)
