"""Behaviour notebook code: every saved model and TF-IDF + LR scored on the functional suite and on the test split."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score

from src.common.auc import macro_auc
from src.data.datasets import Splits, label_matrix
from src.data.groups import SPLIT_GROUPS, groups_named
from src.evaluation.metrics import evaluate_model
from src.evaluation.suite import names_group
from src.evaluation.suite_score import flags_from_probs, score_suite
from src.models.tfidf import TfidfConfig
from src.studies import baseline as baseline_model

DEFAULT_MODEL = "bestresult"  # what README's example and a new user run: models/bestresult_<dataset>.pt
SMALL_LIMIT = 200_000  # parameters (in total) of a model that may replace the default (the report's criterion)
DEFAULT_TOLERANCE = 0.005  # ... once it is this close on test AUC, hate F1 and held-out identity FPR
# The suite's labels (GHC's: hate = max(hd, cv), cv, vo) -> each dataset's closest columns.
SUITE_LABELS = {
    "ghc": {"hate": "hate", "cv": "cv", "vo": "vo"},
    "jigsaw": {"hate": "identity_hate", "cv": "threat", "vo": "obscene"},
}


def suite_view(predict: Callable[[list[str]], pd.DataFrame], dataset: str) -> Callable[[list[str]], pd.DataFrame]:
    """`predict` with the flags the suite reads (hate_flag, cv_flag, vo_flag) taken from the dataset's own labels."""
    names = SUITE_LABELS[dataset]

    def view(texts: list[str]) -> pd.DataFrame:
        out = predict(texts)
        return pd.DataFrame({f"{k}_flag": out[f"{v}_flag"].to_numpy() for k, v in names.items()})

    return view


def tuned_view(model, tokenizer, ev: dict, spec, dataset: str) -> Callable[[list[str]], pd.DataFrame]:
    """`suite_view` of a trained model at its validation-tuned thresholds (`ev`: its `evaluate_model` dict)."""
    from src.serving.predict import Predictor

    labels, derived = list(spec.labels), dict(spec.derived)
    dthr = {k: v["threshold"] for k, v in ev["validation"]["derived"].items()}
    pred = Predictor(model, tokenizer, labels, ev["validation"]["at_tuned"]["thresholds"], derived, dthr)
    return suite_view(pred.predict, dataset)


def saved_models(models: Path, dataset: str) -> dict[str, Path]:
    """{short name: checkpoint} of every saved encoder for `dataset` (models/<name>_<dataset>.pt), sorted."""
    return {p.name.removesuffix(f"_{dataset}.pt"): p for p in sorted(models.glob(f"*_{dataset}.pt"))}


def tfidf_predictor(splits: Splits, cfg: TfidfConfig) -> tuple[Callable[[list[str]], pd.DataFrame], float, str]:
    """TF-IDF + LR of the train split (the baseline's, when saved), flags at validation-tuned thresholds.

    Returns (predict, test macro AUC, where the model came from).
    """
    labels, derived = list(splits.spec.labels), dict(splits.spec.derived)
    model, note = baseline_model.fitted(splits, cfg)
    test_texts = list(splits.test["text"])
    p_val, p_test = model.predict_proba(list(splits.val["text"])), model.predict_proba(test_texts)
    y_val, y_test = label_matrix(splits.val, labels), label_matrix(splits.test, labels)
    s = evaluate_model(y_val, p_val, y_test, p_test, labels, derived)  # thresholds tuned on validation only
    thr = s["validation"]["at_tuned"]["thresholds"] | {k: d["threshold"] for k, d in s["validation"]["derived"].items()}

    def predict(texts: list[str]) -> pd.DataFrame:
        # The test split's probabilities are at hand (hate_f1 asks again): at Jigsaw's size a pass takes minutes.
        again = isinstance(texts, list) and texts == test_texts
        return flags_from_probs(p_test if again else model.predict_proba(texts), labels, thr, derived)

    return predict, s["test"]["roc_auc"]["macro"], note


