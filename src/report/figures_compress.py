"""Report figures about making models small and fast: the Pareto plots (AUC against bytes and comments/s) and the
pruning curve."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from src.report.figures_common import (
    COLORS,
    MODEL_NOTEBOOKS,
    NOTEBOOK_COLORS,
    NOTEBOOK_MARKERS,
    MissingData,
    baseline_auc,
    dataset_name,
    get,
    need,
    new_figure,
    short,
    style,
)

# Which notebook a benchmarked model comes from, by its name's start (bench.json names the served models).
BENCH_FAMILIES = {"tfidf": "baseline", "baseattention": "BaseAttention", "bestresult": "BestResult"}
BENCH_FAMILIES |= {"student": "Shrink", "minilm": "Teacher"}


def _family(name: str) -> str:
    return next((nb for prefix, nb in BENCH_FAMILIES.items() if name.startswith(prefix)), "other")


def _speed_points(docs: Mapping[str, dict]) -> list[dict]:
    """Served models with bytes, comments/s and test AUC: bench.json, else Shrink.json's throughput table."""
    teacher = get(docs, "Teacher", "models", get(docs, "Teacher", "best"), "test", "roc_auc", "macro")
    rows = []
    for name, m in (get(docs, "bench", "models") or {}).items():
        auc = m.get("test_macro_roc_auc", teacher if _family(name) == "Teacher" else None)
        rows.append({"name": name, "bytes": m.get("size_bytes"), "per_s": m.get("ghc_test_batch256_per_s"), "auc": auc})
    if not rows:
        for name, m in (get(docs, "Shrink", "throughput") or {}).items():
            rows.append(
                {"name": name, "bytes": m.get("size_bytes"), "per_s": m.get("comments_per_s")}
                | {"auc": m.get("test_auc")}
            )
    return [r | {"notebook": _family(r["name"]), "served": True} for r in rows]


def pareto_points(docs: Mapping[str, dict]) -> pd.DataFrame:
    """Served models (with speed) and every results-file model with bytes on disk (no speed): name, notebook, bytes,
    per_s, auc, served."""
    rows = _speed_points(docs)
    for nb in MODEL_NOTEBOOKS:
        for name, m in (get(docs, nb, "models") or {}).items():
            auc = get(m, "test", "roc_auc", "macro")
            if m.get("size_bytes") and auc is not None:
                label = f"{nb}: best" if name == get(docs, nb, "best") else f"{nb}: {name}"
                rows.append({"name": label, "notebook": nb, "bytes": m["size_bytes"], "per_s": None})
                rows[-1] |= {"auc": auc, "served": False}
    df = pd.DataFrame(rows, columns=["name", "notebook", "bytes", "per_s", "auc", "served"])
    return df.dropna(subset=["auc"]).astype({"bytes": float, "per_s": float, "auc": float})


def front(df: pd.DataFrame, x: str, smaller_better: bool) -> pd.DataFrame:
    """The Pareto front of `df` on (x, auc): no other point is both better on x and higher in AUC."""
    d = df.dropna(subset=[x]).sort_values([x, "auc"], ascending=[smaller_better, False])
    return d[d["auc"] > d["auc"].cummax().shift(fill_value=-1.0)]


def _panel(ax, df: pd.DataFrame, x: str, smaller_better: bool) -> None:
    """One Pareto panel: points by notebook (hollow: not served/benchmarked), the front joined and named."""
    for nb, d in df.dropna(subset=[x]).groupby("notebook", sort=False):
        c, mk = NOTEBOOK_COLORS.get(nb, "0.4"), NOTEBOOK_MARKERS.get(nb, "o")
        served, stored = d[d.served], d[~d.served]
        ax.scatter(served[x], served.auc, s=45 if mk == "*" else 16, marker=mk, color=c, label=nb, zorder=3)
        ax.scatter(stored[x], stored.auc, s=14, marker=mk, facecolors="none", edgecolors=c, lw=0.7, zorder=2)
    f = front(df, x, smaller_better)
    ax.plot(f[x], f.auc, "k-", lw=0.7, zorder=1)
    last = None
    for i, (_, r) in enumerate(f.iterrows()):
        here = (np.log10(r[x]), r.auc)
        if last and abs(here[0] - last[0]) < 0.25 and abs(here[1] - last[1]) < 0.008:
            continue  # a name next to the last one would overprint it; the point stays on the front line
        dy = (-9, 4)[i % 2]  # alternate below/above so neighbouring names do not overlap
        ax.annotate(short(r["name"], 26), (r[x], r.auc), xytext=(3, dy), textcoords="offset points", fontsize=5)
        last = here
    ax.set_xscale("log")


