"""BestResult's study modules: data and recipe, variants, distillation and seeds, candidates, records, template."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
import torch

from src.data.glove import WordTokenizer
from src.evaluation.metrics import evaluate_model
from src.evaluation.probes import PROBES
from src.models.encoder import ModelConfig
from src.report.template import TEMPLATES, typed_numbers
from src.studies import bestresult_candidates as bc
from src.studies import bestresult_modes as bm
from src.studies import bestresult_results as bo
from src.studies import bestresult_seeds as bs
from src.studies.bestresult import GloveData, configs, train_glove, write_synthetic_glove
from src.studies.runs import Run
from src.training.loop import History, TrainConfig

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["the cat sat on the mat", "dogs are great", "you stupid idiot", "idiot dogs sat", "the mat is great"] * 8
Y = np.array([[0, 0], [0, 0], [1, 1], [1, 0], [0, 0]] * 8, dtype=np.float32)
LABELS = ["hd", "cv"]


def _data(sweep: np.ndarray | None = None, sweep_val: np.ndarray | None = None) -> GloveData:
    spec = SimpleNamespace(labels=tuple(LABELS), derived={"hate": ("hd", "cv")})
    splits = SimpleNamespace(spec=spec, notes={})
    return GloveData(
        "ghc",
        splits,
        {k: TEXTS for k in ("train", "val", "test")},
        {k: Y for k in ("train", "val", "test")},
        sweep,
        None,
        sweep_val,
    )


def _history(best_auc: float, best_epoch: int = 1) -> History:
    return History(val_auc=[best_auc - 0.01, best_auc], epoch_seconds=[1.0, 1.0], best_epoch=best_epoch)


def _run(seed: int, auc: float = 0.8) -> Run:
    """A fake run: a tiny torch model (counted and sized like an encoder) and seeded probabilities."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    p = np.clip(Y * 0.2 + rng.random(Y.shape) * 0.8, 0, 1)  # imperfect: blends can help
    return Run(torch.nn.Linear(3, 2), p, p, 1.0, _history(auc))


@pytest.fixture
def tok(tmp_path: Path) -> WordTokenizer:
    path = write_synthetic_glove(TEXTS, tmp_path / "g.txt", skip_every=4)
    return WordTokenizer.build(TEXTS, path, oov_rows=10, max_len=16)


def test_configs_and_data_scores() -> None:
    model, train = configs(2, 16, 1, 32, 3, 1e-3, 0.5, seed=4)
    assert (model.d_model, model.d_ff, model.n_labels, model.max_len, model.emb_dim) == (16, 32, 2, 32, 50)
    assert (train.epochs, train.lr_max, train.pos_weight_power, train.seed) == (3, 1e-3, 0.5, 4)
    data = _data()
    assert (
        data.labels == LABELS
        and data.rarest() == "cv"
        and "cv (8 train, 8 val, 8 test" in bs.positives_line(data, "cv")
    )
    run = _run(0)
    assert data.run_scores(run)["test"]["roc_auc"] == data.scores(run.p_val, run.p_test)["test"]["roc_auc"]
    val_rows = np.arange(0, 40, 2)  # a comparison run validated on a sample of the validation rows
    cut = Run(run.model, run.p_val[val_rows], run.p_test, 1.0, run.history)
    got = _data(np.arange(20), val_rows).run_scores(cut)
    want = evaluate_model(Y[val_rows], run.p_val[val_rows], Y, run.p_test, LABELS, data.derived)
    assert got["validation"]["roc_auc"] == want["validation"]["roc_auc"]  # against the sampled rows' labels
    assert got["test"]["roc_auc"] == data.run_scores(run)["test"]["roc_auc"]  # test: the whole split
    with pytest.raises(ValueError, match="validation predictions"):
        data.run_scores(cut)  # no sample to match: refused, not scored against the wrong rows


