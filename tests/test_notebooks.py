"""Every notebooks/*.ipynb runs top to bottom on the fixtures (quick mode) and writes its results file."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from src.apps.notebooks import run
from src.apps.profiles import PROFILES
from src.serving import checkpoint
from src.studies.bestresult import pick_seed

ROOT = Path(__file__).resolve().parent.parent
# Pipeline order (as `make report`): later notebooks read earlier notebooks' results files.
ORDER = ["LookAtData", "baseline", "Teacher", "BaseAttention", "BestResult", "Shrink", "Behaviour"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"), key=lambda p: (ORDER + [p.stem]).index(p.stem))
LOOKATDATA_KEYS = {"dataset", "labels", "counts", "rates", "all_zero_share", "length_quantiles"}
RESULTS_KEYS = {"dataset", "labels", "best", "models"}
MODEL_KEYS = {"params", "size_bytes", "validation", "test"}

pytestmark = pytest.mark.notebooks


def _check(out: Path, results: Path, stem: str, dataset: str, labels: list[str]) -> None:
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[0]
    doc = json.loads((results / f"{stem}.json").read_text())
    assert doc["dataset"] == dataset and doc["labels"] == labels
    if stem == "LookAtData":
        assert LOOKATDATA_KEYS <= set(doc)
        assert set(doc["counts"]) == {"train", "validation", "test"}
        return
    assert RESULTS_KEYS <= set(doc) and doc["best"] in doc["models"]
    if stem == "Behaviour":  # suite scores of every saved model and TF-IDF, and the goals measured from them
        assert doc["best"] == "bestresult" and {"tfidf_lr", "baseattention", "bestresult"} <= set(doc["models"])
        assert doc["suite"]["n_cases"] >= 2000 and doc["suite"]["n_heldout"] > 0
        for m in doc["models"].values():
            assert {"accuracy", "by_functionality", "identity_fpr", "spelling_gap"} <= set(m["heldout"])
            assert 0 <= m["heldout"]["accuracy"] <= 1 and f"{dataset}_test_macro_auc" in m
        assert doc["goals"]["identity_fpr_le_0.10_best"]["met"] in (True, False)
        assert set(doc["mitigation"]) == {"plain", "suite"}  # quick: two variants, one seed each
        for v in doc["mitigation"].values():
            assert 0 <= v["accuracy"]["mean"] <= 1 and 0 <= v["test_macro_auc"]["mean"] <= 1
            assert 0 <= v["train_part_identity_fpr"]["mean"] <= 1  # the suite's training part, scored as well
        assert doc["mitigation"]["suite"]["train_rows"] > doc["mitigation"]["plain"]["train_rows"]
        # BestResult's GloVe recipe: studied on GHC (quick: plain and balance, one seed), skipped by the hour profile.
        glove = doc["mitigation_glove"]
        assert set(glove) == ({"plain", "balance"} if dataset == "ghc" else set()), glove
        for v in glove.values():
            assert 0 <= v["identity_fpr"]["mean"] <= 1 and 0 <= v["test_macro_auc"]["mean"] <= 1
        return
    if stem == "BestResult":  # the fixture's stand-in teacher cache was found and every alpha was tried
        kd = doc["distillation"]
        assert "synthetic stand-in" in kd["teacher"] and len(kd["val_macro_auc_by_alpha"]) == 3, kd
        # the saved seed: one of the seeds, chosen by the rule from what the results file records, stored in the checkpoint
        sc = doc["seed_choice"]
        val, fpr = ({int(k): v for k, v in sc[key].items()} for key in ("val_macro_auc", "train_part_identity_fpr"))
        assert sc["saved_seed"] == pick_seed(val, fpr, sc["rule_slack"]) and all(0 <= x <= 1 for x in fpr.values())
        ck = checkpoint.load(results.parent / "models" / f"bestresult_{dataset}.pt", labels=labels)[2]
        assert ck["meta"]["seed"] == sc["saved_seed"]
    if stem == "Shrink" and dataset == "ghc":  # the GloVe-started students, their transfer teacher and the goals
        assert {"student_200k_glove: minilm_l6+transfer", "student_50k_glove: plain"} <= set(doc["models"])
        assert "transfer-half texts" in doc["teachers"]["minilm_l6+transfer"]
        assert {"single_le_200k_test_auc_ge_0.865", "saved_students_above_tfidf_every_seed"} <= set(doc["goals"])
    if stem == "Shrink" and dataset == "jigsaw":  # the hour profile leaves the GloVe students out
        assert not any(k.split(":")[0].endswith("_glove") for k in doc["models"]), list(doc["models"])
    if stem == "Transfer":  # every model scored on both fixture corpora' evaluation halves, the goal recorded
        assert set(doc["corpora"]) == {"stormfront", "implicit_hate"} and "baseline_recorded" in doc["goals"]
        assert all(m.get("skipped") or set(m["cross_corpus"]) == set(doc["corpora"]) for m in doc["models"].values())
        return
    for name, m in doc["models"].items():
        if m.get("skipped"):  # optional extras absent (Teacher without transformers): says so, scores nothing
            assert m.get("note"), name
            continue
        assert MODEL_KEYS <= set(m), name
        assert {"roc_auc", "at_0.5", "at_tuned"} <= set(m["test"]), name


DATASETS = {
    "ghc": ["hd", "cv", "vo"],
    "jigsaw": ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"],
}


@pytest.fixture(scope="module", params=list(DATASETS))
def pipeline_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One fixture dataset and one results/models folder shared by the notebooks, run in pipeline order."""
    from tests.fixtures import write_ghc, write_jigsaw, write_teacher_oof_cache
    from tests.fixtures_corpora import write_corpora

    root = tmp_path_factory.mktemp(f"pipeline_{request.param}")
    dirs = {name: root / name for name in ("data", "results", "models")}
    for d in dirs.values():
        d.mkdir()
    (write_ghc if request.param == "ghc" else write_jigsaw)(dirs["data"])
    write_corpora(dirs["data"])  # stormfront/ and implicit_hate/ for Transfer
    with pytest.MonkeyPatch.context() as mp:
        for name, d in dirs.items():
            mp.setenv(f"TOXIC_{name.upper()}_DIR", str(d))
        write_teacher_oof_cache(dirs["models"], request.param)  # so BestResult runs its distillation path
        yield request.param, dirs


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_on_fixture(nb: Path, tmp_path: Path, pipeline_env) -> None:
    """Every notebook, on the synthetic GHC and Kaggle-format Jigsaw fixtures (quick mode)."""
    dataset, dirs = pipeline_env
    params = {"dataset": dataset, "quick": True}
    if dataset == "jigsaw":  # `make report DATASET=jigsaw`'s hour profile, its sweep sample cut to fit the fixture
        cuts = PROFILES["hour"].get(nb.stem, {})
        params |= cuts | ({"sweep_sample": 200} if "sweep_sample" in cuts else {})
    out = run(nb, params, output=tmp_path / nb.name)
    _check(out, dirs["results"], nb.stem, dataset, DATASETS[dataset])


def test_report_renders_on_the_fixture_run(tmp_path: Path, pipeline_env) -> None:
    """`make report`'s last step on this run's results (quick mode; GHC and Jigsaw labels): every reference resolves."""
    from src.report.render import main_body_words, render

    dataset, dirs = pipeline_env
    text = render(tmp_path / "REPORT.md", dirs["results"])
    assert f"**{dataset}**" in text and "## Appendix" in text and main_body_words(text) < 3500
    assert len(list((tmp_path / "reports" / "figures").glob("*.png"))) >= 6
