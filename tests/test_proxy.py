"""The Jigsaw-shaped proxy: Kaggle layout and sizes, exact label rates, length shape, CSV round trip, CLI."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from src.data.datasets import GHC, JIGSAW, load_files, load_splits
from src.data.proxy import ProxyConfig, build_proxy, label_counts, main, sizes, write_proxy
from src.data.proxy_labels import conditional_counts
from src.data.proxy_text import TextConfig
from tests.fixtures import write_ghc

SCALE = 0.02  # ~3,200 train and ~3,100 test rows: every label has a few dozen positives at most
REAL_GHC = Path("/work/shared/data/ghc")
KAGGLE_TRAIN = ["id", "comment_text", *JIGSAW.labels]
# sha256 of train.csv + test.csv + test_labels.csv written before the `conditional` variant existed (seed 0):
# the default variant must keep writing these bytes.
IMPLIED_SHA256 = {
    "fixture": "fbe243a9c2bf0539c89b29a98e1698aaa12943b508c26b830ab39813b2d8fda8",  # write_ghc, --scale 0.02
    "real": "5b91b3f9d22ae7e0ff18ecc48dc55da8e1888b42c5929c46d6a6766cd63587f5",  # /work/shared/data/ghc, 0.01
}


@pytest.fixture(scope="module")
def ghc_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic GHC files in the real format (400 + 120 posts)."""
    return write_ghc(tmp_path_factory.mktemp("src")) / GHC.name


