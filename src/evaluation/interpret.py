"""Attention as interpretation: probe probabilities and per-token attention heatmaps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from src.training.loop import pad


@torch.no_grad()
def probe_table(model, tokenizer, texts: list[str], labels: list[str]) -> pd.DataFrame:
    """Probabilities per label for each probe sentence (rows in input order)."""
    model.eval()
    p = torch.sigmoid(model(pad(tokenizer.encode(texts)))).numpy()
    return pd.DataFrame(p, index=texts, columns=labels).round(3)


@torch.no_grad()
def attention_of(model, tokenizer, text: str, layer: int = -1) -> tuple[list[str], np.ndarray]:
    """(tokens, (T, T) weights averaged over heads) of one text at one layer."""
    model.eval()
    model(pad(tokenizer.encode([text])))
    w = model.attention_maps()[layer][0].mean(0).numpy()  # (T, T)
    return tokenizer.tokens(text), w


def plot_attention(model, tokenizer, texts: list[str], ncols: int = 3, layer: int = -1):
    """One heatmap per text: row = query token, column = attended token; returns the figure."""
    nrows = -(-len(texts) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.6 * nrows), squeeze=False)
    for ax, text in zip(axes.ravel(), texts, strict=False):
        toks, w = attention_of(model, tokenizer, text, layer)
        # Own colour scale per sentence: near-uniform attention (1/T everywhere) would otherwise look blank.
        im = ax.imshow(w, cmap="viridis", vmin=0, vmax=float(w.max()))
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
        ax.set_xticks(range(len(toks)), toks, rotation=90, fontsize=7)
        ax.set_yticks(range(len(toks)), toks, fontsize=7)
        ax.set_title(text if len(text) < 45 else text[:42] + "...", fontsize=8)
    for ax in axes.ravel()[len(texts) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def attention_received(model, tokenizer, texts: list[str], layer: int = -1) -> pd.DataFrame:
    """Per text, the 3 tokens that receive the most attention (column mean of the weights)."""
    rows = {}
    for text in texts:
        toks, w = attention_of(model, tokenizer, text, layer)
        got = w.mean(0)  # (T,) average attention each token receives
        top = np.argsort(-got)[:3]
        rows[text] = ", ".join(f"{toks[i]} ({got[i]:.2f})" for i in top)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["most attended tokens"])
