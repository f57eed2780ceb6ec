"""Report figures about the data and per-label behaviour: label rates and lengths, per-label F1 beside the report's,
the 8 headline metrics beside the report's, identity false-positive rate by group."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from src.report import published
from src.report.figures_common import COLORS, NOTEBOOK_COLORS, MissingData, dataset_name, get, need, new_figure, style


def _bars(ax, groups: list[str], series: dict[str, list], fmt: str | None = None, colors=None, alphas=None) -> None:
    """Grouped bars: one group per x tick, one bar per series (None values leave a gap), optional value labels."""
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        x = np.arange(len(groups)) + (i - (len(series) - 1) / 2) * width
        y = np.array([np.nan if v is None else float(v) for v in values])
        alpha = alphas[i] if alphas else 1.0
        bars = ax.bar(x, y, width, label=name, color=(colors or COLORS)[i % 10], alpha=alpha)
        if fmt:
            ax.bar_label(bars, labels=["" if np.isnan(v) else format(v, fmt) for v in y], fontsize=5.5, padding=1)
    ax.set_xticks(np.arange(len(groups)), groups)


def label_rates_lengths(docs: Mapping[str, dict]) -> Figure:
    """LookAtData: each label's positive rate in train and test, and comment length quantiles per tokenisation."""
    doc = need(docs, "LookAtData")
    labels, ds = doc["labels"], dataset_name(doc)
    with style():
        fig, (ax, bx) = new_figure(2, gridspec_kw={"width_ratios": [1, 1.2]})
        rates = {s: [get(doc, "rates", s, lab) for lab in labels] for s in ("train", "test")}
        _bars(ax, labels, {s: [100 * r for r in v] for s, v in rates.items()}, fmt=".1f")
        share = doc.get("all_zero_share")
        ax.set(ylabel="% of comments with the label", title=f"{ds}: label rates")
        ax.set_xlabel(f"no label at all: {100 * share:.1f}% of train" if share is not None else "")
        ax.legend(title="split")
        q = doc.get("length_quantiles") or {}
        if not q:
            raise MissingData("results/LookAtData.json: length_quantiles is missing")
        marks = list(next(iter(q.values())))
        _bars(bx, [f"{m[1:]}%" for m in marks], {tok: [v.get(m) for m in marks] for tok, v in q.items()}, fmt=".0f")
        bx.set(xlabel="share of comments at or below", ylabel="tokens", title=f"{ds}: comment length quantiles")
        bx.legend(title="tokenisation")
    return fig


def _f1(model: Mapping, label: str, where: str):
    return get(model, "test", where, "per_label", label, "f1")


def _our_f1_series(docs: Mapping[str, dict], labels: list[str]) -> dict[str, list]:
    """F1 per label at 0.5 and at the validation-tuned thresholds for the baseline's and BestResult's best models."""
    out = {}
    for nb in ("baseline", "BestResult"):
        doc = docs.get(nb) or {}
        m = get(doc, "models", doc.get("best"))
        if m:
            out[f"{nb} at 0.5"] = [_f1(m, lab, "at_0.5") for lab in labels]
            out[f"{nb} tuned"] = [_f1(m, lab, "at_tuned") for lab in labels]
    return out


def per_label_f1(docs: Mapping[str, dict]) -> Figure:
    """The report's per-label F1 (Jigsaw, GloVe model) and ours (test F1 at 0.5 and tuned), on separate axes."""
    doc = need(docs, "BestResult")
    labels, ds = doc["labels"], dataset_name(doc)
    best = get(doc, "models", doc.get("best")) or {}
    support = [get(best, "test", "at_0.5", "per_label", lab, "support") for lab in labels]
    with style():
        fig, (ax, bx) = new_figure(2, gridspec_kw={"width_ratios": [1.1, 1]})
        rep = published.PER_LABEL
        ticks = [f"{lab}\nn={v['support']}" for lab, v in rep.items()]
        _bars(ax, ticks, {"report's GloVe model": [v["f1"] for v in rep.values()]}, fmt=".2f", colors=[COLORS[7]])
        ax.set(ylim=(0, 1.05), ylabel="F1 (report's table)", title="report (Jigsaw): F1 per label")
        ax.tick_params(axis="x", labelsize=6)
        series = _our_f1_series(docs, labels)
        pal = [NOTEBOOK_COLORS[s.split()[0]] for s in series]  # each notebook's colour in every figure
        light = [0.45 if s.endswith("0.5") else 1.0 for s in series]  # at 0.5: light; tuned: solid
        ticks = [f"{lab}\nn={n}" for lab, n in zip(labels, support, strict=True)]
        _bars(bx, ticks, series, ".2f", colors=pal, alphas=light)
        bx.set(ylim=(0, 1.05), ylabel=f"test F1 ({ds})", title=f"ours ({ds}): test F1 per label")
        bx.legend(ncols=2, loc="upper right")
    return fig


