"""Shrink's saved students (src/studies/shrink_saved.py): one per budget chosen on validation, the seed rule, the
checkpoints (stale ones removed) and the entries that mark them; and `make bench`'s saved-student goal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from src.apps.bench_goals import goals
from src.data.tokenizers import BPETokenizer
from src.models.encoder import Encoder
from src.serving import checkpoint
from src.studies import shrink, shrink_saved
from src.studies.runs import Run

LABELS = ["hd", "cv", "vo"]


def _row(params: int, val: float) -> dict:
    return {"params": params, "val mean": val}


def test_budget_picks_one_per_budget_on_validation() -> None:
    rows = {
        ("student_200k", "plain"): _row(99_000, 0.84),
        ("student_200k", "glove"): _row(99_000, 0.86),
        ("student_200k_glove", "glove"): _row(187_000, 0.88),  # best within 200K
        ("student_50k", "minilm"): _row(44_000, 0.83),
        ("student_50k_glove", "plain"): _row(45_000, 0.85),  # best within 50K, a plain run
        ("student_50k_glove", "minilm"): _row(45_000, 0.84),
        ("student_big", "glove"): _row(300_000, 0.99),  # over every budget: never saved
    }
    assert shrink_saved.budget_picks(rows) == {"student_200k_glove": "glove", "student_50k_glove": "plain"}
    # one student best in both budgets is saved once
    assert shrink_saved.budget_picks({("s", "t"): _row(40_000, 0.9), ("u", "t"): _row(150_000, 0.8)}) == {"s": "t"}


@pytest.fixture()
def students(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A two-seed study of one student (a tiny BPE encoder), its scores and the models folder it saves into."""
    monkeypatch.setenv("TOXIC_MODELS_DIR", str(tmp_path))
    tok = BPETokenizer.train(["some words here", "other words there", "more text"] * 5, 40, max_len=16, seed=0)
    torch.manual_seed(0)
    runs = {s: Run(Encoder(shrink.recipe_config(tok.vocab_size, 3, 8, 16)), None, None, 0.0) for s in (0, 1)}
    study = {"student_50k": {"minilm": {"alpha": 0.6, "runs": runs}}}
    thr = {"at_tuned": {"thresholds": dict.fromkeys(LABELS, 0.5)}, "derived": {}}
    scores = {s: {"validation": thr | {"roc_auc": {"macro": 0.8 + 0.001 * s}}} for s in (0, 1)}
    return study, {"student_50k": (None, tok)}, {("student_50k", "minilm"): scores}, tmp_path


def test_save_students_writes_the_chosen_seed_and_removes_stale_ones(students) -> None:
    study, studs, seed_scores, models = students
    stale = models / "shrink_student200k_ghc.pt"
    stale.write_bytes(b"an earlier run's student")
    other = models / "shrink_student200k_jigsaw.pt"  # another dataset's: kept
    other.write_bytes(b"x")
    choice = {"student_50k": {"teacher": "minilm", "saved_seed": 1}}
    saved = shrink_saved.save_students(study, studs, choice, seed_scores, {"minilm": 0.9}, LABELS, {}, "ghc")
    path = models / "shrink_student50k_ghc.pt"
    assert saved == {"student_50k": path.stat().st_size} and not stale.exists() and other.exists()
    model, _, doc = checkpoint.load(path, labels=LABELS)
    meta = doc["meta"]
    assert meta["seed"] == 1 and meta["teacher"] == "minilm" and meta["alpha"] == 0.6
    want = study["student_50k"]["minilm"]["runs"][1].model.state_dict()
    assert all(torch.equal(v, want[k]) for k, v in model.state_dict().items())


def test_choose_seeds_follows_validation_and_the_training_part(students, monkeypatch: pytest.MonkeyPatch) -> None:
    study, studs, seed_scores, _ = students
    fprs = iter([0.1, 0.4])  # seed 0 flags fewer neutral identity cases on the suite's training part
    monkeypatch.setattr(
        shrink_saved, "score_suite", lambda view, suite, split: {"identity_fpr": {"overall": next(fprs)}}
    )
    monkeypatch.setattr(shrink_saved, "tuned_view", lambda model, tok, ev, spec, dataset: None)
    c = shrink_saved.choose_seeds(study, studs, {"student_50k": "minilm"}, seed_scores, None, "ghc", 0)["student_50k"]
    assert c["saved_seed"] == 0 and c["train_part_identity_fpr"] == {0: 0.1, 1: 0.4}
    assert c["val_macro_auc"] == {0: 0.8, 1: pytest.approx(0.801)} and c["teacher"] == "minilm"


def test_student_entries_mark_the_saved_seed(students, monkeypatch: pytest.MonkeyPatch) -> None:
    study, studs, seed_scores, _ = students
    monkeypatch.setattr(shrink, "model_entry", lambda *a, **kw: {"scores": a[3], **kw})
    monkeypatch.setattr(shrink.compression, "checkpoint_bytes", lambda m, t: 1)
    monkeypatch.setattr(shrink, "seed_record", lambda ss: {})
    studs = {"student_50k": (None, studs["student_50k"][1], shrink.recipe_config(40, 3, 8, 16))}
    speed = pd.DataFrame({"comments_per_s": [1000.0]}, index=["student_50k"])
    choice = {"student_50k": {"teacher": "minilm", "saved_seed": 1}}
    e = shrink.student_entries(study, seed_scores, studs, choice, speed, 1.0)["student_50k: minilm"]
    assert e["saved"] and e["seed"] == 1 and e["scores"] is seed_scores[("student_50k", "minilm")][1]
    assert e["comments_per_s"] == 1000.0
    e = shrink.student_entries(study, seed_scores, studs, {}, speed, 1.0)["student_50k: minilm"]
    assert not e["saved"] and e["seed"] == 0 and e["comments_per_s"] is None


def test_bench_goal_every_saved_student_above_tfidf() -> None:
    rows = {
        "tfidf_lr": {"test_macro_roc_auc": 0.826},
        "student_200k_glove": {"test_macro_roc_auc": 0.885},
        "student_50k_glove": {"test_macro_roc_auc": 0.864},
    }
    g = goals(rows)["saved_students_minus_tfidf_auc"]
    assert g["met"] and g["worst"] == "student_50k_glove" and g["value"] == pytest.approx(0.864 - 0.826)
    rows["student_50k"] = {"test_macro_roc_auc": 0.825}
    g = goals(rows)["saved_students_minus_tfidf_auc"]
    assert not g["met"] and g["worst"] == "student_50k" and np.isclose(g["margins"]["student_200k_glove"], 0.059)
