"""TF-IDF + LR files: plain arrays that reload to the same predictions, refuse anything else, and are reused."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from src.data.datasets import load_splits
from src.models.tfidf import TfidfConfig, TfidfLR
from src.studies import baseline as baseline_model
from tests.fixtures import write_ghc

CFG = TfidfConfig(max_features=2_000)


@pytest.fixture
def splits(toxic_env):
    write_ghc(toxic_env["data"])
    return load_splits("ghc")


def test_save_load_same_predictions_without_pickle(splits, tmp_path: Path) -> None:
    labels = list(splits.spec.labels)
    model = TfidfLR(CFG, labels).fit(list(splits.train["text"]), splits.train[labels].to_numpy())
    model.save(tmp_path / "m.npz", fingerprint="abc")
    back = TfidfLR.load(tmp_path / "m.npz")
    texts = list(splits.test["text"])
    assert np.array_equal(back.predict_proba(texts), model.predict_proba(texts))
    assert back.cfg == CFG and back.labels == labels and back.fingerprint == "abc"
    model.save(tmp_path / "plain.npz")
    assert len(model.to_bytes()) == (tmp_path / "plain.npz").stat().st_size  # sizes in results: the file's
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:  # every array loads without pickle
        assert all(z[k].dtype != object for k in z.files)


class Touch:
    """Pickles as a call to Path.touch(target): what a crafted file could ask an unpickler to do."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


@pytest.mark.parametrize("kind", ["pickled_object", "truncated", "foreign"])
def test_load_refuses_bad_files_with_the_path(tmp_path: Path, kind: str) -> None:
    target, path = tmp_path / "pwned", tmp_path / "bad.npz"
    if kind == "pickled_object":  # an object array inside an .npz is a pickle
        np.savez(path, meta=np.array([Touch(target)], dtype=object))
    elif kind == "truncated":
        path.write_bytes(b"PK\x03\x04 not a whole zip")
    else:
        np.savez(path, meta=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError, match="bad.npz: not a TF-IDF"):
        TfidfLR.load(path)
    assert not target.exists()
    pickle.dumps(Touch(target))  # the payload itself is a valid pickle


def test_fitted_reuses_the_baseline_file_only_when_it_matches(splits, toxic_env) -> None:
    labels = list(splits.spec.labels)
    model = TfidfLR(CFG, labels).fit(list(splits.train["text"]), splits.train[labels].to_numpy().astype(int))
    toxic_env["models"].rmdir()  # a fresh run folder: save creates it
    path = baseline_model.save(model, "tfidf_lr", splits)
    assert path == toxic_env["models"] / "tfidf_lr_ghc.npz"
    got, note = baseline_model.fitted(splits, CFG)
    assert note.startswith("loaded tfidf_lr_ghc.npz")
    texts = list(splits.val["text"])
    assert np.array_equal(got.predict_proba(texts), model.predict_proba(texts))
    _, note = baseline_model.fitted(splits, TfidfConfig(max_features=1_000))  # another config: fitted anew
    assert note.startswith("fitted here")
    other = load_splits("ghc", seed=1)  # another train split: the saved file is stale
    _, note = baseline_model.fitted(other, CFG)
    assert note.startswith("fitted here")
    path.write_bytes(b"damaged")
    _, note = baseline_model.fitted(splits, CFG)
    assert "unreadable, ignored: tfidf_lr_ghc.npz" in note
