"""The Teacher notebook's study code (src/studies/teacher.py): cache reuse, training through `train_and_cache`,
skipping without the extras, the results records, and the conclusions template."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from src.report.template import TEMPLATES, render, typed_numbers
from src.studies import baseline as bl
from src.studies import teacher as th
from src.training.teacher_cache import save_cache

LABELS = ["hd", "cv", "vo"]
ROOT = Path(__file__).resolve().parent.parent
META = {"device": "test", "train_seconds": 1.0, "steps": 4, "epoch_loss": [0.5], "dataset": "ghc"}
META |= {"params_total": 10, "params_trainable": 8, "size_bytes": 40, "config": {"pos_weight": False}}


def _probs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.random((n, len(LABELS))) for k, n in (("train", 4), ("val", 3), ("test", 2))}


def _train_ok(monkeypatch: pytest.MonkeyPatch, calls: list) -> None:
    """Pretend the extras and a GPU are there; `train_and_cache` writes a cache for fingerprint "fp"."""
    monkeypatch.setattr(th, "teacher_available", lambda: True)

    def fake(dataset, out_dir, cfg, *a, **k):
        calls.append(cfg)
        save_cache(Path(out_dir) / f"teacher_{dataset}_probs.npz", _probs(1), LABELS, "fp", META)
        (Path(out_dir) / "metrics.json").write_text("{}")

    monkeypatch.setattr(th, "train_and_cache", fake)


def test_config_quick_is_a_smoke_run() -> None:
    """quick: 4 steps of batch 16, one epoch, at most 32 tokens; otherwise the parameters as given."""
    full, quick = th.config(4, 5e-5, 32, 128, 0, False), th.config(4, 5e-5, 32, 128, 0, True)
    assert (full.epochs, full.batch_size, full.max_len, full.max_steps) == (4, 32, 128, None)
    assert (quick.epochs, quick.batch_size, quick.max_len, quick.max_steps) == (1, 16, 32, 4)


def test_matching_cache_is_used(toxic_env: dict[str, Path]) -> None:
    """A cache with these labels and fingerprint is loaded as is (float32 back)."""
    save_cache(th.cache_path("ghc"), _probs(), LABELS, "fp", META)
    t = th.probabilities(
        "ghc", th.config(4, 5e-5, 32, 128, 0, False), LABELS, "fp", retrain=False, train_on_cpu=False, quick=False
    )
    assert t.source == "cache" and not t.skipped and t.meta["device"] == "test"
    np.testing.assert_allclose(t.probs["val"], _probs()["val"], atol=1e-3)


def test_skips_without_extras_even_with_a_stale_cache(toxic_env: dict[str, Path], monkeypatch) -> None:
    """A stale cache is refused; without the extras the teacher skips and says why."""
    monkeypatch.setattr(th, "teacher_available", lambda: False)
    save_cache(th.cache_path("ghc"), _probs(), LABELS, "other", META)
    t = th.probabilities(
        "ghc", th.config(4, 5e-5, 32, 128, 0, True), LABELS, "fp", retrain=False, train_on_cpu=False, quick=True
    )
    assert t.skipped and "not installed" in t.why
    models, extra = th.record(t, None, np.zeros((3, 3)), LABELS, "ghc", "fp", True)
    assert models["minilm_l6"]["skipped"] and "not installed" in extra["note"]


def test_skips_on_cpu_unless_asked(toxic_env: dict[str, Path], monkeypatch) -> None:
    """With the extras but no GPU, a full run skips unless train_on_cpu."""
    calls: list = []
    _train_ok(monkeypatch, calls)
    monkeypatch.setattr(th, "pick_device", lambda: type("D", (), {"type": "cpu"})())
    t = th.probabilities(
        "ghc", th.config(4, 5e-5, 32, 128, 0, False), LABELS, "fp", retrain=False, train_on_cpu=False, quick=False
    )
    assert t.skipped and "no GPU" in t.why and not calls


@pytest.mark.parametrize("quick", [False, True])
def test_training_goes_through_train_and_cache(toxic_env: dict[str, Path], monkeypatch, quick: bool) -> None:
    """Without a cache the library's train_and_cache fine-tunes; only a full run keeps its cache in models/."""
    calls: list = []
    _train_ok(monkeypatch, calls)
    cfg = th.config(4, 5e-5, 32, 128, 0, quick)
    t = th.probabilities("ghc", cfg, LABELS, "fp", retrain=True, train_on_cpu=True, quick=quick)
    assert calls == [cfg] and t.source == "trained here" and t.probs["test"].shape == (2, 3)
    assert th.cache_path("ghc").is_file() == (not quick)
    assert sorted(p.name for p in toxic_env["models"].iterdir()) == ([] if quick else ["teacher_ghc_probs.npz"])
    assert "fresh run" in th.describe(t, "fp" * 10)


def test_record_and_calibration(toxic_env: dict[str, Path]) -> None:
    """The entry carries the run's meta; extras carry the cache, its size and the validation calibration."""
    save_cache(th.cache_path("ghc"), _probs(), LABELS, "fp", META)
    t = th.TeacherProbs({"val": np.array([[0.2, 0.0, 1.0], [0.4, 0.0, 0.0]])}, META, "cache")
    y = np.array([[1, 0, 1], [0, 0, 0]])
    models, extra = th.record(t, {"validation": {}, "test": {}}, y, LABELS, "ghc", "fp", False)
    m = models["minilm_l6"]
    assert m["params"] == {"total": 10, "trainable": 8} and m["device"] == "test" and m["source"] == "cache"
    assert extra["cache"] == "teacher_ghc_probs.npz" and extra["cache_bytes"] == th.cache_path("ghc").stat().st_size
    cal = extra["calibration"]
    assert cal["split"] == "validation" and cal["mean_probability"]["hd"] == pytest.approx(0.3)
    assert cal["positive_rate"] == {"hd": 0.5, "cv": 0.0, "vo": 0.5}


def test_template_renders_skipped_and_scored() -> None:
    """Skipped: the note; scored (committed results): every number filled in, none typed in the template."""
    assert typed_numbers((TEMPLATES / "notebooks" / "Teacher.md").read_text()) == []
    note = {"skipped": True, "note": "skipped: no matching cache; no extras"}
    text = render("notebooks/Teacher.md", r={"dataset": "jigsaw", "labels": ["toxic"], "models": {"minilm_l6": note}})
    assert "no extras" in text
    doc = json.loads((ROOT / "results" / "Teacher.json").read_text())
    text = render("notebooks/Teacher.md", r=doc)
    assert "test macro ROC AUC" in text and "{{" not in text
    doc |= {"reference": None, "baseline_test_macro_auc": None, "cache_bytes": None}
    doc["models"]["minilm_l6"]["alternatives"] = None
    assert "reference" not in render("notebooks/Teacher.md", r=doc)
    assert bl.reference("jigsaw") is None
