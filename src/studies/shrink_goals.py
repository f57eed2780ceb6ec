"""Shrink notebook code, the small-model frontier's goals: the best student under each parameter budget (chosen on
validation, judged on test over seeds) and the saved students against TF-IDF + LR on every seed."""

from __future__ import annotations

# budget name -> (most parameters in total, embeddings and frozen tables included; test macro ROC AUC target)
BUDGETS = {"200k": (200_000, 0.865), "50k": (50_000, 0.850)}


def chosen(entries: dict[str, dict], limit: int, distilled_only: bool = False) -> str | None:
    """The student record over seeds with at most `limit` parameters in total (and a teacher, if `distilled_only`)
    that has the highest mean validation AUC; None without one. Used by these goals and by `make bench`'s."""
    cands = {
        k: e
        for k, e in entries.items()
        if k.startswith("student_")
        and "seeds" in e
        and e["params"]["total"] <= limit
        and (e.get("teacher") or not distilled_only)
    }
    return max(cands, key=lambda k: cands[k]["seeds"]["val_macro_auc"]["mean"]) if cands else None


def budget_goal(entries: dict[str, dict], limit: int, target: float) -> dict | None:
    """The student `chosen` within `limit` parameters, its test mean against `target`."""
    name = chosen(entries, limit)
    if name is None:
        return None
    e = entries[name]
    test = e["seeds"]["test_macro_auc"]
    return {
        "value": test["mean"],
        "target": f">= {target}",  # test macro ROC AUC, mean over seeds, of the student chosen on validation
        "met": bool(test["mean"] >= target),
        "student": name,
        "params": e["params"]["total"],
        "limit": limit,
        "test_std": test["std"],
        "seeds": test["seeds"],
        "val_mean": e["seeds"]["val_macro_auc"]["mean"],
    }


def saved_above_baseline(entries: dict[str, dict], baseline_auc: float) -> dict | None:
    """Every saved student's recipe above TF-IDF + LR on every seed: the lowest seed's margin per saved student."""
    saved = {k: e for k, e in entries.items() if e.get("saved") and "seeds" in e}
    if not saved:
        return None
    margins = {k: min(e["seeds"]["test_macro_auc"]["values"]) - baseline_auc for k, e in saved.items()}
    worst = min(margins, key=lambda k: margins[k])
    return {
        "value": margins[worst],
        "target": "> 0",  # each saved student's lowest-seed test macro AUC minus TF-IDF + LR's
        "met": bool(all(m > 0 for m in margins.values())),
        "worst": worst,
        "margins": margins,
    }


def frontier_goals(entries: dict[str, dict], baseline_auc: float | None) -> dict[str, dict]:
    """{goal: {"value", "target", "met", ...}} of this run; a goal without candidates (or baseline) is left out."""
    out = {}
    for budget, (limit, target) in BUDGETS.items():
        g = budget_goal(entries, limit, target)
        if g is not None:
            out[f"single_le_{budget}_test_auc_ge_{target}"] = g
    if baseline_auc is not None:
        g = saved_above_baseline(entries, baseline_auc)
        if g is not None:
            out["saved_students_above_tfidf_every_seed"] = g
    return out
