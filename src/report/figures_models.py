"""Report figures about models: test AUC against parameters (the report's question), learning curves, the Pareto
plots of AUC against bytes and speed, and the pruning curve."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from src.evaluation import question
from src.report import published
from src.report.figures_common import (
    COLORS,
    NOTEBOOK_COLORS,
    NOTEBOOK_MARKERS,
    MissingData,
    baseline_auc,
    dataset_name,
    get,
    model_points,
    need,
    new_figure,
    short,
    style,
)


def size_answer(docs: Mapping[str, dict]) -> dict:
    """The report's question restated on test macro AUC over every results file (`question.smallest`): the fewest
    parameters that match the baseline and that beat it by more than one seed std. Answers are model_points rows."""
    base, base_std, base_name = baseline_auc(docs)
    pts = model_points(docs)
    pts = pts[pts.notebook != "baseline"].sort_values(["params", "mean"], ascending=[True, False])
    rows = [r | {"name": f"{r['notebook']}: {r['model']}", "n": r["n_seeds"]} for r in pts.to_dict("records")]
    return question.smallest(rows, base) | {"baseline_std": base_std, "baseline_model": base_name}


def _annotate_answer(ax, row: dict | None, text: str, dy: float) -> None:
    if row is None:
        return
    label = f"{text}:\n{short(row['notebook'] + ': ' + row['model'], 34)}, {row['params']:,} params"
    arrow = {"arrowstyle": "-|>", "lw": 0.6, "color": "k", "shrinkB": 3}
    ax.annotate(label, (row["params"], row["mean"]), xytext=(10, dy), textcoords="offset points", fontsize=6)
    ax.annotate("", (row["params"], row["mean"]), xytext=(10, dy), textcoords="offset points", arrowprops=arrow)


def size_vs_auc(docs: Mapping[str, dict]) -> Figure:
    """Test macro AUC against total parameters (log x) for every model, seed spread as error bars, the baseline line."""
    pts, ans = model_points(docs), size_answer(docs)
    ds = dataset_name(docs["baseline"])
    with style():
        fig, (ax,) = new_figure(1)
        for nb, df in pts.groupby("notebook", sort=False):
            c, mk = NOTEBOOK_COLORS.get(nb, "0.4"), NOTEBOOK_MARKERS.get(nb, "o")
            yerr = df["std"].where(df.n_seeds >= 2, 0)
            ms = 7 if mk == "*" else 3.5
            ax.errorbar(df.params, df["mean"], yerr=yerr, fmt=mk, ms=ms, color=c, lw=0.8, capsize=2, label=nb)
        base, std = ans["baseline"], ans["baseline_std"]
        ax.axhline(base, color="k", ls="--", lw=0.8, label=f"TF-IDF + LR baseline ({base:.3f})")
        if std:
            ax.axhspan(base - std, base + std, color="k", alpha=0.08, lw=0)
        cap = published.TINY_SETUP["max_params"]  # the report's bound on its tiny models
        ax.axvspan(pts.params.min() / 1.5, cap, color="0.92", lw=0, zorder=0)
        ax.text(
            cap,
            ax.get_ylim()[0],
            f"report's tiny models: ≤ {cap // 1000}K params ",
            fontsize=5.5,
            ha="right",
            va="bottom",
        )
        _annotate_answer(ax, ans["matches"], "smallest ≥ baseline", -34)
        _annotate_answer(ax, ans["beats"], "smallest above by > 1 std", 22)
        ax.set_xscale("log")
        ax.set(xlabel="total parameters (log scale)", ylabel=f"test macro ROC AUC ({ds})")
        ax.set_title(f"{ds}: test macro AUC against size (mean ± sample std over seeds where stored)")
        ax.legend(loc="lower right", ncols=2)
    return fig


def _curve_models(doc: Mapping) -> dict[str, dict]:
    """The report's setting and the fixed recipe (the checkpointed record), where their epoch history is stored."""
    models = doc.get("models") or {}
    keep = ["report_setting"] + [n for n, m in models.items() if m.get("checkpoint")]
    return {n: models[n] for n in keep if get(models, n, "val_auc_per_epoch")}


def learning_curve(docs: Mapping[str, dict]) -> Figure:
    """BaseAttention: validation macro AUC per epoch, the report's setting against the fixed recipe."""
    doc = need(docs, "BaseAttention")
    runs = _curve_models(doc)
    if not runs:
        raise MissingData(
            "results/BaseAttention.json: models.report_setting.val_auc_per_epoch and the same key on the "
            "checkpointed model (lists of per-epoch validation macro AUC) are not stored"
        )
    ds = dataset_name(doc)
    with style():
        fig, (ax,) = new_figure(1)
        for i, (name, m) in enumerate(runs.items()):
            y = m["val_auc_per_epoch"]
            t = m.get("train") or {}
            role = "the report's setting" if name == "report_setting" else "fixed recipe"
            lr = f", lr {t['lr_max']:g} → {t['lr_min']:g}" if "lr_max" in t and "lr_min" in t else ""
            label = f"{role} ({name}{lr})"
            ax.plot(np.arange(1, len(y) + 1), y, marker="o", ms=3, color=COLORS[i], label=label)
            best = m.get("best_epoch")
            if isinstance(best, int) and 1 <= best <= len(y):  # 1-based, as BaseAttention stores it
                ax.plot(best, y[best - 1], "k*", ms=8)
        ax.set(xlabel="epoch", ylabel=f"validation macro ROC AUC ({ds})", title=f"{ds}: learning curves (★ best epoch)")
        ax.legend(loc="lower right")
    return fig
