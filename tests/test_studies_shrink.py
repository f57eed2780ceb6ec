"""The Shrink notebook's study code (src/studies/shrink*.py): precision jobs and variants, pruning rows, weight
shares, the size points and Pareto record, the throughput helpers, and the conclusions template."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from src.common.results import write_results
from src.data.corpora import CORPORA, transfer_texts
from src.models.encoder import Encoder
from src.report.template import TEMPLATES, render, typed_numbers
from src.studies import shrink, shrink_figures, shrink_goals, shrink_students, shrink_transfer
from src.studies.runs import Encoded, Run
from src.training.loop import History, TrainConfig
from tests.fixtures_corpora import write_corpora

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["hd", "cv", "vo"]


def _model(vocab: int = 60, d: int = 8) -> Encoder:
    torch.manual_seed(0)
    return Encoder(shrink.recipe_config(vocab, len(LABELS), d, max_len=16)).eval()


def _data(n: int = 24, vocab: int = 60) -> Encoded:
    rng = np.random.default_rng(0)
    ids = [[list(rng.integers(1, vocab, size=int(rng.integers(2, 10)))) for _ in range(n)] for _ in range(3)]
    y = [(rng.random((n, 3)) < 0.4).astype(np.float32) for _ in range(3)]
    for m in y:
        m[:2] = [[1, 1, 1], [0, 0, 0]]  # every label has both classes, so every AUC is defined
    return Encoded(None, *ids, *y)


def test_precision_jobs_differ_only_in_dtype() -> None:
    """Two jobs on the same data, config and seed: fp32 then fp64."""
    data, cfg = _data(), shrink.recipe_config(60, 3, 8)
    a, b = shrink.precision_jobs(data, cfg, TrainConfig(epochs=1), None)
    assert (a.dtype, b.dtype) == (torch.float32, torch.float64) and (a.desc, b.desc) == ("train fp32", "train fp64")
    assert a.data is b.data and a.model_cfg == b.model_cfg and a.train_cfg == b.train_cfg


def test_precision_variants_and_table() -> None:
    """Training precisions served in fp32/fp64 and every shipped format; the table's change is against fp32."""
    m = _model()
    run = Run(m, np.zeros((1, 3)), np.zeros((1, 3)), 0.0)
    run64 = Run(shrink.compression.cast(m, torch.float64), np.zeros((1, 3)), np.zeros((1, 3)), 0.0)
    variants = shrink.precision_variants(run, run64, m)
    assert list(variants)[:4] == [
        "trained fp32 here, served fp32",
        "trained fp64, served fp32",
        "trained fp64, served fp64",
        "shipped: fp32",
    ]
    assert variants["trained fp64, served fp64"][1] > variants["trained fp64, served fp32"][1]
    scores, rows = shrink.score_variants(variants, _data(), LABELS, {}, 100, secs=0.0)
    assert list(rows) == list(variants) and rows["shipped: fp32"]["size_bytes"] == variants["shipped: fp32"][1] + 100
    table = shrink.precision_table(rows)
    assert table.loc["shipped: fp32", "test_auc_change"] == 0


def test_prune_study_names_in_order() -> None:
    """With the embedding first, then Linear only, each at every sparsity."""
    _, rows = shrink.prune_study(_model(), _data(), LABELS, {}, [0.5, 0.9], lr=1e-3, seed=0)
    assert list(rows) == [
        "pruned 50% (with embeddings)",
        "pruned 90% (with embeddings)",
        "pruned 50% (without embeddings)",
        "pruned 90% (without embeddings)",
    ]
    assert rows["pruned 90% (with embeddings)"]["sparsity_pruned_set"] == pytest.approx(0.9, abs=0.01)


def test_prune_study_side_by_side_equals_in_turn() -> None:
    """The hour profile's workers=2 fine-tunes the pruned copies in two processes: the same rows as one thread here."""
    from tests.fixtures import loop_and_pool

    def study(jobs, workers):
        return shrink.prune_study(_model(), _data(), LABELS, {}, jobs, lr=1e-3, seed=0, workers=workers)

    (s1, r1), (s2, r2) = loop_and_pool(study, [0.5, 0.9])
    assert list(r1) == list(r2) and r1 == r2
    assert all(s1[k]["test"]["roc_auc"]["macro"] == s2[k]["test"]["roc_auc"]["macro"] for k in s1)


