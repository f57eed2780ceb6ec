"""Functional test suite written for this project: behaviour beyond the GHC test split.

Cases are generated from templates x slots (src/evaluation/suite_templates.py), never stored as a dump. Hateful
cases also get spelling variants of their hateful keyword(s) (swap, drop, add, space, leet), seeded by `seed`.

Held-out split (fixed, independent of `seed`): the identity groups (half of each kind) and, per functionality, the
templates are cut into halves with SPLIT_SEED. A case is "heldout" iff its template AND its group are held-out ones,
"train" iff both are training ones (cases without a group: by template alone). Mixed cases (a training template with
a held-out group or the reverse) are dropped from the suite, so augmenting on `training_sentences` can leak neither
a held-out template nor a held-out group. Spelling variants inherit the split of their original.
Scoring lives in src/evaluation/suite_score.py.
"""

from __future__ import annotations

import itertools
import random
import re
import string
from collections.abc import Callable, Iterator
from typing import cast

import numpy as np
import pandas as pd

from src.data.groups import GROUPS, HELDOUT_GROUPS, groups_named, heldout_half
from src.evaluation.suite_templates import PREFIX, SLOTS, TEMPLATES

SPELLING = ["spelling_swap", "spelling_drop", "spelling_add", "spelling_space", "spelling_leet"]
FUNCTIONALITIES: list[str] = [*TEMPLATES, *SPELLING]
# functionality -> (label the case tests, expected value of that label, expected derived `hate`)
EXPECTED: dict[str, tuple[str, int, int]] = {
    "explicit_derogation": ("hate", 1, 1),
    "dehumanising_comparison": ("hate", 1, 1),
    "threat": ("cv", 1, 1),
    "implicit_derogation": ("hate", 1, 1),
    "hate_as_question_or_opinion": ("hate", 1, 1),
    "negated_hate": ("hate", 0, 0),
    "identity_neutral": ("hate", 0, 0),
    "identity_positive": ("hate", 0, 0),
    "counter_speech": ("hate", 0, 0),
    "abuse_at_objects": ("hate", 0, 0),
    "abuse_at_individuals": ("hate", 0, 0),
    "profanity_non_hateful": ("vo", 1, 0),
}
COLUMNS = ["case_id", "text", "functionality", "label", "target", "hate_target", "group", "template_id", "split"]
COLUMNS += ["variant_of"]
VARIANTS_PER_CASE = 2  # spelling kinds per hateful original, rotated so every kind gets the same share
KEYWORD = re.compile(r"\[([^\]]+)\]")
LEET = str.maketrans("aeiosAEIOS", "4310543105")


HELDOUT_TEMPLATES: frozenset[str] = frozenset(
    tid
    for func, templates in TEMPLATES.items()
    for tid in heldout_half([f"{PREFIX[func]}{i + 1:02d}" for i in range(len(templates))], func)
)


def _split(template_id: str, group: str) -> str | None:
    """'heldout', 'train', or None for a mixed case (dropped)."""
    held = template_id in HELDOUT_TEMPLATES
    if group and held != (group in HELDOUT_GROUPS):
        return None
    return "heldout" if held else "train"


