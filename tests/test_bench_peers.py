"""Peers in `make bench` (src.apps.bench_peers): loading one through its own API, its quality record, the goals
and REPORT's table. A fake peer package stands in where the real one (requirements-peers.txt) is not installed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from src.apps import bench_peers as bp
from src.apps.bench_goals import peer_goals
from src.common.auc import label_auc
from src.data.corpora import CORPORA
from src.data.datasets import label_matrix, load_splits
from src.report.bench_tables import table_bench
from tests.fixtures import write_ghc
from tests.fixtures_corpora import write_corpora

FAKE = """
import numpy as np
vectorizer, model = object(), object()
calls = []

def predict_prob(texts):
    calls.append(len(texts))
    return np.array([min(1.0, len(t) / 100) for t in texts])
"""


@pytest.fixture
def fake_peer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable package `fakepeer` shaped like alt-profanity-check: predict_prob, data/*.joblib."""
    pkg = tmp_path / "pkgs" / "fakepeer"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .fakepeer import predict_prob\n")
    (pkg / "fakepeer.py").write_text(FAKE)
    (pkg / "data" / "model.joblib").write_bytes(b"x" * 1000)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    yield "fakepeer"
    for name in [m for m in sys.modules if m.startswith("fakepeer")]:
        del sys.modules[name]


def test_a_peer_scores_in_batches_through_its_own_api(fake_peer: str) -> None:
    fn, params, size = bp.load_peer(fake_peer)
    texts = [f"comment number {i} " * (i % 5) for i in range(10)]
    p = fn(texts, 4)
    assert p.shape == (10, 1) and p[:, 0] == pytest.approx([min(1.0, len(t) / 100) for t in texts])
    assert sys.modules[f"{fake_peer}.{fake_peer}"].calls == [4, 4, 2]  # batches of 4, nothing scored twice
    assert size == 1000 and params is None  # a model it cannot count is said unknown, not guessed
    assert fn([], 4).shape == (0, 1)


def test_peer_specs_say_how_to_install_an_absent_peer(fake_peer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bp, "PEERS", {"fake": fake_peer, "missing": "no_such_module_here"})
    specs, absent = bp.peer_specs()
    assert list(specs) == ["fake"] and specs["fake"]["kind"] == "peer" and specs["fake"]["module"] == fake_peer
    assert absent == {"missing": f"not installed: {bp.INSTALL}"}


def test_quality_reads_one_score_against_every_label_and_corpus(toxic_env: dict[str, Path]) -> None:
    write_ghc(toxic_env["data"])
    write_corpora(toxic_env["data"])
    splits = load_splits("ghc", seed=0)
    corpora, missing = bp.corpora_at_hand()
    assert set(corpora) == set(CORPORA) and missing == {}

    def score(texts: list[str]) -> np.ndarray:
        return np.array([len(t) % 17 for t in texts], dtype=float)

    q = bp.quality(score, splits, corpora, n_boot=20)
    y = label_matrix(splits.test, list(splits.spec.labels))
    s = score(list(splits.test["text"]))
    assert q["test_roc_auc"]["vo"] == label_auc(y[:, 2], s)
    assert q["test_roc_auc"]["hate"] == label_auc(y[:, :2].max(axis=1), s) == q["in_domain"]["auc"]["hate"]["value"]
    assert set(q["cross_corpus"]) == set(CORPORA) and s.min() <= q["threshold"] <= s.max()
    rate = q["cross_corpus"]["stormfront"]["not_hate_flag_rate"]
    assert rate["threshold"] == q["threshold"] and 0 <= rate["value"] <= 1


def test_corpora_at_hand_names_what_is_missing(toxic_env: dict[str, Path]) -> None:
    corpora, missing = bp.corpora_at_hand()  # an empty data folder
    assert corpora == {} and set(missing) == set(CORPORA) and all(missing.values())


def test_peer_goals_compare_our_onnx_speed_with_the_peer() -> None:
    rows = {
        "baseattention_onnx_fp32": {"ghc_test_batch256_per_s": 30_000.0, "synthetic_batch256_per_s": 5_000.0},
        "alt_profanity_check": {"ghc_test_batch256_per_s": 20_000.0, "synthetic_batch256_per_s": 10_000.0},
    }
    g = peer_goals(rows)
    assert g["onnx_fp32_over_alt_profanity_check_ghc_test_per_s"]["value"] == 1.5
    assert g["onnx_fp32_over_alt_profanity_check_ghc_test_per_s"]["met"] is True
    assert g["onnx_fp32_over_alt_profanity_check_synthetic_per_s"]["met"] is False
    assert peer_goals({"baseattention_onnx_fp32": rows["baseattention_onnx_fp32"]}) == {}  # no peer row: no goal


def test_report_table_shows_peers_or_says_how_to_install_them(tmp_path: Path) -> None:
    import json

    q = {
        "test_roc_auc": {"hd": 0.7, "cv": 0.6, "vo": 0.8, "hate": 0.71},
        "in_domain": {"auc": {"hate": {"value": 0.71}}},
    }
    q["cross_corpus"] = {"stormfront": {"auc": {"hate": {"value": 0.65}}, "not_hate_flag_rate": {"value": 0.2}}}
    doc = {"dataset": "ghc", "models": {"alt_profanity_check": {"backend": "sklearn", "peer_quality": q}}}
    (tmp_path / "bench.json").write_text(json.dumps(doc))
    line = next(x for x in table_bench(tmp_path).splitlines() if x.startswith("| alt_profanity_check | 0.700"))
    assert "0.650" in line and "0.200" in line
    doc = {"dataset": "ghc", "models": {}, "peers_absent": {"alt_profanity_check": "not installed: pip ..."}}
    (tmp_path / "bench.json").write_text(json.dumps(doc))
    assert "**Peers**: none measured (alt_profanity_check: not installed: pip ...)" in table_bench(tmp_path)


@pytest.mark.skipif(not bp.available("profanity_check"), reason="optional peer not installed (requirements-peers.txt)")
def test_the_real_peer_loads_and_scores_our_own_sentences() -> None:
    fn, params, size = bp.load_peer("profanity_check")
    p = fn(["what a lovely morning for a walk", "you are a worthless idiot"], 256)[:, 0]
    assert p.shape == (2,) and p[1] > p[0] and params and params > 10_000 and size > 100_000
