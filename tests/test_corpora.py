"""Corpora beyond GHC: loaders (good files, each kind of bad file), and the fixed transfer / evaluation split."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from src.data.corpora import (
    CORPORA,
    IMPLICIT_HATE,
    STORMFRONT,
    TransferHalf,
    group_ids,
    load_corpus_split,
    read_corpus,
    transfer_texts,
)
from tests.fixtures_corpora import write_corpora

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("TOXIC_DATA_DIR", ROOT / "data" / "raw"))


@pytest.fixture
def corpora_dir(tmp_path: Path) -> Path:
    """Root holding stormfront/ and implicit_hate/ (use as TOXIC_DATA_DIR)."""
    return write_corpora(tmp_path / "data")


def _rewrite(root: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    path = root / name / CORPORA[name].file
    path.write_text(path.read_text().replace(old, new, count))
    return path


@pytest.mark.parametrize("name", list(CORPORA))
def test_good_file_loads_every_row(corpora_dir: Path, name: str) -> None:
    frame, notes = read_corpus(name, corpora_dir)
    assert list(frame.columns) == ["id", "text", "label"] and notes["rows"] == len(frame) > 200
    assert set(frame["label"]) == set(CORPORA[name].classes.values())
    assert (frame["id"] == range(len(frame))).all() and frame["text"].str.strip().ne("").all()
    assert frame["text"].str.contains('"').any()  # quoted texts read back with their quotes
    assert len(notes["file_sha256"]) == 64


def test_missing_file_says_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"stormfront\.tsv(.|\n)*de Gibert(.|\n)*TOXIC_DATA_DIR"):
        read_corpus("stormfront", tmp_path)


def test_unknown_corpus_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown corpus 'gab'.*implicit_hate"):
        read_corpus("gab")


def test_wrong_columns(corpora_dir: Path) -> None:
    path = _rewrite(corpora_dir, "implicit_hate", "post\tclass", "tweet\tclass")
    with pytest.raises(ValueError, match=rf"{path.name}: missing column\(s\) \['post'\]"):
        read_corpus("implicit_hate", corpora_dir)


def test_bad_label_names_file_row_and_value(corpora_dir: Path) -> None:
    path = corpora_dir / "implicit_hate" / IMPLICIT_HATE.file
    lines = path.read_text().split("\n")
    lines[3] = lines[3].rsplit("\t", 1)[0] + "\tsarcasm"  # data row 2
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=rf"{path.name}: 'class' at data row 2 .* is 'sarcasm'.*Fix or remove"):
        read_corpus("implicit_hate", corpora_dir)


def test_stormfront_label_must_be_0_or_1(corpora_dir: Path) -> None:
    path = corpora_dir / "stormfront" / STORMFRONT.file
    lines = path.read_text().split("\n")
    lines[5] = lines[5].rsplit("\t", 1)[0] + "\t2"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"'label' at data row 4 .* is '2'.*one of \['0', '1'\]"):
        read_corpus("stormfront", corpora_dir)


def test_empty_text_is_an_error_not_a_drop(corpora_dir: Path) -> None:
    path = corpora_dir / "stormfront" / STORMFRONT.file
    lines = path.read_text().split("\n")
    lines[2] = "   \t" + lines[2].rsplit("\t", 1)[1]  # data row 1: white space only
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"empty or white-space-only 'text' at data rows \[1\]"):
        read_corpus("stormfront", corpora_dir)


def test_row_without_label_field(corpora_dir: Path) -> None:
    path = corpora_dir / "stormfront" / STORMFRONT.file
    lines = path.read_text().split("\n")
    lines[4] = lines[4].rsplit("\t", 1)[0]  # data row 3: text only, no tab
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=r"'label' at data row 3 .* is ''"):
        read_corpus("stormfront", corpora_dir)


def test_row_with_extra_field_cannot_be_parsed(corpora_dir: Path) -> None:
    path = corpora_dir / "stormfront" / STORMFRONT.file
    lines = path.read_text().split("\n")
    lines[6] += "\textra"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=rf"{path.name}: cannot be parsed as a tab-separated stormfront file"):
        read_corpus("stormfront", corpora_dir)


@pytest.mark.parametrize("name", list(CORPORA))
def test_split_is_disjoint_complete_group_aware_and_stratified(corpora_dir: Path, name: str) -> None:
    s = load_corpus_split(name, corpora_dir)
    frame, _ = read_corpus(name, corpora_dir)
    ev_ids, tr_ids = set(s.evaluation.frame["id"]), set(s.transfer.ids)
    assert not ev_ids & tr_ids and ev_ids | tr_ids == set(range(len(frame)))
    groups = group_ids(frame["text"])
    in_eval = frame["id"].isin(ev_ids).to_numpy()
    assert s.notes["duplicate_groups"] > 0  # the fixture repeats texts (case and spaces varied)
    assert not set(groups[in_eval]) & set(groups[~in_eval])  # a repeated text never sits in both halves
    for c, n in s.notes["label_counts"].items():  # each class about half in each half (whole groups move)
        assert abs(int((s.evaluation.frame["label"] == c).sum()) - n / 2) <= 3, c


def test_transfer_half_holds_no_labels(corpora_dir: Path) -> None:
    s = load_corpus_split("implicit_hate", corpora_dir)
    assert {f.name for f in dataclasses.fields(TransferHalf)} == {"corpus", "ids", "texts", "fingerprint"}
    texts = transfer_texts("implicit_hate", corpora_dir)
    assert texts == list(s.transfer.texts) and all(isinstance(t, str) for t in texts)
    assert "transfer" not in s.info()["label_counts"]  # counts of the whole corpus and of the evaluation half only
    assert {"id", "text", "label"} == set(s.evaluation.frame.columns)


def test_split_is_the_same_in_another_process(corpora_dir: Path) -> None:
    here = {n: load_corpus_split(n, corpora_dir).info()["fingerprint"] for n in CORPORA}
    code = (
        "from src.data.corpora import CORPORA, load_corpus_split; import sys; "
        "print({n: load_corpus_split(n, sys.argv[1]).info()['fingerprint'] for n in CORPORA})"
    )
    out = subprocess.run([sys.executable, "-c", code, str(corpora_dir)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(here)


# The committed split of the real files (data/README's copies): changing it voids every recorded cross-corpus number.
REAL_SPLIT = {
    "stormfront": (5357, 5346, "0e6bc93f992650f7fc53f94c4621576a8ab383a87319cbf0de304907de39aa71"),
    "implicit_hate": (10739, 10741, "bfa840df50bc156bf58d792d586c08d4978fa48b416399cd65d16fb91b3c770f"),
}


@pytest.mark.parametrize("name", list(REAL_SPLIT))
def test_real_split_is_pinned(name: str) -> None:
    if not (REAL / name / CORPORA[name].file).is_file():
        pytest.skip(f"real {name} file not under {REAL} (set TOXIC_DATA_DIR)")
    info = load_corpus_split(name, REAL).info()
    assert (info["sizes"]["transfer"], info["sizes"]["evaluation"], info["fingerprint"]["evaluation"]) == REAL_SPLIT[
        name
    ]