def encoder_predictor(path: Path, splits: Splits) -> tuple[Callable[[list[str]], pd.DataFrame], float, int]:
    """A saved checkpoint through the serving API (its stored thresholds); (predict, test macro AUC, params)."""
    from src.models.size import count_params
    from src.serving.predict import load

    pred = load(path)
    labels, test_texts = list(splits.spec.labels), list(splits.test["text"])
    on_test = pred.predict(test_texts)

    def predict(texts: list[str]) -> pd.DataFrame:
        again = isinstance(texts, list) and texts == test_texts  # the test split: predicted once
        return on_test.copy() if again else pred.predict(texts)

    auc = macro_auc(label_matrix(splits.test, labels), on_test[labels].to_numpy())
    return predict, auc, count_params(pred.model)["total"]


def hate_f1(predict: Callable[[list[str]], pd.DataFrame], splits: Splits, dataset: str) -> float:
    """Test-split F1 of the hate flag the suite reads (the dataset's closest column), at the model's own threshold."""
    col = SUITE_LABELS[dataset]["hate"]
    members = list(dict(splits.spec.derived).get(col, (col,)))
    y = label_matrix(splits.test, members).max(axis=1)
    return float(f1_score(y, predict(list(splits.test["text"]))[f"{col}_flag"].to_numpy()))


def score_models(predictors: dict[str, tuple], suite: pd.DataFrame, split: str, dataset: str) -> dict[str, dict]:
    """{model: {split: score_suite(...), "<dataset>_test_macro_auc": x}} per (suite-view predict, test AUC, ...)."""
    key = f"{dataset}_test_macro_auc"
    return {name: {split: score_suite(p[0], suite, split), key: p[1]} for name, p in predictors.items()}


def accuracy_table(scores: dict[str, dict], split: str = "heldout") -> pd.DataFrame:
    """Functionalities x models: accuracy on `split` (higher is better in every row), then all cases."""
    t = pd.DataFrame({m: s[split]["by_functionality"] for m, s in scores.items()})
    t.loc["(all cases)"] = [s[split]["accuracy"] for s in scores.values()]
    return t


def summary_table(scores: dict[str, dict], dataset: str, split: str = "heldout") -> pd.DataFrame:
    """Per model: suite accuracy, hate-flag accuracy, identity FPR, spelling gap and test-split macro AUC."""
    rows = {
        m: {
            "accuracy": s[split]["accuracy"],
            "hate-flag accuracy": s[split]["hate_accuracy"],
            "identity FPR": s[split]["identity_fpr"]["overall"],
            "spelling gap": s[split]["spelling_gap"],
            "test macro AUC": s[f"{dataset}_test_macro_auc"],
        }
        for m, s in scores.items()
    }
    return pd.DataFrame(rows).T


def suite_info(suite: pd.DataFrame) -> dict:
    """The results file's description of the suite: sizes, functionalities, groups per part."""
    return {
        "n_cases": int(len(suite)),
        "n_heldout": int((suite["split"] == "heldout").sum()),
        "functionalities": list(dict.fromkeys(suite["functionality"])),
        "groups": {k: list(v) for k, v in SPLIT_GROUPS.items()},
    }


def group_mentions(splits: Splits) -> dict:
    """How much the test split rewards naming a group: its posts that name one of the suite's groups, each label's
    positive rate in them and in the rest, and the ROC AUC of the bare 0/1 "names a group" indicator as a score."""
    labels, named = list(splits.spec.labels), names_group(list(splits.test["text"]))
    y = label_matrix(splits.test, labels)
    return {
        "n_test": int(len(named)),
        "n_naming_group": int(named.sum()),
        "positive_rate": {
            lab: {"naming_group": _rate(y[named, j]), "other": _rate(y[~named, j])} for j, lab in enumerate(labels)
        },
        "mention_auc": {
            lab: float(roc_auc_score(y[:, j], named)) if 0 < y[:, j].sum() < len(y) else float("nan")
            for j, lab in enumerate(labels)
        },
    }


