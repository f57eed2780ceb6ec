"""The user's report's own numbers (Jigsaw Toxic Comment Classification, Kaggle 2018), transcribed once.

Source: the English digest of the report (`../shared/seed-report.md` beside the repository). Values are `Decimal`s
so that `str(v)` gives the report's digits exactly ("0.00", "0.0914"); `float(v)` for arithmetic and plots. These
are the report's Jigsaw numbers: never compare them on one axis with our GHC results as if they were comparable.
"""

from __future__ import annotations

from decimal import Decimal as D

DATASET = "jigsaw"
# Section "Data (LookAtData)": the report's 6 labels, in its order.
LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
# The 8 metrics of the report's tables, in its row order.
METRICS = (
    "precision micro",
    "precision macro",
    "recall micro",
    "recall macro",
    "f1 micro",
    "f1 macro",
    "roc_auc micro",
    "roc_auc macro",
)
# Where each metric's counterpart lives in one of our model records (`models.<name>.test...`): precision, recall and
# F1 at the 0.5 threshold, ROC AUC from probabilities.
OUR_PATH = {m: ("roc_auc", m.split()[1]) if m.startswith("roc_auc") else ("at_0.5", *m.split()) for m in METRICS}

# Section "Data (LookAtData)": share of rows with the all-zero label vector; 200 tokens cover 0.9 of the dataset.
DATA = {"all_zero_share": D("0.9"), "max_len_tokens": 200, "max_len_coverage": D("0.9")}

# Section "Baseline (notebook baseline): TF-IDF + logistic regression", its 8-metric table.
BASELINE = dict(
    zip(METRICS, (D("0.17"), D("0.15"), D("0.81"), D("0.81"), D("0.28"), D("0.23"), D("0.82"), D("0.83")), strict=True)
)

# Section "Model 1 (notebook BaseAttention)": the tiny transformer's table (these 4 metrics only).
TINY_TRANSFORMER = dict(zip(METRICS[:4], (D("0.0914"), D("0.0379"), D("0.4392"), D("0.1771")), strict=True))
# Section "Model 1": sequence length, width bound and parameter bound of the tiny models.
TINY_SETUP = {"max_len": 200, "max_width": 20, "max_params": 200_000}

# Section "Model 2 (notebook BestResult)": the GloVe (50-d) model's 8-metric table.
GLOVE = dict(
    zip(METRICS, (D("0.79"), D("0.48"), D("0.62"), D("0.38"), D("0.69"), D("0.42"), D("0.80"), D("0.68")), strict=True)
)

# Section "Model 2", its per-label table: label -> precision, recall, f1, support.
PER_LABEL = {
    "toxic": {"precision": D("0.81"), "recall": D("0.69"), "f1": D("0.75"), "support": 2965},
    "severe_toxic": {"precision": D("0.48"), "recall": D("0.29"), "f1": D("0.36"), "support": 300},
    "obscene": {"precision": D("0.83"), "recall": D("0.69"), "f1": D("0.75"), "support": 1592},
    "threat": {"precision": D("0.00"), "recall": D("0.00"), "f1": D("0.00"), "support": 89},
    "insult": {"precision": D("0.74"), "recall": D("0.62"), "f1": D("0.67"), "support": 1515},
    "identity_hate": {"precision": D("0.00"), "recall": D("0.00"), "f1": D("0.00"), "support": 270},
}
# Section "Model 2": the top private leaderboard score the report cites (mean column-wise ROC AUC).
LEADERBOARD_TOP_PRIVATE = D("0.9886")

# The report's three models, in its order: notebook -> (what the report calls it, its table).
MODELS = {
    "baseline": ("TF-IDF + logistic regression", BASELINE),
    "BaseAttention": ("tiny transformer from scratch", TINY_TRANSFORMER),
    "BestResult": ("GloVe 50-d transformer", GLOVE),
}


def metric_name(metric: str) -> str:
    """A metric's name for prose and axes: 'f1 micro' -> 'F1 micro', 'roc_auc macro' -> 'ROC AUC macro'."""
    return metric.replace("roc_auc", "ROC AUC").replace("f1", "F1")


def _metrics(table: dict) -> str:
    return ", ".join(f"{metric_name(m)} {v}" for m, v in table.items())


def published_rows() -> list[tuple[str, str]]:
    """(notebook, what the report says) rows of its numbers, every number formatted from the constants above."""
    d = DATA
    rows = [
        (
            "LookAtData",
            f"about {d['all_zero_share']} of rows carry no label; {d['max_len_tokens']} tokens cover "
            f"{d['max_len_coverage']} of comments (sequences cut there)",
        )
    ]
    rows += [(nb, f"{name}: {_metrics(table)}") for nb, (name, table) in MODELS.items()]
    f1 = ", ".join(f"{lab} {v['f1']} (support {v['support']})" for lab, v in PER_LABEL.items())
    rows.append(("BestResult", f"per-label F1: {f1}"))
    return rows