def headline_metrics(docs: Mapping[str, dict]) -> Figure:
    """The report's 8 metrics for its three models (Jigsaw) and ours on test (at 0.5; AUC from probabilities)."""
    short_names = {"precision": "P", "recall": "R", "f1": "F1", "roc_auc": "AUC"}
    names = [f"{short_names[m.split()[0]]}\n{m.split()[1]}" for m in published.METRICS]
    ours = {}
    for nb in published.MODELS:
        doc = docs.get(nb) or {}
        m = get(doc, "models", doc.get("best"))
        if m:
            ours[nb] = [get(m, "test", *published.OUR_PATH[k]) for k in published.METRICS]
    if not ours:
        raise MissingData("results/baseline.json, BaseAttention.json and BestResult.json are all missing")
    ds = dataset_name(next(docs[nb] for nb in ours))
    with style():
        fig, (ax, bx) = new_figure(2, height=3.3)
        rep = {f"{nb}: {label}": [t.get(k) for k in published.METRICS] for nb, (label, t) in published.MODELS.items()}
        _bars(ax, names, rep, colors=[NOTEBOOK_COLORS[nb] for nb in published.MODELS])
        ax.set(ylim=(0, 1), title="report (Jigsaw): as published")
        _bars(bx, names, ours, colors=[NOTEBOOK_COLORS[nb] for nb in ours])
        bx.set(ylim=(0, 1), title=f"ours ({ds}): each notebook's best, test at 0.5")
        for a in (ax, bx):
            a.tick_params(axis="x", labelsize=6)
            a.legend(loc="upper left", fontsize=5.5)
    return fig


MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def _target(doc: Mapping) -> float | None:
    """The identity-FPR goal's bound from Behaviour.json's goals ('<= 0.10' -> 0.10)."""
    for key, g in (doc.get("goals") or {}).items():
        if key.startswith("identity_fpr") and (m := re.search(r"[\d.]+", str(g.get("target", "")))):
            return float(m.group())
    return None


def _group_tick(doc: Mapping, group: str) -> str:
    n = get(doc, "group_train_rates", group, "n_posts")
    return f"{group} ({n})" if n is not None else group


def identity_fpr(docs: Mapping[str, dict]) -> Figure:
    """Behaviour: hate-flag false-positive rate on non-hateful suite cases naming a group, per group and model."""
    doc = need(docs, "Behaviour")
    models = doc.get("models") or {}
    splits = [s for s in ("heldout", "train") if any(get(m, s, "identity_fpr", "by_group") for m in models.values())]
    if not splits:
        raise MissingData("results/Behaviour.json: models.<model>.heldout.identity_fpr.by_group is missing")
    ds, target = dataset_name(doc), _target(doc)
    with style():
        fig, axes = new_figure(len(splits), height=3.6, sharex=True)
        for ax, split in zip(axes, splits, strict=True):
            fpr = {n: get(m, split, "identity_fpr", "by_group") or {} for n, m in models.items()}
            groups = sorted(
                {g for v in fpr.values() for g in v}, key=lambda g: np.nanmean([v.get(g) for v in fpr.values()])
            )
            y = np.arange(len(groups))
            for i, (name, v) in enumerate(fpr.items()):
                off = (i - (len(fpr) - 1) / 2) * 0.13
                x = [np.nan if v.get(g) is None else v[g] for g in groups]
                ax.scatter(x, y + off, s=13, color=COLORS[i], marker=MARKERS[i % len(MARKERS)], label=name, zorder=3)
            for j in y[::2]:
                ax.axhspan(j - 0.5, j + 0.5, color="0.94", lw=0, zorder=0)  # bands keep each group's dots together
            ax.grid(False, axis="y")
            ax.set(ylim=(-0.5, len(groups) - 0.5))
            ax.set_yticks(y, [_group_tick(doc, g) for g in groups], fontsize=6.5)
            if target is not None:
                ax.axvline(target, color="k", ls="--", lw=0.8, label=f"goal ≤ {target:g}")
            part = "held-out groups" if split == "heldout" else "training groups"
            ax.set(xlabel="false-positive rate of the hate flag on non-hateful cases")
            ax.set_title(f"{ds}: identity false-positive rate by group, {part} of the suite")
        axes[0].set_ylabel(f"group ({ds} train posts naming it)")
        axes[-1].legend(loc="lower right")
    return fig