def test_weight_shares() -> None:
    """Embedding, position table and Linear weights as shares of all parameters (the rest: biases, norms)."""
    m = _model()
    s = shrink.weight_shares(m)
    total = sum(p.numel() for p in m.parameters())
    assert s["embedding"] == 60 * 8 / total and s["position"] == 16 * 8 / total
    assert 0 < s["linear"] and sum(s.values()) < 1


def _entry(auc: float | None, size: int) -> dict:
    return {"params": {"total": 5}, "size_bytes": size, "test": {"roc_auc": {"macro": auc}}}


def test_size_points_replace_this_notebooks_file(toxic_env: dict[str, Path]) -> None:
    """Other files are read; the old Shrink.json gives way to this run's entries, in file order."""
    write_results("Shrink", "ghc", LABELS, {"old": _entry(0.9, 10)}, best="old")
    write_results("BaseAttention", "ghc", LABELS, {"a": _entry(0.8, 100)}, best="a")
    write_results("baseline", "ghc", LABELS, {"t": _entry(0.7, 1000)}, best="t")
    entries = {"new": _entry(0.85, 50), "unscored": _entry(float("nan"), 5)}
    pts = shrink_figures.size_points(entries)
    assert list(zip(pts.notebook, pts.model, strict=True)) == [
        ("BaseAttention", "a"),
        ("Shrink", "new"),
        ("baseline", "t"),
    ]
    rec = shrink_figures.pareto_bytes(pts)
    assert [p["model"] for p in rec["front"]] == ["new"] and {p["model"] for p in rec["off_front"]} == {"a", "t"}


def test_throughput_helpers() -> None:
    """The teacher is timed on a capped slice (left out in quick) and scored from its cached probabilities."""
    specs = {"minilm_l6_teacher": {}, "tfidf_lr": {}}
    assert shrink_figures.timed_specs(specs, False, teacher_rows=7)["minilm_l6_teacher"]["cap"] == 7
    assert list(shrink_figures.timed_specs(dict(specs), True)) == ["tfidf_lr"]
    speed = pd.DataFrame({"test_auc": [0.5, 0.6]}, index=["minilm_l6_teacher", "tfidf_lr"])
    speed = shrink_figures.with_teacher_auc(speed, {"minilm_l6": 0.9})
    assert speed.loc["minilm_l6_teacher", "test_auc"] == 0.9 and speed.loc["tfidf_lr", "test_auc"] == 0.6


def test_student_helpers() -> None:
    """The best student by mean validation AUC; one line per teacher, skipped ones said so."""
    entries = {
        "precision: x": {},
        "student_200k: plain": {"seeds": {"val_macro_auc": {"mean": 0.8}}},
        "student_50k: minilm_l6": {"seeds": {"val_macro_auc": {"mean": 0.81}}},
    }
    assert shrink_students.best_student(entries) == "student_50k: minilm_l6"
    text = shrink_students.describe_teachers(
        {"minilm_l6": "cache", "glove_bestresult": "not found"}, {"minilm_l6": 0.9}
    )
    assert text.splitlines() == [
        "minilm_l6: used (cache); test macro AUC 0.9000",
        "glove_bestresult: SKIPPED (not found)",
    ]


def test_distill_rows_over_seeds() -> None:
    """One row per student and teacher: params, alpha, mean validation/test AUC over seeds, the teacher's AUC."""
    data, m = _data(), _model()
    rng = np.random.default_rng(1)
    run = {s: Run(m, rng.random((24, 3)), rng.random((24, 3)), 0.0) for s in (0, 1)}
    study = {"student_200k": {"plain": {"alpha": 0.0, "runs": run, "grid": {}}}}
    study["student_200k"]["minilm_l6"] = {"alpha": 0.6, "runs": run, "grid": {0.0: 0.5, 0.6: 0.55}}
    rows, seed_scores = shrink_students.distill_rows(study, {"student_200k": (data,)}, LABELS, {}, {"minilm_l6": 0.9})
    assert list(rows) == [("student_200k", "plain"), ("student_200k", "minilm_l6")] and set(
        seed_scores[rows and ("student_200k", "plain")]
    ) == {0, 1}
    r = rows[("student_200k", "minilm_l6")]
    assert r["params"] == sum(p.numel() for p in m.parameters()) and r["teacher test"] == 0.9 and r["alpha"] == 0.6
    assert np.isnan(rows[("student_200k", "plain")]["teacher test"])