def test_modes_share_tokenizers_and_compute_corpus_columns_once(tok: WordTokenizer) -> None:
    toks = {"glove": tok, "glove+oov": tok}
    variants = bm.modes(toks, {"train": TEXTS, "val": TEXTS[:5], "test": TEXTS[:5]}, corpus_dim=3)
    assert list(variants) == list(bm.MODES)
    assert [v.corpus_dim for v in variants.values()] == [0, 0, 0, 3]
    assert variants["frozen+oov+ppmi"].corpus.shape == (tok.vocab_size, 3) and variants["frozen"].corpus is None
    assert (
        variants["frozen+oov+ppmi"].embedding == "frozen+oov" and variants["frozen+oov+ppmi"].name == "frozen+oov+ppmi"
    )
    assert bm.modes(toks, {"train": TEXTS}, corpus_dim=0)["frozen+oov+ppmi"].corpus is None  # no columns asked


def test_recipe_jobs_cut_rows_and_pass_the_teacher_only_when_distilling(tok: WordTokenizer) -> None:
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    mode = bm.Mode("frozen+oov", "glove+oov", tok, ids, "frozen+oov", 0, None)
    mcfg, tcfg = configs(2, 8, 1, 16, 1, 1e-3, 0.5, seed=0)
    teacher = {k: np.full(Y.shape, 0.5, dtype=np.float32) for k in ("train", "val", "test")}
    rows = np.arange(10)
    recipe = bs.Recipe(mode, mcfg, tcfg, _data(rows, np.arange(5)), teacher)
    plain = recipe.job()
    assert plain.tcfg == tcfg and plain.alpha == 0.0 and plain.teacher is None and len(plain.ids["train"]) == 10
    assert len(plain.ids["val"]) == len(plain.y["val"]) == 5 and len(plain.ids["test"]) == len(Y)  # sample: val cut
    kd = recipe.job(seed=2, alpha=0.9, full=True)
    assert kd.tcfg.seed == 2 and kd.alpha == 0.9 and kd.teacher.shape == Y.shape and len(kd.ids["train"]) == len(Y)
    assert len(kd.ids["val"]) == len(Y)  # every-row runs validate on every row
    assert recipe.job(pos_weight_power=1.0).tcfg.pos_weight_power == 1.0 and len(recipe.job(alpha=0.6).teacher) == 10


def _fake_many(calls: list):
    def many(jobs, workers=2):
        calls.append([(j.tcfg.seed, j.alpha, j.tcfg.pos_weight_power, len(j.ids["train"])) for j in jobs])
        return [_run(j.tcfg.seed) for j in jobs]

    return many


@pytest.mark.parametrize("sweep", [None, np.arange(10)])
def test_alphas_seeds_and_weightings_train_what_the_notebook_always_trained(
    tok: WordTokenizer, monkeypatch: pytest.MonkeyPatch, sweep
) -> None:
    calls: list = []
    monkeypatch.setattr(bs, "train_glove_many", _fake_many(calls))
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    mcfg, tcfg = configs(2, 8, 1, 16, 1, 1e-3, 0.5, seed=0)
    teacher = {k: np.full(Y.shape, 0.5, dtype=np.float32) for k in ("train", "val", "test")}
    recipe = bs.Recipe(bm.Mode("f", "glove", tok, ids, "frozen", 0, None), mcfg, tcfg, _data(sweep), teacher)
    part1 = _run(0)
    by_alpha = bs.train_alphas(recipe, part1, [0.6, 0.9])
    assert list(by_alpha) == [0.0, 0.6, 0.9] and by_alpha[0.0] is part1
    plain, distilled = bs.train_seeds(recipe, by_alpha, 0.9, [0, 1, 2])
    n = len(Y) if sweep is None else 10
    assert calls[0] == [(0, 0.6, 0.5, n), (0, 0.9, 0.5, n)]
    others = [1, 2] if sweep is None else [0, 1, 2]  # with a sweep sample, seed 0 trains again on every row
    assert calls[1] == [(s, 0.0, 0.5, len(Y)) for s in others] + [(s, 0.9, 0.5, len(Y)) for s in others]
    assert sorted(plain) == sorted(distilled) == [0, 1, 2]
    assert (plain[0] is part1) == (sweep is None) and (distilled[0] is by_alpha[0.9]) == (sweep is None)
    pw = bs.train_weightings(recipe, part1)
    assert calls[2] == [(0, 0.0, 0.0, n), (0, 0.0, 1.0, n)] and pw[0.5] is part1 and sorted(pw) == [0.0, 0.5, 1.0]
    assert bs.train_alphas(bs.Recipe(recipe.mode, mcfg, tcfg, recipe.data, None), part1, [0.9]) == {0.0: part1}