def pareto(docs: Mapping[str, dict]) -> Figure:
    """Test macro AUC against bytes on disk and against comments/s (log x), the fronts joined, references marked."""
    df = pareto_points(docs)
    if not df.per_s.notna().any():
        raise MissingData("results/bench.json (models.<m>.ghc_test_batch256_per_s) and Shrink.json throughput missing")
    ds = dataset_name(docs.get("bench") or docs.get("Shrink") or {})
    threads = get(docs, "bench", "threads")
    with style():
        fig, (ax, bx) = new_figure(2, height=3.6, sharey=True)
        _panel(ax, df, "bytes", smaller_better=True)
        _panel(bx, df[df.served], "per_s", smaller_better=False)
        for a in (ax, bx):
            try:
                a.axhline(baseline_auc(docs)[0], color="k", ls="--", lw=0.7)
            except MissingData:
                pass  # the baseline's line is a reference only
        ax.set(xlabel="bytes on disk (log)", ylabel=f"test macro ROC AUC ({ds})")
        ax.text(0.98, 0.02, "hollow: speed not measured", transform=ax.transAxes, ha="right", fontsize=6)
        ax.set_title(f"{ds}: AUC against size")
        speed = f"comments/s (log; batch 256{f', {threads} threads' if threads else ''})"
        bx.set(xlabel=speed, title=f"{ds}: AUC against speed (end to end)")
        bx.legend(loc="lower left", title="— front   - - TF-IDF + LR baseline")
    return fig


def _pruning_rows(docs: Mapping[str, dict]) -> pd.DataFrame:
    """Shrink's pruned records (fraction pruned, with/without embeddings, AUCs, bytes) plus the dense checkpoint."""
    doc = need(docs, "Shrink")
    rows = [
        {"amount": m["amount"], "emb": bool(m.get("embedding_pruned")), "val": get(m, "validation", "roc_auc", "macro")}
        | {
            "test": get(m, "test", "roc_auc", "macro"),
            "val_no_ft": m.get("val_auc_no_ft"),
            "bytes": m.get("size_bytes"),
        }
        | {"gzip": m.get("gzip_bytes")}
        for m in (doc.get("models") or {}).values()
        if "amount" in m
    ]
    if not rows:
        raise MissingData("results/Shrink.json: no pruned records (models.<name>.amount) are stored")
    # The model Shrink prunes is BaseAttention's checkpointed one: it is the 0% point of both settings.
    dense = next((m for m in (get(docs, "BaseAttention", "models") or {}).values() if m.get("checkpoint")), None)
    for emb in (True, False):
        if dense:
            rows.append({"amount": 0.0, "emb": emb, "val": get(dense, "validation", "roc_auc", "macro")})
            rows[-1] |= {"test": get(dense, "test", "roc_auc", "macro"), "bytes": dense.get("size_bytes")}
    return pd.DataFrame(rows).sort_values(["emb", "amount"])


def pruning_curve(docs: Mapping[str, dict]) -> Figure:
    """Shrink: validation and test macro AUC, and bytes stored, against the share of weights pruned."""
    df = _pruning_rows(docs)
    ds = dataset_name(docs["Shrink"])
    with style():
        fig, (ax, bx) = new_figure(2, gridspec_kw={"width_ratios": [1.4, 1]})
        for emb, d in df.groupby("emb", sort=False):
            c, what = (COLORS[0], "with embeddings") if emb else (COLORS[1], "without embeddings")
            pct = 100 * d.amount
            ax.plot(pct, d.val, "o-", ms=3.5, color=c, label=f"{what}: validation")
            ax.plot(pct, d.test, "s--", ms=3.5, color=c, label=f"{what}: test")
            ax.plot(pct, d.val_no_ft, "x", ms=5, color=c, label=f"{what}: validation before fine-tune")
            bx.plot(pct, d.bytes / 1e3, "o-", ms=3.5, color=c, label=f"{what}: stored")
            if d.gzip.notna().any():
                bx.plot(pct, d.gzip / 1e3, "^:", ms=3.5, color=c, label=f"{what}: gzip")
        base = docs["Shrink"].get("baseline_test_macro_auc")
        if base is not None:
            ax.axhline(base, color="k", ls="--", lw=0.7, label="TF-IDF + LR baseline (test)")
        ax.set(xlabel="% of the pruned set's weights zeroed", ylabel=f"macro ROC AUC ({ds})")
        ax.set_title(f"{ds}: global magnitude pruning, then fine-tuning")
        ax.legend(fontsize=5.5, loc="lower left")
        bx.set(xlabel="% zeroed", ylabel="kB on disk", title="bytes on disk (sparse if smaller)")
        bx.set_ylim(bottom=0)
        bx.legend(fontsize=5.5, loc="lower left")
    return fig
