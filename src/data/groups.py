"""The identity-group lexicon: group nouns by kind, their fixed held-out half, and matching them in text.

Written for this project (plain, neutral plural nouns, no slurs). The functional suite (src/evaluation/suite.py)
fills its {group} slot from it; training's counterfactual augmentation (src/training/augment.py) swaps only the
training half; evaluation splits real posts by the groups they name.
"""

from __future__ import annotations

import random
import re

import numpy as np

SPLIT_SEED = 11  # fixed: the held-out halves must not move when the suite is rebuilt with another seed

# Plain, neutral plural group nouns (no slurs): every template reads "<group> are ...". Grouped by kind so the
# held-out half can take half of each kind (an even count per kind keeps that exact).
GROUP_KINDS: dict[str, list[str]] = {
    "religion": ["Muslims", "Jews", "Christians", "Hindus", "Sikhs", "Buddhists"],
    "gender_sexuality": ["women", "gay people", "lesbians", "trans people"],
    "race_ethnicity": ["Black people", "Asians", "Mexicans", "Arabs", "Latinos", "Native Americans"],
    "migration": ["immigrants", "refugees"],
    "disability": ["disabled people", "blind people"],
}
GROUPS: list[str] = [g for kind in GROUP_KINDS.values() for g in kind]


def heldout_half(items: list[str], key: str) -> set[str]:
    """A fixed, seeded half of `items` (string seeds hash the same in every Python process)."""
    return set(random.Random(f"{SPLIT_SEED}/{key}").sample(sorted(items), len(items) // 2))


# Half of each kind of group, so neither part is all religions or all ethnicities.
HELDOUT_GROUPS = set().union(*(heldout_half(groups, kind) for kind, groups in GROUP_KINDS.items()))
SPLIT_GROUPS: dict[str, list[str]] = {
    "train": [g for g in GROUPS if g not in HELDOUT_GROUPS],
    "heldout": [g for g in GROUPS if g in HELDOUT_GROUPS],
}


def group_forms(group: str) -> list[str]:
    """A group's plural as the suite writes it and its singular ("Muslims" -> muslim, "gay people" -> gay person)."""
    g = group.lower()
    if g.endswith(" people"):
        return [g, g.removesuffix("people") + "person"]
    return [g, "woman"] if g == "women" else [g, g.removesuffix("s")]


def group_pattern(groups: list[str]) -> re.Pattern:
    """One regex for every form of `groups` (`group_forms`), whole words, any case, longest form first."""
    forms = sorted({f for g in groups for f in group_forms(g)}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, forms)) + r")\b", re.IGNORECASE)


def groups_named(texts: list[str], groups: list[str]) -> np.ndarray:
    """(N, G) bool: which of `groups` each text names (any form of `group_forms`, any case), in one regex pass."""
    column = {f: j for j, g in enumerate(groups) for f in group_forms(g)}
    pattern, out = group_pattern(groups), np.zeros((len(texts), len(groups)), dtype=bool)
    for i, text in enumerate(texts):
        for m in pattern.finditer(text):
            out[i, column[m.group(0).lower()]] = True
    return out
