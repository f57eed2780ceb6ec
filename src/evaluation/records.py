"""Results-file records: one model's entry (params, bytes, validation/test metrics) and a seed summary over runs."""

from __future__ import annotations

from src.evaluation.metrics import seed_summary


def model_entry(total: int, trainable: int, size_bytes: int, scores: dict, **extra) -> dict:
    """One model's record: params, bytes on disk, {"validation": M, "test": M} and any extras."""
    return {
        "params": {"total": int(total), "trainable": int(trainable)},
        "size_bytes": int(size_bytes),
        **scores,
        **extra,
    }


def seed_record(scores_by_seed: dict) -> dict:
    """{metric: seed_summary} over seeds (or seed groups) of test/validation macro AUC and each derived label's F1."""
    runs = scores_by_seed.values()
    rec = {
        "test_macro_auc": seed_summary({k: x["test"]["roc_auc"]["macro"] for k, x in scores_by_seed.items()}),
        "val_macro_auc": seed_summary({k: x["validation"]["roc_auc"]["macro"] for k, x in scores_by_seed.items()}),
    }
    for name in next(iter(runs))["test"].get("derived", {}):
        f1 = {k: x["test"]["derived"][name]["f1_at_tuned"] for k, x in scores_by_seed.items()}
        rec[f"test_{name}_f1"] = seed_summary(f1)
    return rec
