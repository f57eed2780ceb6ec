"""BaseAttention notebook code, second half: the sweep plot, embedding starts, final seeds and candidates, the
saved model, and the report's question (the fewest parameters that are good enough)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from src.evaluation import question
from src.evaluation.records import seed_record
from src.models.size import count_params
from src.serving import checkpoint
from src.studies.baseattention import Sweep, Tokenized
from src.studies.records import final_entries, sweep_entries
from src.studies.runs import Encoded, Run, entry, init_vectors, predict_texts, scores, train_many
from src.studies.tables import sweep_row

GOAL_TEST_AUC = 0.84  # the best <= 200K model's mean test macro AUC we aim for on GHC


def plot_sweep(table: pd.DataFrame, base_val: float, report_auc: float, max_params: int, dataset: str):
    """Validation macro AUC of each sweep configuration against its parameters (log x), budget and references."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(table.params, table.val_macro_auc, c=["C0" if p <= max_params else "C3" for p in table.params])
    for name, r in table.iterrows():
        ax.annotate(name, (r.params, r.val_macro_auc), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(base_val, color="gray", ls="--", label=f"TF-IDF + LR ({base_val:.3f})")
    ax.axhline(report_auc, color="C1", ls=":", label=f"report setting ({report_auc:.3f})")
    ax.axvline(max_params, color="C3", lw=0.8, label=f"{max_params // 1000}K budget")
    ax.set(xscale="log", xlabel="parameters (log)", ylabel="validation macro ROC AUC", title=f"Size sweep ({dataset})")
    ax.legend(fontsize=8)
    return fig


def init_study(sw: Sweep, tk: Tokenized, best: str, sweep_run: Run, seed: int, workers: int) -> dict[str, Run]:
    """Random and skip-gram starts of configuration `best` beside the sweep's own PPMI run (same seed, same rows)."""
    v, cfg = sw.configs[best]
    starts = {kind: init_vectors(kind, tk.sweep[v], cfg.d_model, seed=seed) for kind in ("random", "skipgram")}
    jobs = [replace(sw.job(best, seed, tk.sweep), vectors=vec, desc=f"init {kind}") for kind, vec in starts.items()]
    inits = dict(zip(starts, train_many(jobs, workers), strict=True))
    inits["ppmi"] = sweep_run  # the sweep's run: same config, seed and start
    return inits


def init_table(inits: dict[str, Run], data: Encoded, labels: list[str], derived: dict) -> pd.DataFrame:
    """Sweep-table rows of each start, with its test macro AUC shown but never used to choose."""
    t = pd.DataFrame({k: sweep_row(r) for k, r in inits.items()}).T
    t["test_macro_auc (not used to choose)"] = [
        scores([r], data, labels, derived)["test"]["roc_auc"]["macro"] for r in inits.values()
    ]
    return t.round(4)


@dataclass
class Final:
    """The chosen configuration trained with every final seed, scored alone and as disjoint 2-seed ensembles."""

    runs: dict[int, Run]  # seed -> run on every train row
    groups: dict[str, list[tuple[int, ...]]]  # "single" / "2-seed ensemble" -> member seeds
    group_scores: dict[str, dict[tuple, dict]]  # group -> members -> evaluate_model scores
    spread: dict[str, dict]  # group -> seed_record (mean, sample std over runs)
    candidates: pd.DataFrame  # one row per group: params, runs, val/test mean and std
    best_kind: str  # the group with the higher mean validation AUC


def final_runs(sw: Sweep, tk: Tokenized, best: str, seeds: list[int], max_params: int, workers: int, **ev) -> Final:
    """Train `best` with every seed on all rows; add 2-seed ensembles when two copies fit `max_params`.

    `ev`: labels and derived, for scoring.
    """
    jobs = [replace(sw.job(best, s, tk.data), desc=f"seed {s}") for s in seeds]
    runs = dict(zip(seeds, train_many(jobs, workers), strict=True))
    total = count_params(runs[seeds[0]].model)["total"]
    groups: dict[str, list[tuple[int, ...]]] = {"single": [(s,) for s in seeds]}
    if 2 * total <= max_params:
        groups["2-seed ensemble"] = [tuple(seeds[i : i + 2]) for i in range(0, len(seeds) - 1, 2)]
    data = tk.data[sw.configs[best][0]]
    gs = {
        g: {m: scores([runs[s] for s in m], data, ev["labels"], ev["derived"]) for m in ms} for g, ms in groups.items()
    }
    spread = {g: seed_record(x) for g, x in gs.items()}  # mean and sample std over seeds or seed pairs
    cand = pd.DataFrame(
        {
            g: {
                "params": total * len(groups[g][0]),
                "runs": len(groups[g]),
                **{f"{split} {k}": r[f"{split}_macro_auc"][k] for split in ("val", "test") for k in ("mean", "std")},
            }
            for g, r in spread.items()
        }
    ).T
    return Final(runs, groups, gs, spread, cand, str(cand["val mean"].astype(float).idxmax()))


def save_single(fin: Final, seed: int, tok, path: Path, labels: list[str], derived: dict, dataset: str, texts):
    """Save the single model of `seed` with its validation-tuned thresholds; reload it and check its test output."""
    single = fin.group_scores["single"][(seed,)]
    run = fin.runs[seed]
    size = checkpoint.save(
        path, run.model, tok, labels, single["validation"]["at_tuned"]["thresholds"], dataset=dataset,
        derived=derived, derived_thresholds={k: v["threshold"] for k, v in single["validation"]["derived"].items()},
    )  # fmt: skip
    model, tok_again, _ = checkpoint.load(path, labels=labels)
    same = np.allclose(predict_texts(model, tok_again, list(texts)), run.p_test, atol=1e-6)
    return size, same


def verdict(fin: Final, report_auc: float, base: dict, inits: dict[str, Run], best: str, main: Run) -> pd.Series:
    """This run's answers in one column: report setting, baseline, starts, the best model and the goal."""
    best_test, single_test = fin.spread[fin.best_kind]["test_macro_auc"], fin.spread["single"]["test_macro_auc"]
    return pd.Series(
        {
            "report setting: best validation macro AUC": round(report_auc, 4),
            "TF-IDF + LR: validation / test macro AUC": f"{base['val']:.4f} / {base['test']:.4f}",
            "random vs skip-gram vs PPMI init (validation)": " / ".join(
                f"{r.history.best_auc:.4f}" for r in inits.values()
            ),
            "best model within budget": f"{fin.best_kind} of {best}: {int(fin.candidates.loc[fin.best_kind, 'params']):,} params",
            "its test macro AUC (mean ± std over runs)": f"{best_test['mean']:.4f} ± {best_test['std']:.4f}",
            "single model, test macro AUC over seeds": f"{single_test['mean']:.4f} ± {single_test['std']:.4f}",
            "beats TF-IDF + LR on test (every run of the best)": bool(min(best_test["values"]) > base["test"]),
            f"goal >= {GOAL_TEST_AUC} (mean of the best)": bool(best_test["mean"] >= GOAL_TEST_AUC),
            "seconds per epoch (best model, this run)": round(main.history.seconds_per_epoch, 1),
        }
    ).to_frame("this run")


def result_entries(report: tuple, runs: dict[str, list[Run]], sw: Sweep, tk: Tokenized, inits: dict, best: str, **ev):
    """Results records of the report setting, every sweep configuration (with its test spread over the question's
    seeds, `ev["spread"]`) and every embedding start. `report` = (run, scores, model config, train config)."""
    run, s, mcfg, tcfg = report
    labels, derived = ev["labels"], ev["derived"]
    models = {"report_setting": entry(run, s, config=asdict(mcfg), train=asdict(tcfg))}
    models |= sweep_entries(runs, sw.configs, tk.sweep, labels, derived)  # the rows they validated on
    for n, summary in ev["spread"].items():
        models[f"sweep: {n}"]["test_macro_auc_over_seeds"] = summary
    v, cfg = sw.configs[best]
    for k, r in inits.items():
        models[f"init: {k}"] = entry(r, scores([r], tk.sweep[v], labels, derived), config=asdict(cfg))
    return models


def final_records(fin: Final, size: int, sw: Sweep, best: str, checkpoint_name: str, seed: int) -> dict[str, dict]:
    """`best_single` (the saved model, with its seed record) and `best_2seed_ensemble` when it was scored."""
    extra = {"train": asdict(sw.train_cfg), "sweep_name": best, "checkpoint": f"models/{checkpoint_name}"}
    return final_entries(fin.runs[seed], fin.group_scores, size, sw.configs[best][1], **extra)


def report_question(models: dict[str, dict], baseline: dict, base_test: float) -> dict:
    """The report's question on this notebook's models: literally (2x a metric) and restated (match / beat)."""
    finals = {k: m for k, m in models.items() if k.startswith("best_") or k == "report_setting"}
    points = question.seed_points({k: m for k, m in models.items() if k.startswith(("sweep: ", "best_"))})
    return {"doubling": question.doubling(baseline, finals), **question.smallest(points, base_test)}


def doubling_table(answer: dict) -> pd.DataFrame:
    """The literal question as a table: each metric's baseline, 2x target, whether 2x is possible and reached."""
    return pd.DataFrame(answer["doubling"]).set_index("metric").round(3)
