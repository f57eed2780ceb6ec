"""Small synthetic datasets written in the exact formats of the real GHC and Kaggle Jigsaw files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from src.data.datasets import GHC, JIGSAW

NEUTRAL = (
    "the a weather today people think about city music game food news story week friend work read "
    "post video photo school team market coffee train river garden movie book song phone night"
).split()
# One small vocabulary per label slot: a positive row draws from its labels' lists, so every
# label is learnable on its own, and co-occurring labels mix their words.
SIGNAL = [
    "vermin scum subhuman filth parasite".split(),
    "shoot hang burn stab destroy".split(),
    "damn crap bloody hell bollocks".split(),
    "threaten kill hurt attack punch".split(),
    "idiot moron loser stupid clown".split(),
    "invaders savages mongrels heathens outsiders".split(),
]
# Exercise the CSV writer/reader: quotes, commas, multi-line text and non-ASCII characters.
DECOR = [
    'He said "hello, there" twice',
    "line one\nline two, with comma",
    "café naïve Zürich – 東京 ✓",
    '"quoted start" and end',
    "tab-free, comma, separated, words",
]
TOXIC_RATE = 0.25  # share of rows with any label: the all-zero rows stay the majority, as in the real data
MEMBER_RATE = 0.45  # chance of each label inside a toxic row: ~10-15% positives per label, with co-occurrence


def _labels(rng: np.random.Generator, n: int, n_labels: int) -> np.ndarray:
    toxic = rng.random(n) < TOXIC_RATE
    y = ((rng.random((n, n_labels)) < MEMBER_RATE) & toxic[:, None]).astype(np.int64)
    first = rng.integers(0, n_labels, size=n)
    y[toxic, first[toxic]] = 1  # a toxic row has at least one label
    # Guarantee enough positives per label that the 20% validation split still holds several.
    for j in range(n_labels):
        need = max(0, min(10, n // 10) - int(y[:, j].sum()))
        y[rng.choice(np.flatnonzero(y[:, j] == 0), need, replace=False), j] = 1
    return y


def _texts(rng: np.random.Generator, y: np.ndarray, decorate: bool) -> list[str]:
    out = []
    for i, row in enumerate(y):
        words = list(rng.choice(NEUTRAL, size=int(rng.integers(5, 30))))
        for j in np.flatnonzero(row):
            # 10% of positives carry no signal word, so thresholds and AUCs are not trivially perfect.
            if rng.random() < 0.9:
                words += list(rng.choice(SIGNAL[j], size=2))
        rng.shuffle(words)
        text = " ".join(words)
        if decorate and i % 3 == 0:
            text = f"{DECOR[(i // 3) % len(DECOR)]}. {text}"
        out.append(text)
    return out


def write_ghc(root: Path, n_train: int = 400, n_test: int = 120, seed: int = 0) -> Path:
    """Write root/ghc/ghc_train.tsv and ghc_test.tsv (text, hd, cv, vo); returns root."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / GHC.name
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in ((GHC.train_file, n_train), (GHC.test_file, n_test)):
        y = _labels(rng, n, len(GHC.labels))
        # GHC posts are one line each; quotes and commas do occur.
        texts = [t.replace("\n", " ") for t in _texts(rng, y, decorate=True)]
        df = pd.DataFrame({"text": texts, **{lab: y[:, j] for j, lab in enumerate(GHC.labels)}})
        df.to_csv(folder / name, sep="\t", index=False, quoting=csv.QUOTE_MINIMAL)
    return Path(root)


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        s = "".join(rng.choice(list("0123456789abcdef"), size=16))
        if s not in seen:
            seen.add(s)
            ids.append(s)
    return ids


def write_jigsaw(root: Path, n_train: int = 400, n_test: int = 120, seed: int = 0) -> Path:
    """Write root/jigsaw/train.csv, test.csv, test_labels.csv (Kaggle layout, -1 = unscored); returns root."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / JIGSAW.name
    folder.mkdir(parents=True, exist_ok=True)
    labels = list(JIGSAW.labels)
    n_unscored = max(1, n_test // 5)  # ~20% unscored rows (all -1), as in Kaggle's test_labels.csv
    ids = _ids(rng, n_train + n_test + n_unscored)
    y = _labels(rng, n_train, len(labels))
    train = pd.DataFrame({"id": ids[:n_train], "comment_text": _texts(rng, y, decorate=True)})
    for j, lab in enumerate(labels):
        train[lab] = y[:, j]
    # Kaggle quotes every string field, numbers bare.
    train.to_csv(folder / JIGSAW.train_file, index=False, quoting=csv.QUOTE_NONNUMERIC)
    yt = _labels(rng, n_test, len(labels))
    yt = np.vstack([yt, np.full((n_unscored, len(labels)), -1)])
    order = rng.permutation(len(yt))
    yt = yt[order]
    test_ids = [ids[n_train + i] for i in order]
    texts = _texts(rng, np.clip(yt, 0, 1), decorate=True)
    pd.DataFrame({"id": test_ids, "comment_text": texts}).to_csv(
        folder / JIGSAW.test_file, index=False, quoting=csv.QUOTE_NONNUMERIC
    )
    tl = pd.DataFrame({"id": test_ids, **{lab: yt[:, j] for j, lab in enumerate(labels)}})
    tl.to_csv(folder / JIGSAW.test_labels_file, index=False)
    return Path(root)


def write_teacher_oof_cache(models: Path, dataset: str) -> Path:
    """A stand-in out-of-fold teacher cache for the fixture splits ($TOXIC_DATA_DIR): noisy, blurred labels."""
    from src.data.datasets import label_matrix, load_splits
    from src.studies.teacher_oof import cache_name
    from src.training.teacher_cache import save_cache, splits_fingerprint

    s = load_splits(dataset, seed=0)
    labels = list(s.spec.labels)
    rng = np.random.default_rng(0)
    probs = {
        name: np.clip(0.7 * label_matrix(f, labels) + 0.15 + rng.normal(0, 0.1, (len(f), len(labels))), 0.01, 0.99)
        for name, f in (("train", s.train), ("val", s.val), ("test", s.test))
    }
    meta = {"kind": "synthetic stand-in for tests", "folds": 0, "per_fold": []}
    return save_cache(models / cache_name(dataset), probs, labels, splits_fingerprint(s, labels), meta)


def loop_and_pool(many, jobs: list) -> tuple[list, list]:
    """(runs of `many(jobs, workers=1)` at one torch thread, runs of `many(jobs, workers=2)`): one thread is the
    workers' count, so float reductions then match bit for bit."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        loop = many(jobs, workers=1)
    finally:
        torch.set_num_threads(before)
    return loop, many(jobs, workers=2)
