"""Shrink notebook code, the saved students: one per parameter budget (the student and teacher with the best mean
validation AUC within it, the pick the goals judge), its seed by BestResult's rule (the lowest identity FPR on the
behaviour suite's training part among seeds within `slack` of the best validation AUC), and the checkpoints."""

from __future__ import annotations

from src.common.results import models_dir
from src.evaluation.suite import build_suite
from src.evaluation.suite_score import score_suite
from src.serving import checkpoint
from src.studies.behaviour import tuned_view
from src.studies.bestresult import pick_seed
from src.studies.shrink_goals import BUDGETS


def budget_picks(rows: dict[tuple[str, str], dict]) -> dict[str, str]:
    """{student: teacher} to save: per budget of `BUDGETS`, the (student, teacher) row of `distill_rows` with the
    highest mean validation AUC among those within the budget's parameter limit ("plain" is a teacher here)."""
    picks: dict[str, str] = {}
    for limit, _ in BUDGETS.values():
        within = [k for k, r in rows.items() if r["params"] <= limit]
        if within:
            student, teacher = max(within, key=lambda k: rows[k]["val mean"])
            picks[student] = teacher
    return picks


def choose_seeds(
    study: dict,
    studs: dict,
    picks: dict[str, str],
    seed_scores: dict,
    spec,
    dataset: str,
    suite_seed: int,
    slack: float = 0.005,
) -> dict[str, dict]:
    """Per picked student, the seed rule's record: validation macro AUC and the suite's training-part identity FPR per
    seed (each at its own validation-tuned thresholds) and the seed `pick_seed` saves. The held-out part is never read."""
    suite = build_suite(suite_seed)
    out = {}
    for s, t in picks.items():
        ss, runs, tok = seed_scores[(s, t)], study[s][t]["runs"], studs[s][1]
        views = {k: tuned_view(r.model, tok, ss[k], spec, dataset) for k, r in runs.items()}
        scored: dict[int, dict] = {k: score_suite(v, suite, "train") for k, v in views.items()}
        fpr = {k: x["identity_fpr"]["overall"] for k, x in scored.items()}
        val = {k: x["validation"]["roc_auc"]["macro"] for k, x in ss.items()}
        rule = {"rule_slack": slack, "saved_seed": pick_seed(val, fpr, slack), "val_macro_auc": val}
        out[s] = {"teacher": t, **rule, "train_part_identity_fpr": fpr}
    return out


def save_students(study, studs, choice: dict[str, dict], seed_scores, test_auc, labels, derived, dataset: str):
    """Save each chosen student's run (teacher and seed as `choice` says) and remove this dataset's student checkpoints
    an earlier run saved that this one did not, so later notebooks read only this run's; {student: bytes}."""
    saved, paths = {}, set()
    for sname, c in choice.items():
        t, seed = c["teacher"], c["saved_seed"]
        s0, res = seed_scores[(sname, t)][seed], study[sname][t]
        path = models_dir() / f"shrink_{sname.replace('_', '')}_{dataset}.pt"
        meta = {"teacher": t, "alpha": res["alpha"], "teacher_test_macro_auc": test_auc.get(t), "seed": seed}
        derived_thr = {k: v["threshold"] for k, v in s0["validation"]["derived"].items()}
        thresholds = s0["validation"]["at_tuned"]["thresholds"]
        model, tok = res["runs"][seed].model, studs[sname][1]
        saved[sname] = checkpoint.save(
            path,
            model,
            tok,
            labels,
            thresholds,
            dataset=dataset,
            derived=derived,
            **meta,
            derived_thresholds=derived_thr,
        )
        paths.add(path)
        print(f"{path.name}: {saved[sname] / 1e3:.0f} kB, teacher {t}, alpha {res['alpha']}, seed {seed}")
    for old in sorted(set(models_dir().glob(f"shrink_student*_{dataset}.pt")) - paths):
        old.unlink()
        print(f"removed {old.name}: saved by an earlier run, not a budget's pick in this one")
    return saved