def test_template_types_no_numbers_and_renders_committed_results() -> None:
    """No number typed in the template; it renders from the committed results file."""
    assert typed_numbers((TEMPLATES / "notebooks" / "Shrink.md").read_text()) == []
    doc = json.loads((ROOT / "results" / "Shrink.json").read_text())
    text = render("notebooks/Shrink.md", r=doc)
    assert "Pareto front" in text and "{{" not in text


def _student(total: int, val: float, tests: list[float], saved: bool = False) -> dict:
    """A student record over seeds as student_entries writes it (only the fields the goals read)."""
    seeds = {
        "val_macro_auc": {"mean": val},
        "test_macro_auc": {
            "seeds": list(range(len(tests))),
            "values": tests,
            "mean": float(np.mean(tests)),
            "std": float(np.std(tests, ddof=1)),
        },
    }
    return {"params": {"total": total}, "seeds": seeds, "saved": saved}


def test_frontier_goals_choose_on_validation_and_check_every_seed() -> None:
    entries = {
        "student_200k: plain": _student(99_000, 0.85, [0.90, 0.90, 0.90]),  # best test, not best validation
        "student_200k_glove: minilm_l6": _student(172_000, 0.87, [0.86, 0.87, 0.868], saved=True),
        "student_50k: minilm_l6": _student(44_000, 0.84, [0.83, 0.85, 0.82], saved=True),
        "student_big: plain": _student(300_000, 0.99, [0.99, 0.99, 0.99]),  # over every budget
        "pruned 50%": {"params": {"total": 10}},  # not a student: never a candidate
    }
    g = shrink_goals.frontier_goals(entries, baseline_auc=0.826)
    g200, g50 = g["single_le_200k_test_auc_ge_0.865"], g["single_le_50k_test_auc_ge_0.85"]
    assert g200["student"] == "student_200k_glove: minilm_l6" and g200["met"] and g200["params"] == 172_000
    assert g200["value"] == pytest.approx(np.mean([0.86, 0.87, 0.868]))
    assert g50["student"] == "student_50k: minilm_l6" and not g50["met"]
    saved = g["saved_students_above_tfidf_every_seed"]
    assert saved["worst"] == "student_50k: minilm_l6" and saved["value"] == pytest.approx(0.82 - 0.826)
    assert not saved["met"] and set(saved["margins"]) == {"student_200k_glove: minilm_l6", "student_50k: minilm_l6"}
    assert "saved_students_above_tfidf_every_seed" not in shrink_goals.frontier_goals(entries, None)
    assert shrink_goals.frontier_goals({}, 0.8) == {}


class _Words:
    """A stand-in tokenizer: one id per word (its length), enough for the transfer rows' encoding."""

    def encode(self, texts: list[str]) -> list[list[int]]:
        return [[len(w) for w in t.split()] or [1] for t in texts]


def test_transfer_rows_are_appended_with_the_teachers_probabilities() -> None:
    data = _data()
    data = Encoded(_Words(), data.train, data.val, data.test, data.y_train, data.y_val, data.y_test)
    soft = np.full((len(data.train), 3), 0.3, dtype=np.float32)
    texts, probs = ["a bb ccc", "dddd"], np.array([[0.9, 0.1, 0.2], [0.0, 0.5, 1.0]], dtype=np.float32)
    teacher = shrink_transfer.with_transfer({"train": soft, "val": None, "test": None}, texts, probs)
    grown, grown_soft = shrink_transfer.extended(data, soft, teacher)
    n = len(data.train)
    assert grown.train[:n] == data.train and grown.train[n:] == [[1, 2, 3], [4]]
    assert np.array_equal(grown.y_train[n:], probs) and np.array_equal(grown.y_train[:n], data.y_train)
    assert np.array_equal(grown_soft, np.vstack([soft, probs])) and grown.val is data.val and grown.test is data.test
    same, same_soft = shrink_transfer.extended(data, soft, {"train": soft})  # no transfer set: nothing added
    assert same is data and same_soft is soft
    with pytest.raises(ValueError, match="shape"):
        shrink_transfer.with_transfer({"train": soft}, texts, probs[:1])


