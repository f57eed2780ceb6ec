"""Score any backend on the functional test suite (src/evaluation/suite.py); pure numpy/pandas, no torch.

`predict(texts)` must return one row per text with `<name>_flag` 0/1 columns (at least hate_flag, cv_flag and
vo_flag), like `src.serving.predict.Predictor.predict`. Backends that give probabilities only (e.g. TF-IDF + LR)
turn them into that frame with `flags_from_probs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from src.evaluation.suite import FUNCTIONALITIES

# Non-hateful cases that name a group: a hate flag on them is an identity false positive.
IDENTITY_FUNCTIONALITIES = ("identity_neutral", "identity_positive", "negated_hate", "counter_speech")


def flags_from_probs(
    probs: np.ndarray,
    labels: Sequence[str],
    thresholds: Mapping[str, float],
    derived: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Predictor-style frame: label probs, derived probs (max of members), then `<name>_flag` = prob >= threshold.

    Every label needs a threshold; a derived label without one uses 0.5, as the Predictor does.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(labels):
        raise ValueError(f"probs of shape {probs.shape} do not fit {len(labels)} labels")
    derived = dict(derived or {})
    cols = {lab: probs[:, j] for j, lab in enumerate(labels)}
    for name, members in derived.items():
        cols[name] = probs[:, [list(labels).index(m) for m in members]].max(axis=1)
    names = [*labels, *derived]
    for name in names:
        thr = thresholds[name] if name in labels else thresholds.get(name, 0.5)
        cols[f"{name}_flag"] = (cols[name] >= thr).astype(np.int8)
    return pd.DataFrame(cols, columns=[*names, *(f"{n}_flag" for n in names)])


def _flags(predict: Callable[[list[str]], pd.DataFrame], cases: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(flag of each case's own label, hate flag), both indexed by case_id."""
    out = predict(cases["text"].tolist())
    if len(out) != len(cases):
        raise ValueError(f"predict returned {len(out)} rows for {len(cases)} texts")
    needed = {f"{lab}_flag" for lab in cases["label"]} | {"hate_flag"}
    if missing := needed - set(out.columns):
        raise ValueError(f"predict output lacks columns {sorted(missing)}")
    out = out.reset_index(drop=True)
    cols = [out.columns.get_loc(f"{lab}_flag") for lab in cases["label"]]
    own = out.to_numpy()[np.arange(len(cases)), cols]
    index = pd.Index(cases["case_id"], name="case_id")
    return pd.Series(own.astype(int), index=index), pd.Series(out["hate_flag"].to_numpy().astype(int), index=index)


def _identity_fpr(part: pd.DataFrame, hate_flag: pd.Series) -> dict:
    """Hate-flag rate on non-hateful cases naming a group: overall and per group."""
    mask = part["functionality"].isin(IDENTITY_FUNCTIONALITIES) & (part["group"] != "") & (part["hate_target"] == 0)
    cases = part[mask]
    flags = hate_flag.loc[cases["case_id"]].to_numpy()
    by_group = pd.Series(flags, index=cases["group"].to_numpy()).groupby(level=0, sort=True).mean()
    overall = float(flags.mean()) if len(flags) else float("nan")
    return {"overall": overall, "by_group": {str(g): float(v) for g, v in by_group.items()}}


def score_suite(
    predict: Callable[[list[str]], pd.DataFrame], suite: pd.DataFrame, split: str = "heldout"
) -> dict[str, object]:
    """Accuracy (each case's label flag vs target), per functionality, identity FPR and spelling gap on one split.

    split: "heldout", "train" or "all". spelling_gap = accuracy on the originals minus accuracy on their variants,
    over (original, variant) pairs whose variant is in the split (an original with two variants counts twice).
    Also returns hate_accuracy: the derived hate flag against hate_target on every case.
    """
    part = suite if split == "all" else suite[suite["split"] == split]
    if part.empty:
        raise ValueError(f"no cases in split {split!r}")
    pairs = part[part["variant_of"] != ""]
    # Originals of in-split variants are scored too, even if they sit outside the split.
    extra = suite[suite["case_id"].isin(set(pairs["variant_of"]) - set(part["case_id"]))]
    own, hate = _flags(predict, pd.concat([part, extra], ignore_index=True))
    correct = (own == pd.concat([part, extra]).set_index("case_id")["target"]).astype(float)
    ids = part["case_id"]
    acc = correct.loc[ids]
    by_func = acc.groupby(part["functionality"].to_numpy()).mean()
    if len(pairs):
        gap = float(correct.loc[pairs["variant_of"]].mean() - correct.loc[pairs["case_id"]].mean())
    else:
        gap = float("nan")
    return {
        "n": int(len(part)),
        "accuracy": float(acc.mean()),
        "hate_accuracy": float((hate.loc[ids].to_numpy() == part["hate_target"].to_numpy()).mean()),
        "by_functionality": {f: float(by_func[f]) for f in FUNCTIONALITIES if f in by_func.index},
        "identity_fpr": _identity_fpr(part, hate),
        "spelling_gap": gap,
        "n_spelling_pairs": int(len(pairs)),
    }
