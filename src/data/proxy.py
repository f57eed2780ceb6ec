"""A Jigsaw-shaped proxy dataset built from real GHC text, to measure time and memory at Jigsaw's scale.

    python -m src.data.proxy jigsaw OUT_DIR [--source DIR] [--seed 0] [--scale 1.0] [--variant implied] [--force]

writes OUT_DIR/train.csv, test.csv and test_labels.csv in Kaggle's exact layout and size (159,571 train rows;
153,164 test rows, 63,978 of them scored, the rest labelled -1). Its metrics are never Jigsaw results: the
text is GHC's, its vocabulary is far poorer than Jigsaw's, and its labels are derived, not annotated.

Lengths. Each comment gets a target of W = max(1, round(X)) words, X ~ LogNormal(mu = ln 36, sigma = 1.1):
median 36 words (Jigsaw's median comment), mean 36 * exp(1.1^2 / 2) ~ 66 words (published Jigsaw
descriptions: ~67), 90th percentile ~147 words, and 94% of comments within 200 words (the report fixed 200
tokens because they cover ~90% of Jigsaw comments). A comment is cut at the last word boundary before
5,000 characters, Kaggle's cap. GHC posts (median 15 words, ~4x shorter than Jigsaw comments) are drawn
with replacement and concatenated up to W words, the last one cut to fit; posts are joined by a space, a
newline or a blank line, and some are wrapped in double quotes, so multi-line and quoted fields occur.
Proxy train comments use GHC train posts only and proxy test comments GHC test posts only.

Labels. Each split gets exactly round(rate * rows) positives per label at Jigsaw's train rates (toxic 9.58%,
severe_toxic 1.00%, obscene 5.29%, threat 0.30%, insult 4.94%, identity_hate 0.88%; Kaggle's counts below).
Every other label implies toxic; within the toxic rows, each label goes to the rows with the highest
rho * severity + sqrt(1 - rho^2) * noise, one shared severity per row, so labels co-occur roughly as in
Jigsaw (~40% of its toxic rows are both obscene and insult; the proxy measures 43%). The label vector then decides which GHC evidence
(hd = dignity assault, cv = call for violence, vo = vulgarity) the comment contains: identity_hate -> an hd
post, obscene -> vo, threat -> cv, insult -> hd or vo, severe_toxic -> two kinds or cv, toxic -> any. Those
labelled posts are placed at a random position among unlabelled GHC filler; comments with no label contain
unlabelled posts only, so models have a signal to learn. Unscored test rows are built the same way.

Variants. `implied` (the default, above) makes every sub-label follow from the posts inserted, so each is easy to
separate. `conditional` keeps toxic and its evidence as above but draws each other label at Jigsaw's rates given
toxic, independently of the text and of each other: Kaggle's train file has severe_toxic, obscene, threat, insult
and identity_hate on 1,595 / 7,926 / 449 / 7,344 / 1,302 of its toxic rows and 0 / 523 / 29 / 533 / 103 of its
non-toxic ones (public crosstabs of train.csv), and the text only says "toxic" (a hateful or vulgar post), so the
sub-labels are hard, which is where liblinear spends its time. Exactly round(count * rows / 159,571) rows of each.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from src.data.datasets import GHC, JIGSAW, data_dir, load_files
from src.data.proxy_labels import VARIANTS, label_counts, sample_labels, text_labels
from src.data.proxy_text import TextConfig, comments, post_bank

Quoting = Literal[0, 1, 2, 3]  # csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE (what csv.writer takes)
__all__ = ["VARIANTS", "ProxyConfig", "build_proxy", "label_counts", "main", "sample_labels", "sizes", "write_proxy"]


@dataclass(frozen=True)
class ProxyConfig:
    """Sizes and label rates of the proxy (Kaggle's Jigsaw files) and how labels co-occur."""

    n_train: int = 159_571  # rows of Kaggle's train.csv
    n_test: int = 153_164  # rows of Kaggle's test.csv
    n_scored: int = 63_978  # test_labels.csv rows with 0/1 labels; the others are -1 (unscored)
    positives: tuple[int, ...] = (15294, 1595, 8449, 478, 7877, 1405)  # Kaggle train positives, JIGSAW.labels order
    rho: tuple[float, ...] = (1.0, 0.9, 0.9, 0.5, 0.9, 0.7)  # label-severity correlation; 0.9 ~ Jigsaw's overlaps
    min_rows: int = 20  # smallest split any --scale gives
    text: TextConfig = field(default_factory=TextConfig)  # comment lengths and layout
    variant: str = "implied"  # "implied": sub-labels follow the inserted posts; "conditional": drawn given toxic
    nontoxic: tuple[int, ...] = (0, 0, 523, 29, 533, 103)  # Kaggle train rows with the label and toxic = 0


@dataclass
class Proxy:
    """The three Kaggle tables of a proxy, rows sorted by id as in Kaggle's files."""

    train: pd.DataFrame  # id, comment_text, six labels
    test: pd.DataFrame  # id, comment_text
    test_labels: pd.DataFrame  # id, six labels (-1 = unscored)


def sizes(cfg: ProxyConfig, scale: float) -> tuple[int, int, int]:
    """(train rows, test rows, scored test rows) at `scale`; at least a few rows, scored and unscored."""
    if not scale > 0:
        raise ValueError(f"--scale must be > 0, got {scale}.")
    n_train = max(cfg.min_rows, round(cfg.n_train * scale))
    n_test = max(cfg.min_rows, round(cfg.n_test * scale))
    return n_train, n_test, min(n_test - 1, max(1, round(cfg.n_scored * scale)))


def make_ids(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct random ids of 16 hex digits, like Kaggle's."""
    while True:
        v = rng.integers(0, 2**64, size=n + 16, dtype=np.uint64)
        _, first = np.unique(v, return_index=True)
        if len(first) >= n:
            return [f"{x:016x}" for x in v[np.sort(first)[:n]].tolist()]


def _table(ids: list[str], texts: list[str] | None, y: np.ndarray | None) -> pd.DataFrame:
    df = pd.DataFrame({"id": ids})
    if texts is not None:
        df["comment_text"] = texts
    if y is not None:
        for j, name in enumerate(JIGSAW.labels):
            df[name] = y[:, j].astype(np.int64)
    return df


def build_proxy(source: Path, seed: int = 0, scale: float = 1.0, cfg: ProxyConfig | None = None) -> Proxy:
    """The proxy tables from the GHC files in `source` (validated by load_files)."""
    cfg = cfg or ProxyConfig()
    n_train, n_test, n_scored = sizes(cfg, scale)
    ghc_train, ghc_test, _ = load_files(GHC, Path(source))
    r_ids, r_train, r_test = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    ids = make_ids(r_ids, n_train + n_test)
    y = sample_labels(r_train, n_train, cfg)
    texts = comments(post_bank(ghc_train), text_labels(y, cfg), r_train, cfg.text, str(Path(source) / GHC.train_file))
    train = _table(ids[:n_train], texts, y)
    scored = np.zeros(n_test, dtype=bool)
    scored[r_test.choice(n_test, size=n_scored, replace=False)] = True
    yt = np.zeros((n_test, len(JIGSAW.labels)), dtype=np.int8)
    yt[scored] = sample_labels(r_test, n_scored, cfg)
    yt[~scored] = sample_labels(r_test, n_test - n_scored, cfg)  # hidden: unscored text looks like scored text
    texts = comments(post_bank(ghc_test), text_labels(yt, cfg), r_test, cfg.text, str(Path(source) / GHC.test_file))
    yt[~scored] = -1
    test_ids = ids[n_train:]
    test, labels = _table(test_ids, texts, None), _table(test_ids, None, yt)
    by_id = [df.sort_values("id", kind="stable").reset_index(drop=True) for df in (train, test, labels)]
    return Proxy(*by_id)


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty OUT_DIR (or a file in its place) unless force."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder; choose another OUT_DIR.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(
            f"{out} is not empty; pass --force to overwrite its {JIGSAW.train_file}, {JIGSAW.test_file} and "
            f"{JIGSAW.test_labels_file}, or choose an empty or new folder."
        )


def _write_csv(df: pd.DataFrame, path: Path, quoting: Quoting) -> None:
    """Write df as CSV through a temporary file in the same folder, renamed into place when complete."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, quoting=quoting, lineterminator="\n")
            w.writerow(df.columns)
            w.writerows(zip(*(df[c].tolist() for c in df.columns), strict=True))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would differ from a normally created file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_proxy(proxy: Proxy, out: Path, force: bool = False) -> list[Path]:
    """Write the three files into `out` (created if missing); returns their paths."""
    out = Path(out)
    check_out_dir(out, force)
    out.mkdir(parents=True, exist_ok=True)
    assert JIGSAW.test_labels_file is not None  # Jigsaw's test labels are a file of their own
    # Kaggle quotes every string field of train.csv / test.csv and leaves numbers bare; test_labels.csv is bare.
    files: list[tuple[pd.DataFrame, str, Quoting]] = [
        (proxy.train, JIGSAW.train_file, csv.QUOTE_NONNUMERIC),
        (proxy.test, JIGSAW.test_file, csv.QUOTE_NONNUMERIC),
        (proxy.test_labels, JIGSAW.test_labels_file, csv.QUOTE_MINIMAL),
    ]
    for df, name, quoting in files:
        _write_csv(df, out / name, quoting)
    return [out / name for _, name, _ in files]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 2 bad source or OUT_DIR)."""
    ap = argparse.ArgumentParser(
        prog="python -m src.data.proxy",
        description="Write a Jigsaw-shaped proxy dataset from real GHC text (for time and memory only).",
    )
    ap.add_argument("dataset", choices=[JIGSAW.name], help="the dataset whose files are imitated")
    ap.add_argument("out_dir", type=Path, help="folder for train.csv, test.csv, test_labels.csv")
    ap.add_argument("--source", type=Path, default=None, help="GHC folder (default: $TOXIC_DATA_DIR/ghc)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every row count (tests: 0.01)")
    ap.add_argument("--variant", choices=VARIANTS, default="implied", help="how sub-labels relate to the text")
    ap.add_argument("--force", action="store_true", help="overwrite the files in a non-empty OUT_DIR")
    args = ap.parse_args(argv)
    source = args.source if args.source is not None else data_dir(GHC.name)
    start = time.perf_counter()
    try:
        check_out_dir(args.out_dir, args.force)
        proxy = build_proxy(source, args.seed, args.scale, ProxyConfig(variant=args.variant))
        paths = write_proxy(proxy, args.out_dir, args.force)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    n_scored = int((proxy.test_labels["toxic"] >= 0).sum())
    rates = ", ".join(f"{c} {proxy.train[c].mean():.2%}" for c in JIGSAW.labels)
    print(
        f"proxy ({args.variant}) train {len(proxy.train):,} rows; test {len(proxy.test):,} rows ({n_scored:,} scored)"
    )
    print(f"train label rates: {rates}")
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size / 1e6:.1f} MB)")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
