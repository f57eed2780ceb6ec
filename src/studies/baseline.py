"""The baseline notebook's code, and its fitted TF-IDF + LR models, saved and reused instead of refitted.

BestResult (blend), Behaviour (suite scoring), Shrink and the bench (speed) all need the TF-IDF + LR baseline.
At Jigsaw's size one fit takes minutes (char n-grams of 127K long comments), so the baseline notebook saves each
fitted variant as `models/<name>_<dataset>.npz` (name: tfidf_lr, tfidf_lr_clean) (plain arrays, no pickle: `TfidfLR.save`) and the others load
the one whose config and training data match, or fit their own when none does (a fresh clone, another split).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, replace
from pathlib import Path

from src.common.results import models_dir, read_results
from src.data.datasets import Splits, label_matrix, load_splits
from src.evaluation.records import model_entry
from src.models.tfidf import TfidfConfig, TfidfJobs, TfidfLR, fit_all, together
from src.studies.runs import Run, fit_predict, predict_run

QUICK_ROWS = 2000  # train rows of a quick (CI) run
QUICK_FEATURES = 20_000  # TF-IDF features per vectorizer in a quick run

# Reference results on the same GHC train/test files, from the data card of the copy this project was developed with
# (`../shared/data/README.md`): TF-IDF + LR with this recipe, and all-MiniLM-L6-v2 fine-tuned for 4 epochs.
# Other datasets have none. Recorded in the results files so the conclusions can compare without typing them.
REFERENCE = {
    "ghc": {
        "source": "the data card of the GHC copy this project was developed with",
        "tfidf_lr": {"test_macro_auc": 0.818, "test_auc": {"hd": 0.837, "cv": 0.747, "vo": 0.872}},
        "minilm_l6": {
            "test_macro_auc": 0.879,
            "test_auc": {"hd": 0.878, "cv": 0.866, "vo": 0.894},
            "test_hate_f1": 0.51,  # at a validation-tuned threshold
        },
    }
}


def train_fingerprint(splits: Splits) -> str:
    """sha256 of the train split's texts and labels: all a TF-IDF + LR fit depends on besides its config."""
    h = hashlib.sha256()
    for t in splits.train["text"]:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    h.update(label_matrix(splits.train, list(splits.spec.labels)).astype("int8").tobytes())
    return h.hexdigest()


def model_path(name: str, dataset: str) -> Path:
    """Where the baseline notebook saves its variant `name` (tfidf_lr, tfidf_lr_clean) for `dataset`."""
    return models_dir() / f"{name}_{dataset}.npz"


def save(model: TfidfLR, name: str, splits: Splits) -> Path:
    """Save a fitted variant with the fingerprint of the data it was fitted on; returns the path."""
    path = model_path(name, splits.spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)  # a fresh run folder (runs/<dataset>/models) may not exist yet
    model.save(path, fingerprint=train_fingerprint(splits))
    return path


def fitted(splits: Splits, cfg: TfidfConfig) -> tuple[TfidfLR, str]:
    """(model, where it came from): a saved baseline variant with this config and training data, else a fresh fit."""
    labels, fp, unreadable = list(splits.spec.labels), train_fingerprint(splits), []
    for path in sorted(models_dir().glob(f"tfidf_*_{splits.spec.name}.npz")):
        try:
            model = TfidfLR.load(path)
        except ValueError:
            unreadable.append(path.name)  # damaged or foreign: said below, and a fresh fit gives the same model
            continue
        if asdict(model.cfg) == asdict(cfg) and model.labels == labels and model.fingerprint == fp:
            return model, f"loaded {path.name} (fitted by the baseline notebook on this train split)"
    model = TfidfLR(cfg, labels).fit(list(splits.train["text"]), label_matrix(splits.train, labels).astype(int))
    skipped = f"; unreadable, ignored: {', '.join(unreadable)} (rerun the baseline notebook)" if unreadable else ""
    return model, f"fitted here (no saved baseline model matches this config and train split{skipped})"


def fit_configs(
    configs: dict[str, TfidfConfig], splits: Splits, jobs: TfidfJobs | None = None
) -> tuple[dict[str, Run], str]:
    """(name -> fit_predict run of a TF-IDF + LR per config, how they were timed): the same models either way.

    At Jigsaw's size their vectorizers fit together (`tfidf.fit_all`), so both cores work through that phase; each
    run's fit_seconds is then the joint fit's, not its own.
    """
    labels = list(splits.spec.labels)
    models = {name: TfidfLR(cfg, labels, jobs) for name, cfg in configs.items()}
    if len(models) < 2 or not together(list(models.values()), len(splits.train)):
        return {name: fit_predict(m, splits) for name, m in models.items()}, "each config fitted alone"
    t0 = time.perf_counter()
    fit_all(list(models.values()), list(splits.train["text"]), label_matrix(splits.train, labels).astype(int))
    fit_s = time.perf_counter() - t0
    runs = {name: predict_run(m, splits, fit_s) for name, m in models.items()}
    return runs, f"fit_seconds: the {len(models)} configs fitted together (vectorizers side by side)"


def reference(dataset: str) -> dict | None:
    """Published reference results for `dataset` on the same files (None where there are none)."""
    return REFERENCE.get(dataset)


def load(dataset: str, seed: int, sample: int | None, quick: bool) -> Splits:
    """The notebook's splits: every train row, `sample` of them, or QUICK_ROWS in a quick run."""
    if quick and sample is None:
        sample = QUICK_ROWS
    return load_splits(dataset, seed=seed, sample=sample)


def configs(C: float, quick: bool) -> dict[str, TfidfConfig]:
    """The two variants: the default recipe (`tfidf_lr`) and the same after the report's cleaning (`tfidf_lr_clean`)."""
    base = TfidfConfig(C=C, max_features=QUICK_FEATURES if quick else TfidfConfig.max_features)
    return {"tfidf_lr": base, "tfidf_lr_clean": replace(base, clean=True)}


def entries(runs: dict[str, Run], scores: dict, configs: dict[str, TfidfConfig], sizes: dict, params: dict) -> dict:
    """The results-file record of every variant: params, bytes, scores, fit time, throughput and config."""
    return {
        name: model_entry(
            params[name],
            params[name],
            sizes[name],
            scores[name],
            fit_seconds=r.train_seconds,
            comments_per_second=r.comments_per_second,
            config=asdict(configs[name]),
        )
        for name, r in runs.items()
    }


def best_test_auc() -> float:
    """Test macro ROC AUC of the best variant in results/baseline.json (NaN when the notebook has not run)."""
    try:
        doc = read_results("baseline")
    except FileNotFoundError:
        return float("nan")
    return doc["models"][doc["best"]]["test"]["roc_auc"]["macro"]
