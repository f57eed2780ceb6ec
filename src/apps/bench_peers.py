"""Peers users would pick instead of our models, measured by `make bench` beside them: alt-profanity-check.

Optional, like the teacher: `.venv/bin/pip install -r requirements-peers.txt` (its pins equal ours, so nothing else
changes); without it bench.json's `peers` says so. alt-profanity-check is TF-IDF (word unigrams) + a calibrated
linear SVM that its authors trained on ~200K labelled texts; it gives one probability ("offensive"). Its speed rows
are measured like ours (src.apps.bench_measure); its quality is that one score read against every GHC label and the
derived `hate` on the test split, and as the `hate` score on each corpus' evaluation half (src.evaluation.transfer),
with its flag threshold tuned on GHC validation against `hate` (best F1), as our models' thresholds are.
The package loads its model with joblib (a pickle inside its wheel): installing it is trusting it, as for any import.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

PEERS = {"alt_profanity_check": "profanity_check"}  # bench.json row -> the module its package installs
INSTALL = ".venv/bin/pip install -r requirements-peers.txt"


def available(module: str) -> bool:
    """Whether a peer's module is installed."""
    return importlib.util.find_spec(module) is not None


def _params(vectorizer, model) -> int | None:
    """Numbers the peer's model stores: IDF weights, each calibrated SVM's weights and bias, each sigmoid's 2."""
    try:
        per_fold = [c.estimator.coef_.size + c.estimator.intercept_.size + 2 for c in model.calibrated_classifiers_]
        return int(len(vectorizer.idf_) + sum(per_fold))
    except AttributeError:  # another release with another model: say unknown rather than guess
        return None


def load_peer(module: str) -> tuple[Callable[[list[str], int], np.ndarray], int | None, int]:
    """(predict(texts, batch) -> (N, 1) probabilities through the package's own API, parameters, bytes of its model
    files) of an installed peer."""
    pc = importlib.import_module(module)
    files = (Path(str(pc.__file__)).parent / "data").glob("*.joblib")
    size = sum((f.stat().st_size for f in files), 0)
    inner = importlib.import_module(f"{module}.{module}")  # where the package keeps its vectorizer and model

    def fn(texts: list[str], batch: int) -> np.ndarray:
        parts = [np.asarray(pc.predict_prob(texts[i : i + batch])) for i in range(0, len(texts), batch)]
        return np.concatenate(parts)[:, None] if parts else np.zeros((0, 1))

    return fn, _params(getattr(inner, "vectorizer", None), getattr(inner, "model", None)), size


def quality(score: Callable[[list[str]], np.ndarray], splits, corpora: dict, n_boot: int = 1000, seed: int = 0) -> dict:
    """One score's test ROC AUC against every label of `splits` and its derived labels, its `hate` threshold (tuned
    on validation), and the Transfer notebook's in-domain and cross-corpus records for it."""
    from src.common.auc import label_auc
    from src.data.datasets import label_matrix
    from src.evaluation.metrics import best_f1_threshold
    from src.studies.transfer import HateScorer, evaluate, hate_column

    labels, derived = list(splits.spec.labels), dict(splits.spec.derived)

    def columns(frame) -> dict[str, np.ndarray]:
        y = label_matrix(frame, labels)
        out = {lab: y[:, i] for i, lab in enumerate(labels)}
        return out | {d: y[:, [labels.index(m) for m in ms]].max(axis=1) for d, ms in derived.items()}

    s_test = score(list(splits.test["text"]))
    test_auc = {name: label_auc(y, s_test) for name, y in columns(splits.test).items()}
    hate = hate_column(splits.spec.name)
    threshold = best_f1_threshold(columns(splits.val)[hate], score(list(splits.val["text"])))
    sc = HateScorer(score, threshold, {}, 0, "the package's predict_prob")
    record = evaluate({"peer": sc}, corpora, splits, n_boot, seed)["peer"]
    return {"test_roc_auc": test_auc, "threshold": threshold} | {k: record[k] for k in ("in_domain", "cross_corpus")}


def corpora_at_hand() -> tuple[dict, dict[str, str]]:
    """({name: CorpusSplit} of every corpus whose files are found, {name: why not} for the others)."""
    from src.data.corpora import CORPORA, load_corpus_split

    found, missing = {}, {}
    for name in CORPORA:
        try:
            found[name] = load_corpus_split(name)
        except FileNotFoundError as e:
            missing[name] = " ".join(str(e).split())
    return found, missing


def peer_quality(specs: dict[str, dict], splits) -> dict[str, dict]:
    """bench row -> `quality` of each peer spec, scored in this process (the speed rows come from spawned children)."""
    corpora, missing = corpora_at_hand() if any(s["kind"] == "peer" for s in specs.values()) else ({}, {})
    out = {}
    for name, spec in specs.items():
        if spec["kind"] == "peer":
            fn = load_peer(spec["module"])[0]
            score = lambda texts, fn=fn: fn(texts, 256)[:, 0]  # noqa: E731
            out[name] = quality(score, splits, corpora) | {"corpora_missing": missing}
    return out


def peer_specs() -> tuple[dict[str, dict], dict[str, str]]:
    """(bench specs of the installed peers, {peer: how to install it} for the others)."""
    specs, absent = {}, {}
    for name, module in PEERS.items():
        if available(module):
            specs[name] = {"kind": "peer", "module": module, "note": "peer (requirements-peers.txt): one score"}
        else:
            absent[name] = f"not installed: {INSTALL}"
    return specs, absent
