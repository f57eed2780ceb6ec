"""Shrink notebook figures and the size/quality picture: the pruning curve, every results file's models by bytes
(with this run's own records in place of its older file), their Pareto front, and AUC vs CPU throughput."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from src.evaluation import compress, plots
from src.studies.shrink import TEACHER_TIMING_ROWS

NOTEBOOK = "Shrink"


def pruning_figure(pruned: pd.DataFrame, dense_val: float, dataset: str):
    """Validation macro AUC against sparsity, before and after the fine-tune, with and without the embedding."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for emb, style in ((True, "o-"), (False, "s--")):
        part = pruned[pruned.embedding_pruned == emb]
        label = "embeddings pruned" if emb else "Linear only"
        ax.plot(part.amount, part.val_auc, style, label=f"{label}, after fine-tune")
        ax.plot(part.amount, part.val_auc_no_ft, style, alpha=0.35, label=f"{label}, before fine-tune")
    ax.axhline(dense_val, color="gray", ls=":", label="dense")
    ax.set(xlabel="sparsity of the pruned set", ylabel="validation macro ROC AUC")
    ax.set_title(f"Global magnitude pruning ({dataset})")
    ax.legend(fontsize=7)
    return fig


def size_points(entries: dict, directory=None) -> pd.DataFrame:
    """(notebook, model, params, size_bytes, test_auc) of every scored model in results/*.json, this notebook's
    from `entries` (what its results file is about to hold), in the order `compress.results_points` reads them."""
    rows = [p for p in compress.results_points(directory) if p["notebook"] != NOTEBOOK]
    for name, m in entries.items():
        auc = m["test"]["roc_auc"]["macro"]
        if auc is not None and auc == auc and m.get("size_bytes"):  # NaN is not scored (null in the file)
            rows.append({"notebook": NOTEBOOK, "model": name, "params": m["params"]["total"]})
            rows[-1] |= {"size_bytes": m["size_bytes"], "test_auc": auc}
    rows.sort(key=lambda p: f"{p['notebook']}.json")  # stable: file order as results_points, rows in file order
    return pd.DataFrame(rows)


def pareto_bytes(points: pd.DataFrame) -> dict:
    """The results-file record of the size front: {"front": rows by size, "off_front": the other rows}."""
    idx = compress.pareto_front(list(points.size_bytes), list(points.test_auc))
    cols = ["notebook", "model", "params", "size_bytes", "test_auc"]
    on = points.index.isin(points.index[idx])
    return {
        "front": points.iloc[idx][cols].to_dict(orient="records"),
        "off_front": points[~on][cols].to_dict(orient="records"),
    }


def pareto_figure(points: pd.DataFrame, speed: pd.DataFrame):
    """AUC vs bytes (every notebook) and AUC vs end-to-end throughput (models loaded here), fronts drawn through."""
    front = points.iloc[compress.pareto_front(list(points.size_bytes), list(points.test_auc))]
    sp = speed.dropna(subset=["test_auc"]).rename_axis("model").reset_index()
    sp_front = sp.iloc[compress.pareto_front(list(sp.comments_per_s), list(sp.test_auc), bigger_x=True)]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8))
    plots.pareto(points, "size_bytes", "test_auc", front, a1, hue="notebook")
    a1.set(xlabel="bytes on disk (log)", ylabel="test macro ROC AUC", title="AUC vs size, all notebooks")
    plots.pareto(sp, "comments_per_s", "test_auc", sp_front, a2)
    a2.set(xlabel="comments/s end to end, batch 256, 2 threads (log)", ylabel="test macro ROC AUC")
    a2.set_title("AUC vs CPU throughput")
    fig.tight_layout()
    return fig, front


def timed_specs(specs: dict[str, dict], quick: bool, teacher_rows: int = TEACHER_TIMING_ROWS) -> dict[str, dict]:
    """The bench's model specs with the MiniLM teacher timed on its first `teacher_rows` comments (left out in quick)."""
    if "minilm_l6_teacher" in specs:
        specs["minilm_l6_teacher"]["cap"] = teacher_rows
    if quick:
        specs.pop("minilm_l6_teacher", None)
    return specs


def with_teacher_auc(speed: pd.DataFrame, teacher_test: dict[str, float]) -> pd.DataFrame:
    """The throughput table with the teacher's test AUC taken from its cached probabilities (not its capped rows)."""
    if "minilm_l6_teacher" in speed.index and "minilm_l6" in teacher_test:
        speed.loc["minilm_l6_teacher", "test_auc"] = teacher_test["minilm_l6"]
    return speed
