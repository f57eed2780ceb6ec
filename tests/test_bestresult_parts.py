"""Helpers of BestResult.ipynb: synthetic GloVe, train/predict, blends, PR curves, attention maps, comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from src.data.glove import WordTokenizer
from src.evaluation.curves import label_view, pr_curves
from src.evaluation.interpret import attention_received, plot_attention, probe_table
from src.evaluation.metrics import evaluate_model, seed_summary
from src.evaluation.probes import PROBES
from src.evaluation.records import seed_record
from src.models.encoder import ModelConfig
from src.models.size import state_bytes
from src.studies.bestresult import (
    GloveJob,
    corpus_vectors,
    pick_blend_weight,
    train_glove,
    train_glove_many,
    write_synthetic_glove,
)
from src.studies.tables import REPORT_JIGSAW, best_row, seed_table, side_by_side, summary_row
from src.training.loop import TrainConfig
from tests.fixtures import loop_and_pool

TEXTS = ["the cat sat on the mat", "dogs are great", "you stupid idiot", "idiot dogs sat", "the mat is great"] * 8
Y = np.array([[0, 0], [0, 0], [1, 1], [1, 0], [0, 0]] * 8, dtype=np.float32)


@pytest.fixture
def tok(tmp_path: Path) -> WordTokenizer:
    path = write_synthetic_glove(TEXTS, tmp_path / "g.txt", skip_every=4)
    return WordTokenizer.build(TEXTS, path, oov_rows=10, max_len=16)


def test_synthetic_glove_is_50d_and_leaves_words_out(tmp_path: Path) -> None:
    path = write_synthetic_glove(TEXTS, tmp_path / "g.txt", skip_every=4)
    lines = path.read_text().splitlines()
    n_words = len({w for t in TEXTS for w in t.split()})
    assert 0 < len(lines) < n_words
    assert all(len(line.split(" ")) == 51 for line in lines)
    assert write_synthetic_glove(TEXTS, tmp_path / "h.txt", skip_every=4).read_text() == path.read_text()


def test_train_glove_runs_every_mode(tok: WordTokenizer) -> None:
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    y = {k: Y for k in ids}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    for mode in ("frozen", "finetune", "frozen+oov"):
        run = train_glove(tok, mode, mcfg, TrainConfig(epochs=1, batch_size=8), ids, y)
        assert run.p_val.shape == run.p_test.shape == Y.shape
        p = run.params
        assert p["total"] >= p["trainable"] > 0
        if mode == "frozen":
            assert p["trainable"] == p["other"]
        assert state_bytes(run.model) > 0


def test_train_glove_with_corpus_columns(tok: WordTokenizer) -> None:
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    y = {k: Y for k in ids}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    plain = train_glove(tok, "frozen+oov", mcfg, TrainConfig(epochs=1, batch_size=8), ids, y)
    v = corpus_vectors(ids["train"], tok.vocab_size, 3)
    run = train_glove(tok, "frozen+oov", mcfg, TrainConfig(epochs=1, batch_size=8), ids, y, corpus=v)
    assert run.model.cfg.emb_dim == 53 and run.model.embed.spec["corpus_dim"] == 3
    # Frozen columns: same trainable count as without them (the projection grows by 3 inputs x d_model).
    assert run.params["trainable"] == plain.params["trainable"] + 3 * 8
    assert run.params["total"] - plain.params["total"] == tok.vocab_size * 3 + 3 * 8
    assert v.shape == (tok.vocab_size, 3) and v[1:].std() == pytest.approx(0.3, rel=1e-3)
    np.testing.assert_array_equal(v, corpus_vectors(ids["train"], tok.vocab_size, 3))  # deterministic


def test_train_glove_with_a_teacher(tok: WordTokenizer) -> None:
    """alpha 0 ignores the teacher exactly; alpha > 0 changes the fit; a teacher of the wrong shape is refused."""
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    y = {k: Y for k in ids}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    tcfg = TrainConfig(epochs=1, batch_size=8)
    teacher = np.full(Y.shape, 0.5, dtype=np.float32)
    plain = train_glove(tok, "frozen+oov", mcfg, tcfg, ids, y)
    same = train_glove(tok, "frozen+oov", mcfg, tcfg, ids, y, teacher=teacher, alpha=0.0)
    np.testing.assert_array_equal(plain.p_test, same.p_test)
    taught = train_glove(tok, "frozen+oov", mcfg, tcfg, ids, y, teacher=teacher, alpha=0.9)
    assert np.abs(taught.p_test - plain.p_test).max() > 1e-4
    with pytest.raises(ValueError, match="same order"):
        train_glove(tok, "frozen+oov", mcfg, tcfg, ids, y, teacher=teacher[:-1], alpha=0.9)
    with pytest.raises(ValueError, match="needs teacher"):
        train_glove(tok, "frozen+oov", mcfg, tcfg, ids, y, alpha=0.9)


def test_seed_summary_and_blend_weight() -> None:
    s = seed_summary({0: 0.8, 1: 0.9, 2: 1.0})
    assert s["mean"] == pytest.approx(0.9) and s["std"] == pytest.approx(0.1)
    assert seed_summary({0: 0.5})["std"] == 0.0
    assert seed_summary({(0, 1): 0.5, (2, 3): 0.7})["seeds"] == [[0, 1], [2, 3]]  # seed groups (ensembles)
    y = np.array([[0], [0], [1], [1]])
    bad, good = np.array([[0.9], [0.8], [0.1], [0.2]]), np.array([[0.1], [0.2], [0.8], [0.9]])
    w, aucs = pick_blend_weight(y, bad, good, weights=(0.0, 0.5, 1.0))
    assert w == 1.0 and aucs[1.0] == 1.0 and aucs[0.0] == 0.0


def _scores() -> dict:
    rng = np.random.default_rng(0)
    y = (rng.random((200, 2)) < 0.2).astype(int)
    p = np.clip(y * 0.4 + rng.random((200, 2)) * 0.6, 0, 1)
    return {"m": evaluate_model(y, p, y, p, ["a", "b"], {"ab": ("a", "b")})}, y, p


def test_seed_table_and_record() -> None:
    """Per-seed columns plus mean/std; the record keeps {seeds, values, mean, std} of test/val AUC and derived F1."""
    rng = np.random.default_rng(0)
    y = (rng.random((300, 2)) < 0.2).astype(int)
    scores = {}
    for s, noise in ((0, 0.5), (1, 0.7)):
        p = np.clip(y * 0.4 + rng.random((300, 2)) * noise, 0, 1)
        scores[s] = evaluate_model(y, p, y, p, ["hd", "cv"], {"hate": ("hd", "cv")})
    t = seed_table(scores)
    assert list(t.columns) == [0, 1, "mean", "std"] and "test hate F1 (derived)" in t.index
    aucs = [scores[s]["test"]["roc_auc"]["macro"] for s in (0, 1)]
    assert t.loc["test macro AUC", "mean"] == pytest.approx(np.mean(aucs))
    r = seed_record(scores)
    test = r["test_macro_auc"]
    assert test["seeds"] == [0, 1] and test["values"] == aucs and test["std"] == pytest.approx(np.std(aucs, ddof=1))
    assert set(r) == {"test_macro_auc", "val_macro_auc", "test_hate_f1"}
    hate = [scores[s]["test"]["derived"]["hate"]["f1_at_tuned"] for s in (0, 1)]
    assert r["test_hate_f1"]["values"] == hate


def test_label_view_and_pr_curves() -> None:
    scores, y, p = _scores()
    view = label_view(scores, "b")
    assert list(view.index) == ["m"] and {"f1 @0.5", "f1 @tuned", "threshold (val)"} <= set(view.columns)
    thr = {"m": scores["m"]["validation"]["at_tuned"]["thresholds"]}
    fig = pr_curves({"m": (y, p)}, ["a", "b"], thr)
    assert len(fig.axes) == 2


def test_summary_rows_and_missing_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scores, _, _ = _scores()
    row = summary_row({**scores["m"], "params": {"total": 7}}, "ghc")
    assert row["dataset"] == "ghc" and row["params"] == 7 and "ab f1 (derived)" in row
    monkeypatch.setenv("TOXIC_RESULTS_DIR", str(tmp_path))
    name, missing, note = best_row("BaseAttention")
    assert missing is None and "not found" in note
    doc = {"dataset": "ghc", "best": "m", "models": {"m": {**scores["m"], "params": {"total": 7}}}}
    (tmp_path / "baseline.json").write_text(json.dumps(doc))
    name, found, note = best_row("baseline")
    assert name == "baseline: m" and found["f1 macro"] == row["f1 macro"] and note == ""
    table = side_by_side({"report": {"dataset": "jigsaw", **REPORT_JIGSAW}, name: found})
    assert list(table.columns[:2]) == ["dataset", "params"] and table.loc["report", "dataset"] == "jigsaw"


def test_shared_attention_helpers_take_a_glove_model(tok: WordTokenizer) -> None:
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    run = train_glove(tok, "frozen+oov", mcfg, TrainConfig(epochs=1, batch_size=8), ids, {k: Y for k in ids})
    texts = PROBES[:3]
    assert probe_table(run.model, tok, texts, ["x", "y"]).shape == (3, 2)
    assert len(attention_received(run.model, tok, texts)) == 3
    assert len(plot_attention(run.model, tok, texts, ncols=2).axes) >= 4  # 3 maps + a hidden panel (+ colorbars)


def test_train_glove_many_in_two_processes_equals_a_loop(tok: WordTokenizer) -> None:
    """Spawned workers give exactly the sequential results (each run seeds itself), in job order."""
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    y = {k: Y for k in ids}
    jobs = [GloveJob(tok, "frozen+oov", mcfg, TrainConfig(epochs=1, batch_size=8, seed=s), ids, y) for s in (0, 1, 2)]
    loop, pool = loop_and_pool(train_glove_many, jobs)
    for a, b in zip(loop, pool, strict=True):
        np.testing.assert_array_equal(a.p_test, b.p_test)
    assert not np.array_equal(loop[0].p_test, loop[1].p_test)
