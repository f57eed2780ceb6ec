"""Small synthetic corpora in the exact formats of the real stormfront.tsv and implicit_hate_v1_stg1_posts.tsv."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from src.data.corpora import IMPLICIT_HATE, STORMFRONT
from tests.fixtures import NEUTRAL, SIGNAL

# Hate of each kind draws from the GHC fixture's label vocabularies, so models trained on that fixture find some of it:
# explicit hate the hd + cv words (found), implicit hate the last list's words (unknown to GHC's labels: harder).
KIND_WORDS = {"hate": SIGNAL[0] + SIGNAL[1], "explicit_hate": SIGNAL[0] + SIGNAL[1], "implicit_hate": SIGNAL[5]}
# Both real files hold quote characters and repeated texts; these exercise default quoting and the group-aware split.
QUOTED = ['He said "hello there" twice', '"quoted start" and end', "it's a 'single' quote"]


def _texts(rng: np.random.Generator, classes: list[str]) -> list[str]:
    out = []
    for i, c in enumerate(classes):
        words = list(rng.choice(NEUTRAL, size=int(rng.integers(4, 20))))
        if c in KIND_WORDS and rng.random() < 0.85:  # 15% of hateful rows without a signal word: AUC not trivially 1
            words += list(rng.choice(KIND_WORDS[c], size=2))
        rng.shuffle(words)
        text = " ".join(words)
        out.append(f"{QUOTED[(i // 4) % len(QUOTED)]}, {text}" if i % 4 == 0 else text)
    return out


def _with_duplicates(rng: np.random.Generator, texts: list[str], classes: list[str], n_dup: int) -> None:
    """Make `n_dup` rows copies of earlier rows of the same class, some differing only in case and spaces."""
    for k, i in enumerate(rng.choice(np.arange(n_dup, len(texts)), n_dup, replace=False)):
        same = [j for j in range(int(i)) if classes[j] == classes[i]]
        if same:
            src = texts[int(rng.choice(same))]
            texts[i] = src.upper() if k % 2 else "  " + src.replace(" ", "  ")


def _classes(rng: np.random.Generator, n: int, shares: dict[str, float]) -> list[str]:
    names, p = list(shares), np.array(list(shares.values()))
    out = list(rng.choice(names, size=n, p=p / p.sum()))
    for j, name in enumerate(names):  # at least a few of each class, so each half has both sides of every contrast
        out[j * 6 : j * 6 + 6] = [name] * 6
    return out


def write_stormfront(root: Path, n: int = 240, seed: int = 0) -> Path:
    """Write root/stormfront/stormfront.tsv (text, label 0/1; ~11% hate, some repeated texts); returns root."""
    rng = np.random.default_rng(seed)
    classes = _classes(rng, n, {"not_hate": 0.89, "hate": 0.11})
    texts = _texts(rng, classes)
    _with_duplicates(rng, texts, classes, n // 20)
    folder = Path(root) / STORMFRONT.name
    folder.mkdir(parents=True, exist_ok=True)
    labels = [1 if c == "hate" else 0 for c in classes]
    pd.DataFrame({"text": texts, "label": labels}).to_csv(
        folder / STORMFRONT.file, sep="\t", index=False, quoting=csv.QUOTE_MINIMAL
    )
    return Path(root)


def write_implicit_hate(root: Path, n: int = 300, seed: int = 1) -> Path:
    """Write root/implicit_hate/implicit_hate_v1_stg1_posts.tsv (post, class); returns root."""
    rng = np.random.default_rng(seed)
    classes = _classes(rng, n, {"not_hate": 0.62, "implicit_hate": 0.33, "explicit_hate": 0.05})
    texts = _texts(rng, classes)
    _with_duplicates(rng, texts, classes, n // 50)
    folder = Path(root) / IMPLICIT_HATE.name
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"post": texts, "class": classes}).to_csv(
        folder / IMPLICIT_HATE.file, sep="\t", index=False, quoting=csv.QUOTE_MINIMAL
    )
    return Path(root)


def write_corpora(root: Path) -> Path:
    """Both corpora under `root` (use as TOXIC_DATA_DIR, next to ghc/ or jigsaw/); returns root."""
    write_stormfront(root)
    return write_implicit_hate(root)
