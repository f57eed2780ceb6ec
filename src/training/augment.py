"""Training-data augmentation against unintended bias and misspellings.

- `suite_rows`: the functional suite's *training* part (training templates x training groups, never a held-out
  template or group) as labelled rows: hateful cases and their spelling variants, and non-hateful mentions of
  identity groups, counter-speech, negations and profanity (Dixon et al. 2018's balancing, with sentences of our own).
- `balance_rows`: the same without the hateful cases (non-hateful mentions of identity groups and the like only).
- `swap_rows`: counterfactual copies of real training posts (counterfactual data augmentation): each post that
  names a training group again with another training group (or once per other group), the labels kept.
- `char_noise`: random letter swaps, drops and additions inside words, for robustness to spelling variants.
"""

from __future__ import annotations

import random
import re
from functools import partial

import numpy as np
import pandas as pd

from src.data.groups import SPLIT_GROUPS, group_forms, group_pattern

# Suite functionality -> dataset labels set to 1 (the rest 0). GHC: hd = hate speech, cv = call for violence,
# vo = vulgar/offensive. Jigsaw: an insult aimed at a person is toxic and an insult without being hate.
POSITIVES: dict[str, dict[str, tuple[str, ...]]] = {
    "ghc": {
        "hate": ("hd",),
        "threat": ("hd", "cv"),
        "profanity_non_hateful": ("vo",),
    },
    "jigsaw": {
        "hate": ("toxic", "identity_hate"),
        "threat": ("toxic", "threat", "identity_hate"),
        "profanity_non_hateful": ("toxic", "obscene"),
        "abuse_at_individuals": ("toxic", "insult"),
    },
}


def _positives(row: pd.Series, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Labels a suite case turns on: its functionality's entry, else the hate entry for hateful cases."""
    func = row["functionality"] if not row["variant_of"] else row["original_functionality"]
    if func in table:
        return table[func]
    return table["hate"] if row["hate_target"] == 1 else ()


def suite_rows(train_part: pd.DataFrame, labels: list[str], dataset: str) -> tuple[list[str], np.ndarray]:
    """(texts, (N, L) float32 labels in `labels` order) of the suite's training part (`suite.training_sentences`)."""
    if (train_part["split"] != "train").any():
        raise ValueError("suite_rows takes the training part only (suite.training_sentences): held-out cases found")
    table = POSITIVES[dataset]
    func_of = dict(zip(train_part["case_id"], train_part["functionality"], strict=True))
    part = train_part.assign(original_functionality=[func_of.get(v, "") for v in train_part["variant_of"]])
    y = np.zeros((len(part), len(labels)), dtype=np.float32)
    for i, (_, row) in enumerate(part.iterrows()):
        for lab in _positives(row, table):
            y[i, labels.index(lab)] = 1.0
    return list(part["text"]), y


def balance_rows(train_part: pd.DataFrame, labels: list[str], dataset: str) -> tuple[list[str], np.ndarray]:
    """`suite_rows` of the training part's non-hateful cases only (harmless and positive mentions, negations,
    counter-speech, abuse at objects or individuals, profanity): Dixon et al.'s balancing without hateful sentences."""
    return suite_rows(train_part[train_part["hate_target"] == 0], labels, dataset)


def swap_rows(
    texts: list[str], y: np.ndarray, groups: list[str] | None = None, per_post: int | None = 1, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    """(texts, (N, L) labels) of counterfactual copies: every text that names one of `groups` (default: the suite's
    training groups, never a held-out one), `per_post` times (None: once per other group; else that many other
    groups drawn without replacement, seeded), each mention of the first group it names replaced by the same form
    (plural or singular) of the other, lower-cased; labels are the original's.

    The label-keeping assumption is the method's (Dixon et al. 2018; Garg et al. 2019): a post's hate does not
    depend on which group it targets.
    """
    groups = list(SPLIT_GROUPS["train"] if groups is None else groups)
    forms = {f: (g, k) for g in groups for k, f in enumerate(group_forms(g))}  # form -> (group, 0 plural / 1 singular)
    pattern = group_pattern(groups)
    out, rows, rng = [], [], random.Random(seed)
    for i, text in enumerate(texts):
        first = pattern.search(text)
        if first is None:
            continue
        source = forms[first.group(0).lower()][0]
        others = [g for g in groups if g != source]
        for target in others if per_post is None else rng.sample(others, min(per_post, len(others))):
            out.append(pattern.sub(partial(_swapped, forms=forms, source=source, target=target), text))
            rows.append(i)
    return out, np.asarray(y, dtype=np.float32)[rows].reshape(len(rows), np.shape(y)[1])


def _swapped(m: re.Match, forms: dict[str, tuple[str, int]], source: str, target: str) -> str:
    """One matched group form: `target`'s form of the same number if it names `source`, else unchanged."""
    group, k = forms[m.group(0).lower()]
    return group_forms(target)[k] if group == source else m.group(0)


def char_noise(texts: list[str], rate: float, seed: int = 0) -> list[str]:
    """Each word of 4+ letters is, with probability `rate`, misspelled once: two letters swapped, one dropped or
    one doubled (the suite's held-out spelling variants also use spaces and leet digits, which this never makes)."""
    rng = random.Random(seed)

    def word(w: str) -> str:
        if len(w) < 4 or not w.isalpha() or rng.random() >= rate:
            return w
        i, kind = rng.randrange(1, len(w) - 1), rng.randrange(3)
        if kind == 0:
            return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        return w[:i] + w[i + 1 :] if kind == 1 else w[:i] + w[i] + w[i:]

    return [" ".join(word(w) for w in t.split(" ")) for t in texts]
