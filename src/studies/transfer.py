"""Transfer notebook code: every saved model's `hate` score on the evaluation halves of the corpora beyond GHC.

Evaluation only: nothing here trains on, tunes on or chooses by a corpus. Thresholds are each model's own,
tuned on the training dataset's validation split; the corpora only measure.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from src.data.corpora import CorpusSplit
from src.data.datasets import Splits, label_matrix
from src.evaluation.metrics import best_f1_threshold
from src.evaluation.transfer import auc_with_interval, cross_corpus, flag_rate
from src.models.tfidf import TfidfConfig
from src.studies import baseline as baseline_model
from src.studies.behaviour import DEFAULT_MODEL, SUITE_LABELS, saved_models

# What `hate` means per training dataset: GHC's own "Hate" (max of hd, cv: the checkpoints' derived column);
# Jigsaw has no hd/cv, so its closest label, identity_hate, as the Behaviour notebook's suite reads it.
HATE_NOTE = {
    "ghc": "hate = max(hd, cv) probability (GHC's 'Hate' label; the checkpoints' derived `hate` column)",
    "jigsaw": "hate = identity_hate probability (Jigsaw has no hd/cv; its closest label, as in the Behaviour suite)",
}
GOAL_CONTRAST = "hate"  # the contrast the cross-corpus goal reads: the corpus' binary hate label


@dataclass(frozen=True)
class HateScorer:
    """A model seen through its `hate` score, the threshold of its `hate` flag and its size."""

    score: Callable[[list[str]], np.ndarray]  # texts -> hate score in [0, 1]
    threshold: float  # validation-tuned threshold of the hate flag (never tuned on a corpus)
    params: dict[str, int]  # {"total", "trainable"}
    size_bytes: int  # bytes on disk
    note: str  # where the model came from


def hate_column(dataset: str) -> str:
    """The label or derived label read as `hate` for models trained on `dataset` (see HATE_NOTE)."""
    if dataset not in SUITE_LABELS:
        raise ValueError(f"no `hate` derivation for dataset {dataset!r}; known: {sorted(SUITE_LABELS)}")
    return SUITE_LABELS[dataset]["hate"]


def _hate(matrix: np.ndarray, labels: list[str], members: tuple[str, ...]) -> np.ndarray:
    return matrix[:, [labels.index(m) for m in members]].max(axis=1)


def tfidf_scorer(splits: Splits, cfg: TfidfConfig) -> HateScorer:
    """TF-IDF + LR of the train split (the baseline notebook's saved model when it matches), threshold from validation."""
    labels, col = list(splits.spec.labels), hate_column(splits.spec.name)
    members = tuple(dict(splits.spec.derived).get(col, (col,)))
    model, note = baseline_model.fitted(splits, cfg)  # as Behaviour's tfidf_predictor
    p_val = _hate(model.predict_proba(list(splits.val["text"])), labels, members)
    thr = best_f1_threshold(_hate(label_matrix(splits.val, labels), labels, members), p_val)

    def score(texts: list[str]) -> np.ndarray:
        return _hate(model.predict_proba(texts), labels, members)

    n = model.n_params()
    return HateScorer(score, thr, {"total": n, "trainable": n}, len(model.to_bytes()), note)


def checkpoint_scorer(path: Path, dataset: str, batch_size: int = 256) -> HateScorer:
    """A saved checkpoint through the serving API: its `hate` column and its stored tuned threshold."""
    from src.models.size import count_params
    from src.serving.predict import load

    pred, col = load(path), hate_column(dataset)
    if col not in pred.names:
        raise ValueError(f"{path}: no {col!r} column (it has {pred.names}); {HATE_NOTE.get(dataset, '')}")

    def score(texts: list[str]) -> np.ndarray:
        return pred.predict(texts, batch_size)[col].to_numpy(dtype=np.float64)

    note = f"{path.name} via src.serving.predict.load (stored thresholds)"
    return HateScorer(score, pred.threshold(col), count_params(pred.model), path.stat().st_size, note)


def scorers(splits: Splits, cfg: TfidfConfig, models: Path, batch_size: int = 256) -> dict[str, HateScorer]:
    """{name: scorer}: TF-IDF + LR first, then every saved checkpoint for the dataset (models/<name>_<dataset>.pt)."""
    out = {"tfidf_lr": tfidf_scorer(splits, cfg)}
    for name, path in saved_models(models, splits.spec.name).items():
        out[name] = checkpoint_scorer(path, splits.spec.name, batch_size)
    return out


def teacher_entry(dataset: str, models: Path) -> dict:
    """The MiniLM teacher's results entry: skipped, with the reason (no fine-tuned weights exist to score text)."""
    caches = sorted(p.name for p in models.glob(f"teacher_{dataset}*probs.npz"))
    have = f" ({', '.join(caches)} hold its probabilities of {dataset}'s own splits only)" if caches else ""
    return {
        "skipped": True,
        "note": "not available: the teacher runs (python -m src.apps.teacher finetune|oof, on a GPU) save probability "
        f"caches, never the fine-tuned weights{have}, and no weights are committed; scoring the corpora needs a "
        "fine-tune that keeps its weights or scores these evaluation halves in the same run.",
    }


def in_domain(sc: HateScorer, splits: Splits, n_boot: int, seed: int) -> dict:
    """The same score on the training dataset's own test split: hate AUC with interval, non-hate flag rate."""
    labels, col = list(splits.spec.labels), hate_column(splits.spec.name)
    members = tuple(dict(splits.spec.derived).get(col, (col,)))
    y = _hate(label_matrix(splits.test, labels), labels, members).astype(int)
    s = sc.score(list(splits.test["text"]))
    rate = {"value": flag_rate(s[y == 0], sc.threshold), "n": int((y == 0).sum()), "threshold": sc.threshold}
    return {"auc": {"hate": auc_with_interval(y, s, n_boot, seed)}, "not_hate_flag_rate": rate}


def evaluate(
    scs: dict[str, HateScorer], corpora: dict[str, CorpusSplit], splits: Splits, n_boot: int, seed: int
) -> dict[str, dict]:
    """Results-file entries {model: {"params", "size_bytes", "threshold", "note", "in_domain", "cross_corpus"}}."""
    out = {}
    for name, sc in scs.items():
        cross = {
            c: cross_corpus(
                sc.score(list(cs.evaluation.frame["text"])), cs.evaluation, cs.spec, sc.threshold, n_boot, seed
            )
            for c, cs in corpora.items()
        }
        out[name] = {"params": sc.params, "size_bytes": sc.size_bytes, "threshold": sc.threshold, "note": sc.note}
        out[name] |= {"in_domain": in_domain(sc, splits, n_boot, seed), "cross_corpus": cross}
    return out


def default_model(models: dict[str, dict]) -> str:
    """The results file's `best`: the saved default model when scored, else TF-IDF (the table never chooses one)."""
    return DEFAULT_MODEL if DEFAULT_MODEL in models else "tfidf_lr"


def baseline_record(
    models: dict[str, dict], corpora: dict[str, CorpusSplit], checkpoint: Path, previous: dict | None
) -> dict | None:
    """Today's default-model cross-corpus AUCs: carried over from `previous` (the last results file) when it measured
    the same evaluation halves, else measured in this run. None when the default model is not saved."""
    fps = {c: cs.evaluation.fingerprint for c, cs in corpora.items()}
    prev = (previous or {}).get("baseline_default_model")
    if prev and prev.get("fingerprints") == fps:
        return prev | {"source": "carried over from the previous results/Transfer.json: same evaluation halves"}
    if DEFAULT_MODEL not in models or not corpora:
        return None
    from src.serving.bundle import sha256_file

    return {
        "model": DEFAULT_MODEL,
        "checkpoint_sha256": sha256_file(checkpoint),
        "auc": {c: models[DEFAULT_MODEL]["cross_corpus"][c]["auc"][GOAL_CONTRAST]["value"] for c in corpora},
        "fingerprints": fps,
        "recorded": datetime.date.today().isoformat(),
        "source": "measured in this run: no earlier record of these evaluation halves",
    }


def goals(models: dict[str, dict], baseline: dict | None) -> dict:
    """The cross-corpus goal: the default model's hate AUC on each corpus no lower than the recorded baseline
    (compared at 4 decimals: float noise across machines is not a change)."""
    recorded = baseline is not None
    out = {"baseline_recorded": {"value": recorded, "target": "baseline_default_model stored", "met": recorded}}
    if baseline is None or DEFAULT_MODEL not in models:
        return out
    for c, base in baseline["auc"].items():
        now = models[DEFAULT_MODEL]["cross_corpus"].get(c, {}).get("auc", {}).get(GOAL_CONTRAST, {}).get("value")
        met = now is not None and round(now, 4) >= round(base, 4)
        out[f"default_model_{c}_hate_auc_ge_baseline"] = {"value": now, "target": f">= {base:.4f}", "met": met}
    return out
