"""What every report figure shares: loading the results files, lookups, the style, saving, model points."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.figure import Figure

# Every results file a figure reads (results/<name>.json), notebooks first, then the benchmark.
SOURCES = ("LookAtData", "baseline", "BaseAttention", "BestResult", "Teacher", "Shrink", "Behaviour", "bench")
# Notebooks whose models are points of the size and Pareto figures, in the report's order.
MODEL_NOTEBOOKS = ("baseline", "BaseAttention", "BestResult", "Teacher", "Shrink")
DPI = 110
WIDTH, HEIGHT = 7.0, 3.5  # inches: page width of a rendered Markdown report
COLORS = sns.color_palette("colorblind")  # colour-blind safe; fixed order so a notebook keeps its colour
# One colour and marker per notebook, the same in every figure (Teacher brown, not the vermillion next to orange).
NOTEBOOK_COLORS = dict(zip(MODEL_NOTEBOOKS, [COLORS[i] for i in (0, 1, 2, 5, 4)], strict=True))
NOTEBOOK_MARKERS = {"baseline": "s", "BaseAttention": "o", "BestResult": "D", "Teacher": "*", "Shrink": "^"}
DATASET_NAMES = {"ghc": "GHC", "jigsaw": "Jigsaw"}


class MissingData(LookupError):
    """A figure's input is not in the results files; the message names the file and key a notebook must store."""


def load_docs(results: Path) -> dict[str, dict]:
    """{name: parsed results/<name>.json} for each of `SOURCES` present (absent or unreadable files left out)."""
    docs = {}
    for name in SOURCES:
        path = Path(results) / f"{name}.json"
        with contextlib.suppress(OSError, json.JSONDecodeError):
            docs[name] = json.loads(path.read_text())
    return docs


def need(docs: Mapping[str, dict], name: str) -> dict:
    """docs[name], or MissingData naming the results file."""
    if not docs.get(name):
        raise MissingData(f"results/{name}.json is missing")
    return docs[name]


def get(d, *keys):
    """d[k1][k2]... or None where any step is absent."""
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


def dataset_name(doc: Mapping) -> str:
    """The results file's dataset as a title word ('ghc' -> 'GHC')."""
    ds = str(doc.get("dataset", "?"))
    return DATASET_NAMES.get(ds, ds)


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The figures' look, scoped so that notebooks drawing their own plots keep theirs."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper", font_scale=0.95)}
    rc.update({"axes.prop_cycle": cycler(color=COLORS), "figure.dpi": DPI, "savefig.dpi": DPI})
    rc.update({"legend.fontsize": 6.5, "legend.title_fontsize": 7, "axes.titlesize": 8.5, "axes.titleweight": "bold"})
    rc.update({"font.family": "DejaVu Sans"})
    with mpl.rc_context(rc):
        yield


def new_figure(ncols: int = 1, width: float = WIDTH, height: float = HEIGHT, **kw) -> tuple[Figure, list]:
    """A Figure outside pyplot (no backend or global state: notebooks keep theirs) and its row of axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, **kw)[0]
    return fig, list(axes)


def save(fig: Figure, path: Path) -> Path:
    """Write `fig` as PNG without a Software tag, so that a rerun writes the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def seed_spread(model: Mapping) -> tuple[float, float, int] | None:
    """(mean, sample std, n) of the model's test macro AUC over seeds, when its `seeds` record describes this model.

    A record describes it only if the model's own test AUC is one of the seed values: a blend or an ensemble that
    carries its member's seed record (whose values are the members') is shown as one run, not with their spread.
    """
    rec = get(model, "seeds", "test_macro_auc") or model.get("test_macro_auc_over_seeds") or {}
    values, own = rec.get("values") or [], get(model, "test", "roc_auc", "macro")
    if len(values) < 2 or own is None or rec.get("std") is None:
        return None
    if not any(math.isclose(v, own, rel_tol=0, abs_tol=1e-9) for v in values if v is not None):
        return None
    return float(rec["mean"]), float(rec["std"]), len(values)


def _point(nb: str, doc: Mapping, name: str, m: Mapping) -> dict:
    spread = seed_spread(m)
    auc = get(m, "test", "roc_auc", "macro")
    mean, std, n = spread if spread else (auc, 0.0, 1)
    row = {"notebook": nb, "model": name, "best": name == doc.get("best"), "auc": auc, "mean": mean, "std": std}
    return row | {"n_seeds": n, "params": get(m, "params", "total"), "bytes": m.get("size_bytes") or None}


def model_points(docs: Mapping[str, dict]) -> pd.DataFrame:
    """One row per model of every notebook's results file: params, bytes, test macro AUC and its seed spread.

    Shrink's precision and pruning variants (records with `weights_bytes` or `amount`) are left out: they are one
    trained model stored differently, with its parameter count; the Pareto and pruning figures show them.
    """
    rows = []
    for nb in MODEL_NOTEBOOKS:
        doc = docs.get(nb) or {}
        for name, m in (doc.get("models") or {}).items():
            if m.get("skipped") or "weights_bytes" in m or "amount" in m:
                continue
            if get(m, "test", "roc_auc", "macro") is not None:
                rows.append(_point(nb, doc, name, m))
    cols = ["notebook", "model", "best", "auc", "mean", "std", "n_seeds", "params", "bytes"]
    return pd.DataFrame(rows, columns=cols)


def baseline_auc(docs: Mapping[str, dict]) -> tuple[float, float, str]:
    """The TF-IDF + LR baseline's test macro AUC (mean over seeds where recorded), its std (0 without) and name."""
    doc = need(docs, "baseline")
    name = str(doc.get("best"))
    m = get(doc, "models", name)
    if get(m, "test", "roc_auc", "macro") is None:
        raise MissingData("results/baseline.json: models.<best>.test.roc_auc.macro is missing")
    spread = seed_spread(m)
    return (spread[0], spread[1], name) if spread else (m["test"]["roc_auc"]["macro"], 0.0, name)


def short(name: str, n: int = 26) -> str:
    """A model name cut to `n` characters for an annotation."""
    return name if len(name) <= n else name[: n - 1] + "…"
