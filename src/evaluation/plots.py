"""Plot helpers for the notebooks: aggregates only, never raw comment text."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def heatmap(matrix: np.ndarray, labels: list[str], title: str, fmt: str = "{:.2f}"):
    """Annotated square heatmap in LABELS order (rows and columns)."""
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.0 * len(labels) + 1.5))
    im = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    hi = np.nanmax(matrix) if np.size(matrix) else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j, i, fmt.format(matrix[i, j]), ha="center", va="center", color="w" if matrix[i, j] < hi / 2 else "k"
            )
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def lengths_per_label(lengths: dict[str, np.ndarray], y: np.ndarray, labels: list[str], cap: int | None = None):
    """One box plot panel per tokenisation: token lengths per label and for rows with no label."""
    y = np.asarray(y) > 0
    names = [*labels, "no label"]
    fig, axes = plt.subplots(1, len(lengths), figsize=(5 * len(lengths), 3.8), squeeze=False)
    for ax, (how, ln) in zip(axes[0], lengths.items(), strict=True):
        groups = [ln[y[:, j]] for j in range(len(labels))] + [ln[~y.any(axis=1)]]
        ax.boxplot([g if len(g) else [np.nan] for g in groups], showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=30)
        ax.set_title(f"tokens per comment ({how})")
        if cap:
            ax.axhline(cap, color="r", ls="--", lw=1, label=f"{cap} tokens")
            ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def length_cdf(lengths: dict[str, np.ndarray], marks: tuple[float, ...] = (0.9, 0.95)):
    """Cumulative share of comments by token length, with the lengths covering `marks` annotated."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for how, ln in lengths.items():
        xs = np.sort(ln)
        ax.plot(xs, np.arange(1, len(xs) + 1) / len(xs), label=how)
        for q in marks:
            ax.axvline(np.quantile(ln, q), ls=":", lw=1, color=ax.lines[-1].get_color())
    for q in marks:
        ax.axhline(q, color="grey", lw=0.5)
    ax.set_xscale("symlog")
    ax.set_xlabel("tokens")
    ax.set_ylabel("share of comments")
    ax.legend()
    fig.tight_layout()
    return fig