def test_transfer_teacher_only_with_its_teacher_and_a_transfer_set() -> None:
    key = f"{shrink_transfer.TEACHER}+transfer"
    base = {shrink_transfer.TEACHER: {"train": np.zeros((4, 3))}}
    probs = np.ones((2, 3), dtype=np.float32)
    got, notes = shrink_transfer.transfer_teachers(base, ["x", "y"], probs, "2 texts")
    assert list(got) == [key] and got[key]["extra_texts"] == ["x", "y"] and "2 texts" in notes[key]
    assert shrink_transfer.transfer_teachers(base, [], None, "none asked for") == ({}, {key: "none asked for"})
    got, notes = shrink_transfer.transfer_teachers({}, ["x", "y"], probs, "2 texts")
    assert got == {} and "does not teach" in notes[key]


def test_distill_study_gives_only_the_transfer_teacher_more_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain runs and the other teachers train on the train split; the transfer teacher's runs on it plus its rows."""
    data = _data()
    data = Encoded(_Words(), data.train, data.val, data.test, data.y_train, data.y_val, data.y_test)
    seen: dict[str, int] = {}

    def fake_train_many(jobs, workers):
        out = []
        for j in jobs:
            seen[j.desc] = len(j.data.train)
            assert j.teacher is None or len(j.teacher) == len(j.data.train)
            out.append(Run(None, np.zeros((1, 3)), np.zeros((1, 3)), 0.0, History(val_auc=[0.5])))
        return out

    monkeypatch.setattr(shrink, "train_many", fake_train_many)
    soft = np.full((len(data.train), 3), 0.5, dtype=np.float32)
    plain_teacher = {"train": soft, "val": None, "test": None}
    moved = shrink_transfer.with_transfer(plain_teacher, ["a b", "c"], np.zeros((2, 3), dtype=np.float32))
    cfg = shrink.recipe_config(60, 3, 8)
    shrink.distill_study(data, cfg, TrainConfig(epochs=1), None, {"t": plain_teacher, "t+x": moved}, [0.6], [0, 1])
    n = len(data.train)
    assert {k: v for k, v in seen.items() if "+x" not in k} == dict.fromkeys([k for k in seen if "+x" not in k], n)
    assert [v for k, v in seen.items() if "+x" in k] == [n + 2, n + 2]  # the alpha grid's seed 0, then seed 1


def test_transfer_set_skips_with_a_note_when_a_corpus_or_model_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models, data = tmp_path / "models", tmp_path / "data"
    models.mkdir()
    data.mkdir()
    monkeypatch.setenv("TOXIC_MODELS_DIR", str(models))
    monkeypatch.setenv("TOXIC_DATA_DIR", str(data))
    texts, probs, note = shrink_transfer.transfer_set("ghc", LABELS)
    assert (texts, probs) == ([], None) and "Corpus file not found" in note and "stormfront" in note
    write_corpora(data)
    texts, probs, note = shrink_transfer.transfer_set("ghc", LABELS)
    assert (texts, probs) == ([], None) and "bestresult_ghc.pt not found" in note
    assert shrink_transfer.transfer_set("ghc", LABELS, rows=0)[2] == "no transfer set: none asked for"


def test_transfer_set_takes_minilm_labels_from_a_cache_of_these_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teacher run's transfer cache labels the set when it scored exactly these texts; else it is not used."""
    from src.training.teacher_cache import save_transfer, transfer_cache_name

    models = tmp_path / "models"
    monkeypatch.setenv("TOXIC_MODELS_DIR", str(models))
    monkeypatch.setenv("TOXIC_DATA_DIR", str(write_corpora(tmp_path / "data")))
    all_texts = [t for c in CORPORA for t in transfer_texts(c)]
    probs = np.random.default_rng(0).random((len(all_texts), len(LABELS))).astype(np.float32)
    save_transfer(
        models / transfer_cache_name("ghc"), probs, LABELS, all_texts, {"kind": "mean of the 5 fold teachers"}
    )
    texts, got, note = shrink_transfer.transfer_set("ghc", LABELS, rows=5)
    assert texts == all_texts[:5] and np.allclose(got, probs[:5], atol=1e-3) and "MiniLM-L6" in note
    save_transfer(models / transfer_cache_name("ghc"), probs[1:], LABELS, all_texts[1:])  # other texts: stale
    texts, got, note = shrink_transfer.transfer_set("ghc", LABELS)
    assert (texts, got) == ([], None) and "bestresult_ghc.pt not found" in note
