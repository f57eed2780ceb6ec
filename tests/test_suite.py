"""Functional test suite (issue #11): generation, the held-out split, and scoring with fake and real predictors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from src.data.groups import GROUPS, SPLIT_GROUPS
from src.evaluation.suite import EXPECTED, FUNCTIONALITIES, SPELLING, build_suite, training_sentences
from src.evaluation.suite_score import IDENTITY_FUNCTIONALITIES, flags_from_probs, score_suite

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["hd_flag", "cv_flag", "vo_flag", "hate_flag"]


@pytest.fixture(scope="module")
def suite() -> pd.DataFrame:
    return build_suite(seed=0)


@pytest.fixture(scope="module")
def held(suite: pd.DataFrame) -> pd.DataFrame:
    return suite[suite["split"] == "heldout"]


def frame(texts: list[str], flag) -> pd.DataFrame:
    """Predictor-style frame where every flag column is flag(text, column)."""
    return pd.DataFrame({c: [int(flag(t, c)) for t in texts] for c in FLAGS})


def oracle(suite: pd.DataFrame, wrong_on_variants: bool = False):
    """A predictor that knows every target (optionally flagging nothing on spelling variants)."""
    rows = {r.text: r for r in suite.itertuples()}

    def flag(text: str, col: str) -> bool:
        r = rows[text]
        if wrong_on_variants and r.variant_of:
            return False
        if col == "hate_flag":
            return bool(r.hate_target)
        return col == f"{r.label}_flag" and bool(r.target)

    return lambda texts: frame(texts, flag)


def test_size_columns_and_functionalities(suite: pd.DataFrame, held: pd.DataFrame) -> None:
    assert len(suite) >= 2000 and len(held) >= 800
    assert list(suite.columns)[:3] == ["case_id", "text", "functionality"]
    assert suite["case_id"].is_unique
    assert set(suite["split"]) == {"train", "heldout"}
    assert len(GROUPS) >= 12 and sorted(SPLIT_GROUPS["train"] + SPLIT_GROUPS["heldout"]) == sorted(GROUPS)
    for part in ("train", "heldout"):
        assert set(suite.loc[suite["split"] == part, "functionality"]) == set(FUNCTIONALITIES), part


def test_heldout_disjoint_from_training(suite: pd.DataFrame, held: pd.DataFrame) -> None:
    train = training_sentences(suite)
    assert (train["split"] == "train").all() and len(train) == (suite["split"] == "train").sum()
    assert not set(held["template_id"]) & set(train["template_id"])
    assert not (set(held["group"]) - {""}) & set(train["group"])
    assert set(held["group"]) - {""} == set(SPLIT_GROUPS["heldout"])
    assert set(train["group"]) - {""} == set(SPLIT_GROUPS["train"])
    mixed = suite.copy()
    mixed.loc[mixed.index[0], "split"] = "heldout"  # a training template now also in the held-out part
    with pytest.raises(ValueError, match="shares"):
        training_sentences(mixed)


def test_deterministic_and_seed_moves_only_spelling(suite: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(suite, build_suite(seed=0))
    other = build_suite(seed=1)
    assert (other["split"] == suite["split"]).all() and (other["case_id"] == suite["case_id"]).all()
    originals = suite["variant_of"] == ""
    assert (other.loc[originals, "text"] == suite.loc[originals, "text"]).all()
    assert (other.loc[~originals, "text"] != suite.loc[~originals, "text"]).any()


def test_spelling_variants(suite: pd.DataFrame) -> None:
    variants = suite[suite["variant_of"] != ""]
    assert set(variants["functionality"]) == set(SPELLING)
    by_id = suite.set_index("case_id")
    orig = by_id.loc[variants["variant_of"]]
    assert (orig["variant_of"] == "").all() and (orig["hate_target"] == 1).all()
    assert (orig["text"].to_numpy() != variants["text"].to_numpy()).all()
    for col in ("split", "group", "template_id", "label", "target", "hate_target"):
        assert (orig[col].to_numpy() == variants[col].to_numpy()).all(), col
    leet = variants[variants["functionality"] == "spelling_leet"]
    assert leet["text"].str.contains(r"[0-9]").all()
    spaced = variants[variants["functionality"] == "spelling_space"]
    lengths = by_id.loc[spaced["variant_of"], "text"].str.len().to_numpy()
    assert (spaced["text"].str.len().to_numpy() == lengths + 1).all()


def test_no_duplicate_heldout_texts(held: pd.DataFrame) -> None:
    assert held["text"].is_unique


def test_labels_and_targets(suite: pd.DataFrame) -> None:
    for func, (label, target, hate) in EXPECTED.items():
        rows = suite[suite["functionality"] == func]
        assert (rows["label"] == label).all() and (rows["target"] == target).all(), func
        assert (rows["hate_target"] == hate).all(), func
    threat = suite[suite["functionality"] == "threat"]
    assert (threat["label"] == "cv").all() and (threat["target"] == 1).all() and (threat["hate_target"] == 1).all()
    for func in ("negated_hate", "counter_speech", "profanity_non_hateful", "abuse_at_individuals"):
        assert (suite.loc[suite["functionality"] == func, "hate_target"] == 0).all()
    profanity = suite[suite["functionality"] == "profanity_non_hateful"]
    assert (profanity["label"] == "vo").all() and (profanity["target"] == 1).all()
    no_group = suite["functionality"].isin(["abuse_at_objects", "abuse_at_individuals", "profanity_non_hateful"])
    assert (suite.loc[no_group, "group"] == "").all() and (suite.loc[~no_group, "group"] != "").all()


def test_score_never_flags(suite: pd.DataFrame, held: pd.DataFrame) -> None:
    res = score_suite(lambda texts: frame(texts, lambda t, c: False), suite)
    assert res["n"] == len(held)
    assert res["accuracy"] == (held["target"] == 0).mean()
    assert res["hate_accuracy"] == (held["hate_target"] == 0).mean()
    assert res["by_functionality"]["negated_hate"] == 1.0 and res["by_functionality"]["threat"] == 0.0
    assert res["identity_fpr"]["overall"] == 0.0 and res["spelling_gap"] == 0.0
    assert list(res["by_functionality"]) == FUNCTIONALITIES


def test_score_group_name_predictor(suite: pd.DataFrame, held: pd.DataFrame) -> None:
    names = [g.lower() for g in GROUPS]

    def mentions_group(text: str, col: str) -> bool:
        return col == "hate_flag" and any(g in text.lower() for g in names)

    res = score_suite(lambda texts: frame(texts, mentions_group), suite)
    assert res["identity_fpr"]["overall"] == 1.0
    assert res["identity_fpr"]["by_group"] == {g: 1.0 for g in sorted(SPLIT_GROUPS["heldout"])}
    grouped = held["group"] != ""
    assert res["hate_accuracy"] == ((held["hate_target"] == 1) == grouped).mean()
    assert res["by_functionality"]["explicit_derogation"] == 1.0 and res["by_functionality"]["threat"] == 0.0
    assert res["spelling_gap"] == 0.0


def test_score_oracle_and_spelling_gap(suite: pd.DataFrame, held: pd.DataFrame) -> None:
    res = score_suite(oracle(suite), suite)
    assert res["accuracy"] == 1.0 and res["hate_accuracy"] == 1.0 and res["spelling_gap"] == 0.0
    assert set(res["by_functionality"].values()) == {1.0} and res["identity_fpr"]["overall"] == 0.0
    broken = score_suite(oracle(suite, wrong_on_variants=True), suite)
    assert broken["spelling_gap"] == 1.0
    assert broken["n_spelling_pairs"] == (held["variant_of"] != "").sum()
    assert broken["accuracy"] == (held["variant_of"] == "").mean()
    identity = held[held["functionality"].isin(IDENTITY_FUNCTIONALITIES)]
    assert len(identity) == 4 * 50 and broken["identity_fpr"]["overall"] == 0.0
    assert score_suite(oracle(suite), suite, split="all")["n"] == len(suite)
    with pytest.raises(ValueError, match="no cases"):
        score_suite(oracle(suite), suite, split="nope")


def test_flags_from_probs() -> None:
    probs = np.array([[0.2, 0.9, 0.1], [0.6, 0.1, 0.8]])
    out = flags_from_probs(probs, ["hd", "cv", "vo"], {"hd": 0.5, "cv": 0.95, "vo": 0.8}, {"hate": ["hd", "cv"]})
    assert list(out.columns) == ["hd", "cv", "vo", "hate", "hd_flag", "cv_flag", "vo_flag", "hate_flag"]
    assert out["hate"].tolist() == [0.9, 0.6]
    assert out[["hd_flag", "cv_flag", "vo_flag", "hate_flag"]].to_numpy().tolist() == [[0, 0, 0, 1], [1, 0, 1, 1]]
    with pytest.raises(ValueError, match="shape"):
        flags_from_probs(probs[:, :2], ["hd", "cv", "vo"], {}, {})


def test_real_model_smoke(suite: pd.DataFrame) -> None:
    path = ROOT / "models" / "bestresult_ghc.pt"
    if not path.is_file():
        pytest.skip("models/bestresult_ghc.pt absent")
    from src.serving.predict import load

    res = score_suite(load(path).predict, suite)
    assert set(res) >= {"n", "accuracy", "by_functionality", "identity_fpr", "spelling_gap"}
    assert res["n"] == (suite["split"] == "heldout").sum()
    assert 0.0 <= res["accuracy"] <= 1.0 and -1.0 <= res["spelling_gap"] <= 1.0
    assert set(res["by_functionality"]) == set(FUNCTIONALITIES)
    assert all(0.0 <= v <= 1.0 for v in res["by_functionality"].values())
    assert 0.0 <= res["identity_fpr"]["overall"] <= 1.0
    assert set(res["identity_fpr"]["by_group"]) == set(SPLIT_GROUPS["heldout"])


def test_names_group_finds_plural_and_singular_of_every_group() -> None:
    from src.evaluation.suite import names_group

    named = [f"I talked with {g} today" for g in GROUPS] + ["A MUSLIM friend", "one gay person", "a woman spoke"]
    plain = ["The printer broke again.", "Sikhism is a religion", "a jewel", "Christmas is near", ""]
    assert names_group(named).all() and not names_group(plain).any()
    assert names_group([]).shape == (0,)


def test_group_mentions_rates_and_indicator_auc(ghc_dir: Path) -> None:
    from src.data.datasets import label_matrix, load_splits
    from src.studies.behaviour import group_mentions

    splits = load_splits("ghc", root=ghc_dir)
    texts = ["These Muslims are lovely neighbours."] * 3 + ["I fixed my bike."] * (len(splits.test) - 3)
    splits.test["text"] = texts  # 3 posts name a group, the rest do not
    gm = group_mentions(splits)
    y = label_matrix(splits.test, list(splits.spec.labels))
    assert (gm["n_test"], gm["n_naming_group"]) == (len(texts), 3)
    assert gm["positive_rate"]["hd"]["naming_group"] == pytest.approx(y[:3, 0].mean())
    assert gm["positive_rate"]["hd"]["other"] == pytest.approx(y[3:, 0].mean())
    assert list(gm["mention_auc"]) == list(splits.spec.labels)
    assert all(np.isnan(a) or 0 <= a <= 1 for a in gm["mention_auc"].values())


def test_group_train_rates_counts_posts_and_their_hate_share(ghc_dir: Path) -> None:
    from src.data.datasets import label_matrix, load_splits
    from src.studies.behaviour import group_train_rates

    splits = load_splits("ghc", root=ghc_dir)
    n = len(splits.train)
    splits.train["text"] = (
        ["Those Jews again."] * 4
        + ["A Muslim neighbour waved."] * 2
        + ["Jews and MUSLIMS met."]
        + ["I fixed it."] * (n - 7)
    )
    rates = group_train_rates(splits, "ghc")
    hate = label_matrix(splits.train, ["hd", "cv"]).max(axis=1)  # GHC's derived hate = max(hd, cv)
    assert set(rates) == set(SPLIT_GROUPS["train"]) | set(SPLIT_GROUPS["heldout"])
    assert (rates["Jews"]["part"], rates["Jews"]["n_posts"]) == (
        "heldout",
        5,
    )  # a post naming two groups counts for both
    assert rates["Jews"]["hate_rate"] == pytest.approx(hate[[0, 1, 2, 3, 6]].mean())
    assert (rates["Muslims"]["part"], rates["Muslims"]["n_posts"]) == ("train", 3)
    assert rates["Muslims"]["hate_rate"] == pytest.approx(hate[4:7].mean())
    assert rates["women"]["n_posts"] == 0 and np.isnan(rates["women"]["hate_rate"])


def test_hate_f1_reads_the_derived_hate_column(ghc_dir: Path) -> None:
    from sklearn.metrics import f1_score

    from src.data.datasets import label_matrix, load_splits
    from src.studies.behaviour import hate_f1

    splits = load_splits("ghc", root=ghc_dir)
    hate = label_matrix(splits.test, ["hd", "cv"]).max(axis=1)  # GHC's derived hate
    flags = np.roll(hate, 1)  # some right, some wrong

    def predict(texts: list[str]) -> pd.DataFrame:
        assert len(texts) == len(hate)
        return pd.DataFrame({"hate_flag": flags})

    assert hate_f1(predict, splits, "ghc") == pytest.approx(f1_score(hate, flags))


def _beh(auc: float, fpr: float) -> dict:
    return {"ghc_test_macro_auc": auc, "heldout": {"identity_fpr": {"overall": fpr}}}


def test_default_goal_takes_the_small_model_with_the_smallest_worst_gap() -> None:
    from src.studies.behaviour import default_goal

    scores = {"default": _beh(0.86, 0.17), "a": _beh(0.858, 0.172), "b": _beh(0.80, 0.10), "big": _beh(0.9, 0.0)}
    params = {"default": 2_000_000, "a": 172_000, "b": 45_000, "big": 300_000}
    f1 = {"default": 0.50, "a": 0.497, "b": 0.52, "big": 0.6}
    g = default_goal(scores, params, f1, "default", "heldout", "ghc")["small_model_within_0.005_of_default"]
    assert g["model"] == "a" and g["met"] and g["value"] == pytest.approx(0.003) and g["limit"] == 200_000
    assert g["gaps"] == pytest.approx({"test_auc": 0.002, "hate_f1": 0.003, "identity_fpr": 0.002})
    f1["a"] = 0.40  # now its hate F1 falls 0.1 short: b (worst gap 0.06) is the closest, and nothing is close enough
    g = default_goal(scores, params, f1, "default", "heldout", "ghc")["small_model_within_0.005_of_default"]
    assert g["model"] == "b" and not g["met"] and g["value"] == pytest.approx(0.06)
    assert default_goal(scores, {"default": 1, "big": 300_000}, f1, "default", "heldout", "ghc") == {}


def test_predictors_reuse_the_test_split_probabilities(ghc_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from src.data.datasets import load_splits
    from src.studies import behaviour as bh

    splits = load_splits("ghc", root=ghc_dir)
    calls: list[int] = []

    class Fake:  # TF-IDF + LR stand-in: probabilities from the text length, each call counted
        def predict_proba(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return np.array([[len(t) % 7 / 7, len(t) % 5 / 5, len(t) % 3 / 3] for t in texts])

    monkeypatch.setattr(bh.baseline_model, "fitted", lambda s, c: (Fake(), "fake"))
    predict, _, _ = bh.tfidf_predictor(splits, bh.TfidfConfig())
    test = list(splits.test["text"])
    assert calls == [len(splits.val), len(test)]
    flags = predict(test)  # hate_f1's pass over the test split: no second prediction, the same flags
    assert calls == [len(splits.val), len(test)] and len(flags) == len(test)
    assert flags.equals(predict(test[:-1] + test[-1:])) and calls == [len(splits.val), len(test)]
    assert predict(test[:3]).equals(flags.iloc[:3].reset_index(drop=True)) and calls[-1] == 3  # other texts: predicted
