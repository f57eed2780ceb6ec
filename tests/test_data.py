"""Loaders on both real formats, every rejected input, the stratified split and clean_text."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from src.data.datasets import (
    GHC,
    JIGSAW,
    clean_text,
    data_dir,
    get_spec,
    label_matrix,
    load_files,
    load_splits,
    stratified_split,
)

TRICKY = [
    'first line\nsecond line, with "quotes", commas',
    "ünïcödé – 東京 ✓ emoji 🙂",
    '"starts and ends with quotes"',
    "  leading and trailing spaces  ",
]


def _rewrite(path: Path, edit, **to_csv) -> None:
    """Read a fixture file as strings, apply `edit(df)`, write it back in the same format."""
    sep = "\t" if path.suffix == ".tsv" else ","
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    df = edit(df)
    df.to_csv(path, sep=sep, index=False, **to_csv)


def _set(df: pd.DataFrame, row: int, col: str, value: str) -> pd.DataFrame:
    df.loc[row, col] = value
    return df


# --- loading ---------------------------------------------------------------------------------


def test_ghc_loads_with_splits(ghc_dir: Path) -> None:
    s = load_splits("ghc", ghc_dir)
    assert list(s.spec.labels) == ["hd", "cv", "vo"]
    assert len(s.train) + len(s.val) == 400 and len(s.test) == 120
    assert list(s.train.columns) == ["text", "hd", "cv", "vo"]
    assert s.notes == {"train_empty_text": 0, "test_empty_text": 0}
    assert label_matrix(s.test, s.spec.labels).dtype == np.float32


def test_jigsaw_excludes_unscored_test_rows(jigsaw_dir: Path) -> None:
    s = load_splits("jigsaw", jigsaw_dir)
    raw = pd.read_csv(jigsaw_dir / "jigsaw" / "test_labels.csv")
    n_unscored = int((raw[list(JIGSAW.labels)] == -1).all(axis=1).sum())
    assert n_unscored > 0
    assert s.notes["test_unscored_excluded"] == n_unscored
    assert len(s.test) == len(raw) - n_unscored
    assert set(np.unique(label_matrix(s.test, JIGSAW.labels))) <= {0.0, 1.0}


def test_jigsaw_text_preserved_exactly(jigsaw_dir: Path) -> None:
    path = jigsaw_dir / "jigsaw" / "train.csv"

    def edit(df):
        for i, t in enumerate(TRICKY):
            df.loc[i, "comment_text"] = t
        return df

    _rewrite(path, edit, quoting=csv.QUOTE_NONNUMERIC)
    train, _, _ = load_files(JIGSAW, jigsaw_dir / "jigsaw")
    assert list(train["text"][: len(TRICKY)]) == TRICKY
    assert len(train) == 400


def test_ghc_text_preserved_exactly(ghc_dir: Path) -> None:
    one_line = [t for t in TRICKY if "\n" not in t]

    def edit(df):
        for i, t in enumerate(one_line):
            df.loc[i, "text"] = t
        return df

    _rewrite(ghc_dir / "ghc" / "ghc_train.tsv", edit)
    train, _, _ = load_files(GHC, ghc_dir / "ghc")
    assert list(train["text"][: len(one_line)]) == one_line


def test_data_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOXIC_DATA_DIR", str(tmp_path))
    assert data_dir("ghc") == tmp_path / "ghc"
    assert data_dir("ghc", "/x") == Path("/x/ghc")


# --- bad inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "victim", "hint"),
    [
        ("ghc", "ghc_train.tsv", "osf.io/edua3"),
        ("ghc", "ghc_test.tsv", "osf.io/edua3"),
        ("jigsaw", "train.csv", "kaggle competitions download -c jigsaw-toxic-comment-classification-challenge"),
        ("jigsaw", "test_labels.csv", "kaggle competitions download"),
    ],
)
def test_missing_file_names_path_and_source(tmp_path: Path, dataset: str, victim: str, hint: str) -> None:
    from tests.fixtures import write_ghc, write_jigsaw

    root = (write_ghc if dataset == "ghc" else write_jigsaw)(tmp_path)
    (root / dataset / victim).unlink()
    with pytest.raises(FileNotFoundError) as e:
        load_splits(dataset, root)
    assert str(root / dataset / victim) in str(e.value)
    assert hint in str(e.value) and "TOXIC_DATA_DIR" in str(e.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="osf.io/edua3"):
        load_splits("ghc", tmp_path)


def test_unknown_dataset(ghc_dir: Path) -> None:
    with pytest.raises(ValueError, match="Unknown dataset 'kaggle'.*ghc"):
        load_splits("kaggle", ghc_dir)
    with pytest.raises(ValueError, match="jigsaw"):
        get_spec("nope")


def test_wrong_columns(ghc_dir: Path) -> None:
    _rewrite(ghc_dir / "ghc" / "ghc_train.tsv", lambda df: df.rename(columns={"cv": "CV"}))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['cv'\]"):
        load_splits("ghc", ghc_dir)


def test_wrong_columns_jigsaw_test(jigsaw_dir: Path) -> None:
    _rewrite(jigsaw_dir / "jigsaw" / "test.csv", lambda df: df.rename(columns={"comment_text": "text"}))
    with pytest.raises(ValueError, match="comment_text"):
        load_splits("jigsaw", jigsaw_dir)


@pytest.mark.parametrize("value", ["2", "yes", "-1", "0.5", ""])
def test_train_labels_must_be_0_or_1(ghc_dir: Path, value: str) -> None:
    _rewrite(ghc_dir / "ghc" / "ghc_train.tsv", lambda df: _set(df, 7, "vo", value))
    with pytest.raises(ValueError, match=r"label 'vo' at data row 7"):
        load_splits("ghc", ghc_dir)


def test_minus_one_not_allowed_in_jigsaw_train(jigsaw_dir: Path) -> None:
    _rewrite(jigsaw_dir / "jigsaw" / "train.csv", lambda df: _set(df, 3, "threat", "-1"), quoting=csv.QUOTE_NONNUMERIC)
    with pytest.raises(ValueError, match="'threat' at data row 3"):
        load_splits("jigsaw", jigsaw_dir)


def test_minus_one_mixed_with_labels_in_test_row(jigsaw_dir: Path) -> None:
    path = jigsaw_dir / "jigsaw" / "test_labels.csv"
    raw = pd.read_csv(path, dtype=str)
    row = int(np.flatnonzero((raw["toxic"] == "-1").to_numpy())[0])
    _rewrite(path, lambda df: _set(df, row, "insult", "0"))
    with pytest.raises(ValueError, match="mixes -1 with 0/1"):
        load_splits("jigsaw", jigsaw_dir)


@pytest.mark.parametrize("blank", ["", "   ", "\t \t"])
def test_empty_text_replaced_and_counted(jigsaw_dir: Path, blank: str) -> None:
    def edit(df):
        df.loc[[1, 5], "comment_text"] = blank
        return df

    _rewrite(jigsaw_dir / "jigsaw" / "train.csv", edit, quoting=csv.QUOTE_NONNUMERIC)
    with pytest.warns(UserWarning, match="2 empty/missing texts"):
        train, _, notes = load_files(JIGSAW, jigsaw_dir / "jigsaw")
    assert notes["train_empty_text"] == 2
    assert train["text"][1] == "" and train["text"][5] == "" and len(train) == 400
    with pytest.raises(ValueError, match=r"empty/missing 'comment_text' at data rows \[1, 5\]"):
        load_files(JIGSAW, jigsaw_dir / "jigsaw", missing_text="error")


def test_empty_text_in_ghc_test(ghc_dir: Path) -> None:
    _rewrite(ghc_dir / "ghc" / "ghc_test.tsv", lambda df: _set(df, 0, "text", ""))
    with pytest.warns(UserWarning):
        s = load_splits("ghc", ghc_dir)
    assert s.notes["test_empty_text"] == 1


@pytest.mark.parametrize("name", ["train.csv", "test.csv", "test_labels.csv"])
def test_duplicate_ids(jigsaw_dir: Path, name: str) -> None:
    path = jigsaw_dir / "jigsaw" / name
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    quoting = csv.QUOTE_MINIMAL if name == "test_labels.csv" else csv.QUOTE_NONNUMERIC
    _rewrite(path, lambda df: _set(df, 4, "id", raw["id"][2]), quoting=quoting)
    with pytest.raises(ValueError, match=r"duplicate 'id' values at data rows \[2, 4\]"):
        load_splits("jigsaw", jigsaw_dir)


def test_test_id_without_labels(jigsaw_dir: Path) -> None:
    _rewrite(
        jigsaw_dir / "jigsaw" / "test.csv", lambda df: _set(df, 0, "id", "not-in-labels"), quoting=csv.QUOTE_NONNUMERIC
    )
    with pytest.raises(ValueError, match="not-in-labels"):
        load_splits("jigsaw", jigsaw_dir)


# --- stratified split --------------------------------------------------------------------------


def _realistic_labels(n: int = 22_000, seed: int = 1) -> np.ndarray:
    """GHC-like imbalance: 8.4% / 0.6% / 6.3%, correlated (cv mostly inside hd)."""
    rng = np.random.default_rng(seed)
    hd = rng.random(n) < 0.084
    cv = (hd & (rng.random(n) < 0.05)) | (rng.random(n) < 0.0018)
    vo = (rng.random(n) < 0.045) | (hd & (rng.random(n) < 0.2))
    return np.stack([hd, cv, vo], axis=1).astype(np.int64)


def test_split_size_disjoint_deterministic() -> None:
    y = _realistic_labels()
    m = stratified_split(y, 0.2, seed=0)
    assert abs(int(m.sum()) - round(0.2 * len(y))) <= 1
    idx_val, idx_train = set(np.flatnonzero(m)), set(np.flatnonzero(~m))
    assert not idx_val & idx_train and len(idx_val | idx_train) == len(y)
    assert np.array_equal(m, stratified_split(y, 0.2, seed=0))
    assert not np.array_equal(m, stratified_split(y, 0.2, seed=1))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_split_keeps_label_rates(seed: int) -> None:
    y = _realistic_labels(seed=seed + 10)
    assert 0.004 < y[:, 1].mean() < 0.008  # the rare label really is ~0.6%
    m = stratified_split(y, 0.2, seed=seed)
    for j in range(y.shape[1]):
        tr, va = y[~m, j].mean(), y[m, j].mean()
        assert abs(va - tr) / tr < 0.10, (j, tr, va)


def test_load_splits_val_is_20_percent(ghc_dir: Path) -> None:
    s = load_splits("ghc", ghc_dir, seed=0)
    assert abs(len(s.val) - 80) <= 1
    for lab in GHC.labels:
        assert s.val[lab].sum() >= 3
    again = load_splits("ghc", ghc_dir, seed=0)
    pd.testing.assert_frame_equal(s.val, again.val)


def test_sample_caps_train_rows(ghc_dir: Path) -> None:
    s = load_splits("ghc", ghc_dir, sample=200)
    assert s.notes["train_subsampled_to"] == 200
    assert len(s.train) + len(s.val) == 200 and len(s.test) == 120


# --- clean_text --------------------------------------------------------------------------------


def test_clean_text() -> None:
    assert clean_text("Hello, World! It's 2018 -- café\nnew_line") == "hello world it s caf new line"
    assert clean_text("Keep CASE here", lower=False) == "Keep CASE here"
    assert clean_text("123 !!! 東京") == ""
    assert clean_text("") == ""
    assert clean_text("One, two; THREE four", max_words=2) == "one two" and clean_text("a b", max_words=5) == "a b"


@pytest.mark.parametrize(
    "text",
    ["  Héllo\u212a wörld!! İs\tthis\n ok?? ", "x\x00y", "\ud800abc Déf", "ab " * 300, "a" * 5000, "_-_ 12ab34CD"],
)
def test_clean_text_equals_the_report_regex(text: str) -> None:
    """The byte-table cleaning gives exactly the [a-zA-Z]+ words, also for non-ASCII, NUL and lone surrogates."""
    words = re.findall(r"[a-zA-Z]+", text)
    assert clean_text(text) == " ".join(w.lower() for w in words)
    assert clean_text(text, lower=False) == " ".join(words)
    assert clean_text(text, max_words=3) == " ".join(w.lower() for w in words[:3])
