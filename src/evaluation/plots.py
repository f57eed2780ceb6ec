"""Plot helpers for the notebooks (seaborn over matplotlib): aggregates only, never raw comment text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def heatmap(matrix: np.ndarray, labels: list[str], title: str, fmt: str = ".2f"):
    """Annotated square heatmap in LABELS order (rows and columns)."""
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.0 * len(labels) + 1.5))
    frame = pd.DataFrame(matrix, index=labels, columns=labels)
    sns.heatmap(frame, annot=True, fmt=fmt, cmap="viridis", square=True, cbar_kws={"fraction": 0.046}, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _long_lengths(lengths: dict[str, np.ndarray], y: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """Long form (tokenisation, group, tokens): a comment appears once per label it has, or under 'no label'."""
    y = np.asarray(y) > 0
    parts = []
    for how, ln in lengths.items():
        for j, lab in enumerate(labels):
            parts.append(pd.DataFrame({"tokenisation": how, "group": lab, "tokens": ln[y[:, j]]}))
        parts.append(pd.DataFrame({"tokenisation": how, "group": "no label", "tokens": ln[~y.any(axis=1)]}))
    return pd.concat(parts, ignore_index=True)


def lengths_per_label(lengths: dict[str, np.ndarray], y: np.ndarray, labels: list[str], cap: int | None = None):
    """One box plot panel per tokenisation: token lengths per label and for rows with no label."""
    data = _long_lengths(lengths, y, labels)
    order = [*labels, "no label"]
    fig, axes = plt.subplots(1, len(lengths), figsize=(5 * len(lengths), 3.8), squeeze=False)
    for ax, how in zip(axes[0], lengths, strict=True):
        part = data[data.tokenisation == how]
        sns.boxplot(part, x="group", y="tokens", order=order, showfliers=False, color="C0", ax=ax)
        ax.set(title=f"tokens per comment ({how})", xlabel="")
        ax.tick_params(axis="x", rotation=30)
        if cap:
            ax.axhline(cap, color="r", ls="--", lw=1, label=f"{cap} tokens")
            ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def length_cdf(lengths: dict[str, np.ndarray], marks: tuple[float, ...] = (0.9, 0.95)):
    """Cumulative share of comments by token length, with the lengths covering `marks` annotated."""
    data = pd.concat([pd.DataFrame({"tokenisation": how, "tokens": ln}) for how, ln in lengths.items()])
    fig, ax = plt.subplots(figsize=(6, 3.8))
    sns.ecdfplot(data, x="tokens", hue="tokenisation", ax=ax)
    colors = dict(zip(lengths, sns.color_palette(n_colors=len(lengths)), strict=True))
    for how, ln in lengths.items():
        for q in marks:
            ax.axvline(np.quantile(ln, q), ls=":", lw=1, color=colors[how])
    for q in marks:
        ax.axhline(q, color="grey", lw=0.5)
    ax.set(xscale="symlog", xlabel="tokens", ylabel="share of comments")
    fig.tight_layout()
    return fig


def pareto(points: pd.DataFrame, x: str, y: str, front: pd.DataFrame, ax, hue: str | None = None, label: str = "model"):
    """Scatter of models (x vs y) with their Pareto front drawn through and annotated."""
    sns.scatterplot(points, x=x, y=y, hue=hue, s=30, alpha=0.75, ax=ax, legend=hue is not None)
    ax.plot(front[x], front[y], "k-", lw=0.8)
    for _, r in front.iterrows():
        ax.annotate(str(r[label])[:28], (r[x], r[y]), fontsize=6, xytext=(3, -8), textcoords="offset points")
    ax.set_xscale("log")
    return ax