def group_train_rates(splits: Splits, dataset: str) -> dict[str, dict]:
    """What the train split teaches about each suite group: {group: {"part", "n_posts", "hate_rate"}}, the train
    posts that name it (plural or singular, any case) and the share of them positive for the label the suite's
    `hate` reads (`SUITE_LABELS`; a derived label is the max of its members). Evaluation only: it reads the
    train split, it adds nothing to it."""
    name, labels = SUITE_LABELS[dataset]["hate"], list(splits.spec.labels)
    members = dict(splits.spec.derived).get(name, (name,))
    hate = label_matrix(splits.train, labels)[:, [labels.index(m) for m in members]].max(axis=1).astype(np.float64)
    parts = {g: part for part, groups in SPLIT_GROUPS.items() for g in groups}
    named = groups_named(list(splits.train["text"]), list(parts))  # (N, G)
    return {
        g: {"part": part, "n_posts": int(named[:, j].sum()), "hate_rate": _rate(hate[named[:, j]])}
        for j, (g, part) in enumerate(parts.items())
    }


def _rate(y: np.ndarray) -> float:
    """Share of positives; NaN for no rows (e.g. a tiny split where no post names a group)."""
    return float(y.mean()) if len(y) else float("nan")


def goals(scores: dict[str, dict], params: dict[str, int], best: str, split: str = "heldout") -> dict:
    """The behaviour goals on the held-out part, measured: {name: {"value", "target", "met"}}."""
    b = scores[best][split]
    out = {
        "identity_fpr_le_0.10_best": (b["identity_fpr"]["overall"], "<= 0.10", b["identity_fpr"]["overall"] <= 0.10),
        "spelling_gap_le_0.10_best": (b["spelling_gap"], "<= 0.10", b["spelling_gap"] <= 0.10),
        "accuracy_ge_0.80_best": (b["accuracy"], ">= 0.80", b["accuracy"] >= 0.80),
    }
    for name, n in params.items():
        if n <= 200_000 and name in scores:
            acc = scores[name][split]["accuracy"]
            out[f"accuracy_ge_0.75_{name}"] = (acc, ">= 0.75", acc >= 0.75)
    return {k: {"value": v, "target": t, "met": bool(m)} for k, (v, t, m) in out.items()}


def default_goal(
    scores: dict[str, dict], params: dict[str, int], f1: dict[str, float], default: str, split: str, dataset: str
) -> dict:
    """The <= SMALL_LIMIT saved model closest to the default: its largest shortfall on test AUC, hate F1 and identity
    FPR (positive = worse than the default); met when within DEFAULT_TOLERANCE on all three. {} without one."""
    key = f"{dataset}_test_macro_auc"
    small = [m for m, n in params.items() if n <= SMALL_LIMIT and m in scores and m in f1 and m != default]
    if default not in scores or default not in f1 or not small:
        return {}
    d = scores[default]
    gaps = {
        m: {
            "test_auc": d[key] - scores[m][key],
            "hate_f1": f1[default] - f1[m],
            "identity_fpr": scores[m][split]["identity_fpr"]["overall"] - d[split]["identity_fpr"]["overall"],
        }
        for m in small
    }
    closest = min(gaps, key=lambda m: max(gaps[m].values()))
    worst = max(gaps[closest].values())
    name = f"small_model_within_{DEFAULT_TOLERANCE}_of_default"
    goal = {"value": worst, "target": f"<= {DEFAULT_TOLERANCE}", "met": bool(worst <= DEFAULT_TOLERANCE)}
    extra = {"model": closest, "default": default, "limit": SMALL_LIMIT, "gaps": gaps[closest], "hate_f1": f1}
    return {name: goal | extra}