def test_seed_labels_and_distillation_record() -> None:
    data = _data()
    scores = {s: data.run_scores(_run(s)) for s in (0, 1, 2)}
    rec = bs.seed_labels(scores)
    assert set(rec) == set(LABELS) and rec["cv"]["test_auc"]["seeds"] == [0, 1, 2]
    assert rec["hd"]["test_f1_tuned"]["values"] == [
        scores[s]["test"]["at_tuned"]["per_label"]["hd"]["f1"] for s in (0, 1, 2)
    ]
    by_alpha = {0.0: _run(0, 0.7), 0.9: _run(1, 0.8)}
    kd = bs.distillation_record(by_alpha, 0.9, "note", None)
    assert kd == {"teacher": "note", "alpha": 0.9, "val_macro_auc_by_alpha": {"0.0": 0.7, "0.9": 0.8}}
    assert "alpha=0.9" in bs.seeds_table(scores, scores, 0.9).index.get_level_values(0)


def test_candidates_blends_params_and_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, runs = _data(), {s: _run(s) for s in (0, 1, 2)}
    tfidf = SimpleNamespace(
        predict_proba=lambda texts: Y * 0.9 + 0.05, n_params=lambda: 100, to_bytes=lambda: b"x" * 50
    )
    ba_path = tmp_path / "baseattention_ghc.pt"
    ba_path.write_bytes(b"y" * 70)
    ba_model = torch.nn.Linear(2, 2)
    ba = (ba_path, (ba_model, SimpleNamespace(encode=lambda texts: texts)))
    monkeypatch.setattr(bc, "predict_proba", lambda model, ids: Y * 0.8 + 0.1)  # BaseAttention's probabilities
    c = bc.candidates(runs[2], runs, "glove_x", tfidf, ba, data)
    assert list(c.probs) == ["glove_x", "glove_x_x3seeds", "glove_x_x3seeds+tfidf_lr", "glove_x+baseattention"]
    assert c.params["glove_x_x3seeds"]["total"] == 3 * runs[0].params["total"]
    assert c.params["glove_x_x3seeds+tfidf_lr"]["total"] == 3 * runs[0].params["total"] + 100
    assert c.combos["glove_x_x3seeds+tfidf_lr"][1]["members"] == 4 and c.combos["glove_x+baseattention"][0] is None
    assert c.record()["pair"] == "glove_x+baseattention" and c.record()["tfidf_weight"] > 0
    assert "-> w =" in c.describe()
    scores = {n: data.scores(pv, pt) for n, (pv, pt) in c.probs.items()}
    assert set(bc.candidate_table(c, scores).index) == set(c.probs)
    # records: the part-1 variants, the saved model under its own name, the combinations with the pair's bytes
    modes = {"m": runs[0]}
    info = {
        "m": {"config": {"corpus_dim": 0, "train": {"seed": 0}}, "train_rows": 40, "oov_rate": {}, "own_oov_rows": 0}
    }
    saved = bo.Saved(runs[2], None, 2, 0.9, "t.npz", tmp_path / "b.pt", 123)
    seed_scores = {s: data.run_scores(r) for s, r in runs.items()}
    models = bo.model_records(
        (modes, {"m": scores["glove_x"]}, info), seed_scores, seed_scores, c, scores, saved, data, 0
    )
    assert list(models) == [
        "glove_m",
        "glove_x",
        "glove_x_x3seeds",
        "glove_x_x3seeds+tfidf_lr",
        "glove_x+baseattention",
    ]
    assert models["glove_m"]["seeds"]["test_macro_auc"]["seeds"] == [0, 1, 2] and "config" in models["glove_m"]
    assert models["glove_x"]["distill_alpha"] == 0.9 and models["glove_x"]["size_bytes"] == 123
    assert models["glove_x+baseattention"]["size_bytes"] == 123 + 70
    summary = bm.mode_summary(modes, {"m": scores["glove_x"]}, info)
    assert (
        summary["m"]["best_epoch"] == 2 and summary["m"]["seed"] == 0 and bm.best_mode(runs | {9: _run(9, 0.95)}) == 9
    )