def _slug(word: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", word.lower()).strip("_")


def _fillings(template: str, index: int) -> Iterator[tuple[str, dict[str, str]]]:
    """(group, slot values) for one template: every group with rotated extra slots, or every word of its slot."""
    slots = [s for s in SLOTS if "{" + s + "}" in template]
    if "{group}" in template:
        for gi, group in enumerate(GROUPS):
            # Rotation instead of a full cross product: every insult shows up, counts stay per template x group.
            yield group, {"group": group, **{s: SLOTS[s][(index + gi) % len(SLOTS[s])] for s in slots}}
        return
    if len(slots) != 1:
        raise ValueError(f"template without a group needs exactly one slot: {template!r}")
    for word in SLOTS[slots[0]]:
        yield "", {slots[0]: word}


def _finish(marked: str) -> str:
    """Final text: keyword brackets removed, first letter capitalised (a group may open the sentence)."""
    text = marked.replace("[", "").replace("]", "")
    first = next((i for i, ch in enumerate(text) if ch.isalpha()), 0)
    return text[:first] + text[first : first + 1].upper() + text[first + 1 :]


def _originals() -> list[dict]:
    """Every non-mixed template x filling, with its marked text kept for the spelling variants."""
    rows = []
    for func, templates in TEMPLATES.items():
        label, target, hate = EXPECTED[func]
        for i, template in enumerate(templates):
            tid = f"{PREFIX[func]}{i + 1:02d}"
            for group, fill in _fillings(template, i):
                split = _split(tid, group)
                if split is None:
                    continue
                marked = template.format(**fill)
                rows.append(
                    {
                        "case_id": f"{tid}.{_slug(group or next(iter(fill.values())))}",
                        "text": _finish(marked),
                        "functionality": func,
                        "label": label,
                        "target": target,
                        "hate_target": hate,
                        "group": group,
                        "template_id": tid,
                        "split": split,
                        "variant_of": "",
                        "_marked": marked,
                    }
                )
    return rows


def _swap(word: str, rng: random.Random) -> str:
    spots = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]  # keep the first letter: still readable
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _drop(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def _add(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i:]


def _space(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + " " + word[i:]


PERTURB: dict[str, Callable[[str, random.Random], str]] = {
    "spelling_swap": _swap,
    "spelling_drop": _drop,
    "spelling_add": _add,
    "spelling_space": _space,
    "spelling_leet": lambda word, rng: word.translate(LEET),
}


def _variant(marked: str, kind: str, rng: random.Random) -> str:
    """Text with the keyword(s) perturbed: leet rewrites every keyword, the other kinds one chosen keyword."""
    n = len(KEYWORD.findall(marked))
    if n == 0:
        raise ValueError(f"hateful case without a [keyword]: {marked!r}")
    pick = set(range(n)) if kind == "spelling_leet" else {rng.randrange(n)}
    count = itertools.count()
    out = KEYWORD.sub(lambda m: PERTURB[kind](m[1], rng) if next(count) in pick else m[1], marked)
    return _finish(out)


def build_suite(seed: int = 0) -> pd.DataFrame:
    """All cases, one row each (see COLUMNS); `seed` only moves the spelling noise, never the split."""
    rng = random.Random(seed)
    rows = _originals()
    hateful = [r for r in rows if r["hate_target"] == 1]
    for k, orig in enumerate(hateful):
        for j in range(VARIANTS_PER_CASE):
            kind = SPELLING[(k + j) % len(SPELLING)]
            text = _variant(orig["_marked"], kind, rng)
            if text == orig["text"]:
                raise ValueError(f"{kind} left {orig['case_id']} unchanged")
            rows.append(
                {**orig, "case_id": f"{orig['case_id']}~{kind.removeprefix('spelling_')}", "text": text}
                | {"functionality": kind, "variant_of": orig["case_id"]}
            )
    suite = pd.DataFrame(rows, columns=COLUMNS)
    dup = suite[suite.duplicated(["split", "text"])]
    if len(dup):
        raise ValueError(f"duplicate texts within a split: {dup['case_id'].tolist()[:5]}")
    return suite


def training_sentences(suite: pd.DataFrame) -> pd.DataFrame:
    """Only the training part (for augmentation); raises if it shares a template or group with the held-out part."""
    train, held = suite[suite["split"] == "train"], suite[suite["split"] == "heldout"]
    shared = (set(train["template_id"]) & set(held["template_id"])) | (
        (set(train["group"]) & set(held["group"])) - {""}
    )
    if shared:
        raise ValueError(f"training part shares templates/groups with the held-out part: {sorted(shared)[:5]}")
    return train.reset_index(drop=True)


def names_group(texts: list[str]) -> np.ndarray:
    """(N,) bool: which texts name one of the suite's identity groups (both parts, plural or singular, any case).

    For evaluation only: it splits real posts (e.g. the test split) to show how much of a score rests on posts that
    name a group; no training step uses it.
    """
    return cast(np.ndarray, groups_named(texts, GROUPS).any(axis=1))  # numpy's stub: bool | array for any axis