@pytest.fixture(scope="module")
def proxy_root(ghc_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding jigsaw/, written by the CLI (use as load_splits' root)."""
    root = tmp_path_factory.mktemp("proxy")
    assert main(["jigsaw", str(root / "jigsaw"), "--source", str(ghc_source), "--scale", str(SCALE)]) == 0
    return root


def _read(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / "jigsaw" / name, dtype=str, keep_default_na=False)


def _words(texts: pd.Series) -> np.ndarray:
    return texts.str.split().str.len().to_numpy()


def test_sizes_columns_and_loader(proxy_root: Path) -> None:
    n_train, n_test, n_scored = sizes(ProxyConfig(), SCALE)
    assert (n_train, n_test, n_scored) == (round(159_571 * SCALE), round(153_164 * SCALE), round(63_978 * SCALE))
    assert sizes(ProxyConfig(), 1.0) == (159_571, 153_164, 63_978)
    train, test, labels = (_read(proxy_root, f) for f in ("train.csv", "test.csv", "test_labels.csv"))
    assert list(train.columns) == KAGGLE_TRAIN and len(train) == n_train
    assert list(test.columns) == ["id", "comment_text"] and len(test) == n_test
    assert list(labels.columns) == ["id", *JIGSAW.labels] and list(labels["id"]) == list(test["id"])
    unscored = (labels[list(JIGSAW.labels)] == "-1").all(axis=1)
    assert int((~unscored).sum()) == n_scored and labels[~unscored].isin(["0", "1"]).iloc[:, 1:].all().all()
    s = load_splits("jigsaw", root=proxy_root)
    assert len(s.train) + len(s.val) == n_train and len(s.test) == n_scored
    assert s.notes["test_unscored_excluded"] == n_test - n_scored


def test_kaggle_quoting(proxy_root: Path) -> None:
    # Kaggle quotes every string field of train.csv (header included) and leaves numbers bare.
    with open(proxy_root / "jigsaw" / "train.csv", encoding="utf-8", newline="") as f:
        header, first = f.readline(), f.readline()
    assert header == ",".join(f'"{c}"' for c in KAGGLE_TRAIN) + "\n"
    assert re.match(r'^"[0-9a-f]{16}","', first)
    with open(proxy_root / "jigsaw" / "test_labels.csv", encoding="utf-8") as f:
        assert f.readline() == "id," + ",".join(JIGSAW.labels) + "\n"


def test_ids_unique_hex_and_sorted(proxy_root: Path) -> None:
    ids = pd.concat([_read(proxy_root, "train.csv")["id"], _read(proxy_root, "test.csv")["id"]])
    assert ids.is_unique and ids.str.fullmatch(r"[0-9a-f]{16}").all()
    assert list(_read(proxy_root, "train.csv")["id"]) == sorted(_read(proxy_root, "train.csv")["id"])


def test_label_rates_exact(proxy_root: Path) -> None:
    train, test, _ = load_files(JIGSAW, proxy_root / "jigsaw")
    cfg = ProxyConfig()
    for df in (train, test):
        y = df[list(JIGSAW.labels)].to_numpy()
        assert y.sum(axis=0).tolist() == label_counts(cfg, len(df))
        rates = np.array(cfg.positives) / cfg.n_train
        assert np.all(np.abs(y.mean(axis=0) - rates) <= 1 / 1000)
        assert (y[:, 0] >= y[:, 1:].max(axis=1)).all()  # every label implies toxic


def test_labels_follow_ghc_evidence(ghc_source: Path, proxy_root: Path) -> None:
    ghc_train, _, _ = load_files(GHC, ghc_source)
    by_label = {lab: ghc_train.loc[ghc_train[lab] == 1, "text"].tolist() for lab in GHC.labels}
    train = _read(proxy_root, "train.csv")
    toxic, hate = train["toxic"] == "1", train["identity_hate"] == "1"

    def has(texts: pd.Series, lab: str) -> np.ndarray:
        return np.array([any(p in t for p in by_label[lab]) for t in texts])

    any_label = has(train["comment_text"], "hd") | has(train["comment_text"], "cv") | has(train["comment_text"], "vo")
    assert any_label[toxic.to_numpy()].all() and not any_label[~toxic.to_numpy()].any()
    assert has(train.loc[hate, "comment_text"], "hd").all()


def test_length_shape_and_layout(proxy_root: Path) -> None:
    train = _read(proxy_root, "train.csv")["comment_text"]
    words = _words(train)
    assert 30 <= np.median(words) <= 45 and 110 <= np.percentile(words, 90) <= 190 and words.min() >= 1
    assert train.str.len().max() <= 5000
    assert train.str.contains("\n").mean() > 0.2 and train.str.contains("\n\n").any()
    assert train.str.contains('"').mean() > 0.1 and train.str.startswith('"').any()


def test_csv_round_trip_exact(ghc_source: Path, tmp_path: Path) -> None:
    proxy = build_proxy(ghc_source, seed=3, scale=0.005)
    write_proxy(proxy, tmp_path / "jigsaw")
    assert _read(tmp_path, "train.csv")["comment_text"].tolist() == proxy.train["comment_text"].tolist()
    assert _read(tmp_path, "test.csv")["comment_text"].tolist() == proxy.test["comment_text"].tolist()
    assert proxy.train["comment_text"].str.contains('\n"').any()  # a quoted post on its own line: quotes doubled


def test_char_cap_cuts_at_word_boundary(ghc_source: Path) -> None:
    cfg = ProxyConfig(text=TextConfig(max_chars=120))
    texts = build_proxy(ghc_source, scale=0.005, cfg=cfg).train["comment_text"]
    assert texts.str.len().max() <= 120 and (texts.str.len() > 100).any()
    assert not texts.str.contains(r"\s$").any()


def test_deterministic_bytes(ghc_source: Path, proxy_root: Path, tmp_path: Path) -> None:
    for seed, same in (("0", True), ("1", False)):
        out = tmp_path / seed
        assert main(["jigsaw", str(out), "--source", str(ghc_source), "--scale", str(SCALE), "--seed", seed]) == 0
        for name in ("train.csv", "test.csv", "test_labels.csv"):
            assert ((out / name).read_bytes() == (proxy_root / "jigsaw" / name).read_bytes()) is same


def _sha256(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("train.csv", "test.csv", "test_labels.csv"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def test_implied_variant_bytes_unchanged(proxy_root: Path, ghc_source: Path, tmp_path: Path) -> None:
    assert _sha256(proxy_root / "jigsaw") == IMPLIED_SHA256["fixture"]  # the default variant
    args = ["jigsaw", str(tmp_path / "x"), "--source", str(ghc_source), "--scale", str(SCALE), "--variant", "implied"]
    assert main(args) == 0 and _sha256(tmp_path / "x") == IMPLIED_SHA256["fixture"]
    if REAL_GHC.is_dir():
        assert main(["jigsaw", str(tmp_path / "r"), "--source", str(REAL_GHC), "--scale", "0.01"]) == 0
        assert _sha256(tmp_path / "r") == IMPLIED_SHA256["real"]


def test_conditional_variant(ghc_source: Path, tmp_path: Path) -> None:
    """Sub-labels at Jigsaw's rates given toxic, some on non-toxic rows, and only toxic shows in the text."""
    cfg = ProxyConfig(variant="conditional")
    assert (
        main(
            [
                "jigsaw",
                str(tmp_path / "jigsaw"),
                "--source",
                str(ghc_source),
                "--scale",
                str(SCALE),
                "--variant",
                "conditional",
            ]
        )
        == 0
    )
    train, test, _ = load_files(JIGSAW, tmp_path / "jigsaw")
    for df in (train, test):
        y = df[list(JIGSAW.labels)].to_numpy()
        in_toxic, in_clean = conditional_counts(cfg, len(df))
        toxic = y[:, 0] == 1
        assert y[toxic].sum(axis=0).tolist() == in_toxic and y[~toxic].sum(axis=0).tolist() == in_clean
        assert np.abs(y.sum(axis=0) - np.array(label_counts(cfg, len(df)))).max() <= 1  # Jigsaw's marginal rates
    assert sum(in_clean) > 0  # obscene, insult, ... without toxic, as in Kaggle's file
    ghc_train, _, _ = load_files(GHC, ghc_source)
    labelled = ghc_train.loc[ghc_train[list(GHC.labels)].any(axis=1), "text"].tolist()
    raw = _read(tmp_path, "train.csv")
    has = np.array([any(p in t for p in labelled) for t in raw["comment_text"]])
    toxic, sub = (raw["toxic"] == "1").to_numpy(), (raw[list(JIGSAW.labels[1:])] == "1").any(axis=1).to_numpy()
    assert has[toxic].all() and not has[~toxic].any()  # the text follows toxic alone
    assert (sub & ~toxic).any()  # so these rows' sub-labels have no evidence in their text
    threat_cv = ghc_train.loc[ghc_train["cv"] == 1, "text"].tolist()
    threat = (raw["threat"] == "1").to_numpy()
    assert not all(any(p in t for p in threat_cv) for t in raw.loc[threat, "comment_text"])  # not implied by posts
    with pytest.raises(ValueError, match="unknown proxy variant"):
        build_proxy(ghc_source, scale=0.005, cfg=ProxyConfig(variant="other"))


def test_refuses_non_empty_out_dir_unless_force(ghc_source: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.csv").write_text("old")
    args = ["jigsaw", str(out), "--source", str(ghc_source), "--scale", "0.001"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err and (out / "train.csv").read_text() == "old"
    assert main([*args, "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["test.csv", "test_labels.csv", "train.csv"]  # no temp files
    assert len(pd.read_csv(out / "train.csv")) == 160


def test_bad_source_errors(ghc_source: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere"
    assert main(["jigsaw", str(tmp_path / "a"), "--source", str(missing), "--scale", "0.001"]) == 2
    err = capsys.readouterr().err
    assert str(missing / "ghc_train.tsv") in err and "osf.io" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in (GHC.train_file, GHC.test_file):
        pd.read_csv(ghc_source / name, sep="\t").rename(columns={"vo": "vul"}).to_csv(bad / name, sep="\t", index=False)
    assert main(["jigsaw", str(tmp_path / "b"), "--source", str(bad), "--scale", "0.001"]) == 2
    err = capsys.readouterr().err
    assert str(bad / "ghc_train.tsv") in err and "missing column" in err
    assert main(["jigsaw", str(tmp_path / "c"), "--source", str(ghc_source), "--scale", "0"]) == 2


@pytest.mark.skipif(not REAL_GHC.is_dir(), reason="real GHC copy not on this machine")
def test_real_ghc_small(tmp_path: Path) -> None:
    write_proxy(build_proxy(REAL_GHC, scale=0.01), tmp_path / "jigsaw")
    s = load_splits("jigsaw", root=tmp_path)
    assert len(s.train) + len(s.val) == round(159_571 * 0.01) and len(s.test) == round(63_978 * 0.01)
    train = _read(tmp_path, "train.csv")
    assert 30 <= np.median(_words(train["comment_text"])) <= 45 and train["comment_text"].str.len().max() <= 5000
