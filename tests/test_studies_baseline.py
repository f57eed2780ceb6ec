"""The baseline notebook's study code (src/studies/baseline.py) and its conclusions template."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from src.common.results import write_results
from src.report.template import TEMPLATES, render, typed_numbers
from src.studies import baseline as bl
from src.studies.runs import Run

ROOT = Path(__file__).resolve().parent.parent


def test_configs_quick_and_clean() -> None:
    """Two variants that differ only in cleaning; quick caps the features."""
    full, quick = bl.configs(2.0, False), bl.configs(2.0, True)
    assert list(full) == ["tfidf_lr", "tfidf_lr_clean"]
    assert full["tfidf_lr"].C == 2.0 and not full["tfidf_lr"].clean and full["tfidf_lr_clean"].clean
    assert full["tfidf_lr"].max_features == 200_000 and quick["tfidf_lr"].max_features == bl.QUICK_FEATURES


def test_load_caps_quick_runs(ghc_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """quick without a sample caps train rows at QUICK_ROWS; an explicit sample wins."""
    monkeypatch.setenv("TOXIC_DATA_DIR", str(ghc_dir))
    monkeypatch.setattr(bl, "QUICK_ROWS", 50)
    assert bl.load("ghc", 0, None, quick=True).notes["train_subsampled_to"] == 50
    assert bl.load("ghc", 0, 80, quick=True).notes["train_subsampled_to"] == 80
    assert "train_subsampled_to" not in bl.load("ghc", 0, None, quick=False).notes


def test_entries_carry_speed_and_config() -> None:
    """One record per variant: params twice (all trainable), bytes, scores, fit time, throughput, config."""
    cfgs = bl.configs(4.0, True)
    runs = {
        n: Run(None, np.zeros((1, 3)), np.zeros((1, 3)), 1.5 + i, comments_per_second=9.0) for i, n in enumerate(cfgs)
    }
    scores = {n: {"validation": {"v": 1}, "test": {"t": 2}} for n in cfgs}
    out = bl.entries(runs, scores, cfgs, {"tfidf_lr": 10, "tfidf_lr_clean": 7}, {"tfidf_lr": 5, "tfidf_lr_clean": 3})
    e = out["tfidf_lr_clean"]
    assert e["params"] == {"total": 3, "trainable": 3} and e["size_bytes"] == 7 and e["test"] == {"t": 2}
    assert e["fit_seconds"] == 2.5 and e["comments_per_second"] == 9.0 and e["config"]["clean"] is True


def test_reference_only_where_published() -> None:
    """GHC has the data card's reference for both recipes; other datasets have none."""
    ref = bl.reference("ghc")
    assert ref["tfidf_lr"]["test_macro_auc"] > 0.5 and set(ref["minilm_l6"]["test_auc"]) == {"hd", "cv", "vo"}
    assert bl.reference("jigsaw") is None


def test_best_test_auc(toxic_env: dict[str, Path]) -> None:
    """NaN before the baseline notebook ran; the best variant's test macro AUC after."""
    assert math.isnan(bl.best_test_auc())
    m = {n: {"test": {"roc_auc": {"macro": v}}} for n, v in (("a", 0.7), ("b", 0.8))}
    write_results("baseline", "ghc", ["hd"], m, best="b")
    assert bl.best_test_auc() == 0.8


def _doc(dataset: str, labels: list[str], derived: bool) -> dict:
    """A baseline results doc of the right shape, numbers made up."""
    rng = np.random.default_rng(0)

    def split() -> dict:
        f1 = {"micro": rng.random(), "macro": rng.random()}
        per = {lab: {"f1": rng.random(), "support": int(rng.integers(1, 50))} for lab in labels}
        at = {"f1": f1, "per_label": per}
        s = {"roc_auc": {"micro": rng.random(), "macro": rng.random(), "per_label": dict.fromkeys(labels, 0.7)}}
        s |= {"at_0.5": at, "at_tuned": at}
        return s | ({"derived": {"hate": {"roc_auc": 0.8, "f1_at_tuned": 0.4}}} if derived else {"derived": {}})

    models = {
        n: {"validation": split(), "test": split(), "size_bytes": 10**6, "fit_seconds": 1.0}
        for n in ("tfidf_lr", "tfidf_lr_clean")
    }
    for m in models.values():
        m["comments_per_second"] = 1000.0
    return {
        "dataset": dataset,
        "labels": labels,
        "best": "tfidf_lr",
        "models": models,
        "notes": {},
        "hard_label_test_roc_auc": {"model": "tfidf_lr", "micro": 0.6, "macro": 0.6},
        "reference": bl.reference(dataset),
    }


@pytest.mark.parametrize(
    "dataset,labels,derived", [("ghc", ["hd", "cv", "vo"], True), ("jigsaw", ["toxic", "threat"], False)]
)
def test_template_renders_every_dataset(dataset: str, labels: list[str], derived: bool) -> None:
    """The conclusions render for both datasets (with and without a reference or a "hate" label), numbers filled in."""
    text = render("notebooks/baseline.md", r=_doc(dataset, labels, derived))
    assert f"**{dataset}**" in text and "{{" not in text and ("reference" in text) == (dataset == "ghc")


def test_template_types_no_numbers_and_renders_committed_results() -> None:
    """No number typed in the template; it renders from the committed results file."""
    assert typed_numbers((TEMPLATES / "notebooks" / "baseline.md").read_text()) == []
    doc = json.loads((ROOT / "results" / "baseline.json").read_text())
    assert "ROC AUC" in render("notebooks/baseline.md", r=doc)