def test_goals_and_reference_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    best = {"test": {"roc_auc": {"macro": 0.9}, "derived": {"hate": {"f1_at_tuned": 0.4}}}}
    g = bo.goals(best)
    assert g["test_macro_auc_ge_0.86_best"]["met"] is True and g["test_hate_f1_ge_0.50_best"]["met"] is False
    assert list(bo.goals({"test": {"roc_auc": {"macro": 0.9}, "derived": {}}})) == ["test_macro_auc_ge_0.86_best"]
    monkeypatch.setenv("TOXIC_RESULTS_DIR", str(tmp_path))
    data = _data()
    s = data.run_scores(_run(0))
    (tmp_path / "baseline.json").write_text(
        json.dumps({"dataset": "ghc", "best": "m", "models": {"m": {**s, "params": {"total": 7}}}})
    )
    skipped = {"dataset": "ghc", "best": "t", "models": {"t": {"skipped": True, "note": "no transformers"}}}
    (tmp_path / "Teacher.json").write_text(json.dumps(skipped))
    rows, notes = bc.reference_rows()
    assert rows["baseline"]["model"] == "m" and rows["BaseAttention"] is None and rows["Teacher"] is None
    assert len(notes) == 2 and "no transformers" in notes[1]
    c = bc.Candidates({"single": "g"}, {"g": (None, None)}, {}, tmp_path / "ba.pt", params={"g": {"total": 5}})
    side = bc.side_rows(rows, c, {"g": s}, "ghc")
    assert (
        list(side) == ["report (best model), Jigsaw", "baseline: m", "BestResult: g"]
        and side["BestResult: g"]["params"] == 5
    )


def test_probe_record_names_group_words_and_flags(tok: WordTokenizer) -> None:
    ids = {k: tok.encode(TEXTS) for k in ("train", "val", "test")}
    mcfg = ModelConfig(vocab_size=1, n_labels=2, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", emb_dim=50)
    run = train_glove(tok, "frozen+oov", mcfg, TrainConfig(epochs=1, batch_size=8), ids, {k: Y for k in ids})
    saved = bo.Saved(run, tok, 0, 0.0, None, Path("x.pt"), 1)
    rec = bo.probe_record(saved, LABELS, {"hd": 0.0, "cv": 1.01})
    assert [r["text"] for r in rec] == PROBES and [r["kind"] for r in rec].count("harmless") == bo.N_HARMLESS
    assert all(r["flagged"] == ["hd"] and len(r["attended"]) == 3 for r in rec)
    words = {w for p in PROBES[: bo.N_HARMLESS] for w in p.split()} & bo.GROUP_WORDS
    assert words == bo.GROUP_WORDS  # every group word is in a harmless probe (the fixture's vectors may lack it)


def test_template_and_notebook_markdown_carry_no_typed_number() -> None:
    assert typed_numbers((TEMPLATES / "notebooks" / "BestResult.md").read_text()) == []
    nb = nbformat.read(ROOT / "notebooks" / "BestResult.ipynb", as_version=4)
    typed = [(i, typed_numbers(c.source)) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    assert [t for t in typed if t[1]] == []
