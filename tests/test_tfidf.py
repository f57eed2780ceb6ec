"""TF-IDF + LR files: plain arrays that reload to the same predictions, refuse anything else, and are reused."""

from __future__ import annotations

import pickle
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from src.data.datasets import load_splits
from src.models.tfidf import TfidfConfig, TfidfJobs, TfidfLR, fit_all
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
    assert len(back.to_bytes()) == len(model.to_bytes())  # a reloaded model reports the size it was saved at
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


def test_parallel_fit_equals_sequential(splits) -> None:
    """Threads per label, a worker process per extra vectorizer and row blocks in prediction change no number."""
    labels, texts = list(splits.spec.labels), list(splits.train["text"])
    y = splits.train[labels].to_numpy().astype(int)
    fitted, states = {}, {}
    for n_jobs in (1, 2):
        np.random.seed(7)  # liblinear draws a seed from np.random per label: the draws must stay as many
        model = TfidfLR(CFG, labels, TfidfJobs(n_jobs=n_jobs, min_rows=0)).fit(texts, y)
        fitted[n_jobs], states[n_jobs] = model, np.random.get_state()[1].copy()
    seq, par = fitted[1], fitted[2]
    assert np.array_equal(states[1], states[2])
    for a, b in zip(seq.vecs, par.vecs, strict=True):
        assert a.vocabulary_ == b.vocabulary_ and np.array_equal(a.idf_, b.idf_)
    for a, b in zip(seq.clfs, par.clfs, strict=True):
        assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)
    test = list(splits.test["text"])
    p = seq.predict_proba(test)
    for n_jobs in (2, 3):  # rows split into n_jobs blocks across processes
        par.jobs = TfidfJobs(n_jobs=n_jobs, min_rows=0)
        assert np.array_equal(par.predict_proba(test), p)


def test_label_fits_capped_by_memory(splits) -> None:
    """A copy budget smaller than one liblinear copy fits the labels one at a time: same model."""
    labels, texts = list(splits.spec.labels), list(splits.train["text"])
    y = splits.train[labels].to_numpy().astype(int)
    small = TfidfLR(CFG, labels, TfidfJobs(n_jobs=4, max_copy_bytes=1)).fit(texts, y)
    ref = TfidfLR(CFG, labels, TfidfJobs(n_jobs=1)).fit(texts, y)
    for a, b in zip(small.clfs, ref.clfs, strict=True):
        assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


def test_models_fitted_together_equal_each_alone(splits) -> None:
    """fit_all (every vectorizer of both configs in worker processes) gives the models a fit of each in turn gives,
    with the same np.random draws; the baseline's fit_configs says which way it timed them."""
    labels, texts = list(splits.spec.labels), list(splits.train["text"])
    y = splits.train[labels].to_numpy().astype(int)
    cfgs = [CFG, TfidfConfig(**{**asdict(CFG), "clean": True})]
    out, states = {}, {}
    for together in (False, True):
        np.random.seed(5)
        if together:
            out[together] = fit_all([TfidfLR(c, labels, TfidfJobs(n_jobs=2, min_rows=0)) for c in cfgs], texts, y)
        else:
            out[together] = [TfidfLR(c, labels, TfidfJobs(n_jobs=1)).fit(texts, y) for c in cfgs]
        states[together] = np.random.get_state()[1].copy()
    assert np.array_equal(states[False], states[True])
    assert [m.to_bytes() for m in out[False]] == [m.to_bytes() for m in out[True]]
    configs = {"a": cfgs[0], "b": cfgs[1]}
    runs, how = baseline_model.fit_configs(configs, splits, TfidfJobs(n_jobs=2, min_rows=0))
    alone, how_alone = baseline_model.fit_configs(configs, splits)  # a small split: each fitted alone
    assert "together" in how and how_alone == "each config fitted alone"
    for name in configs:
        assert np.array_equal(runs[name].p_test, alone[name].p_test) and runs[name].train_seconds > 0
