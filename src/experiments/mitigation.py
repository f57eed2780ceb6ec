"""Behaviour part 2: retrain a saved model's recipe with and without augmentation, over seeds, and score each run
on the test split and on the held-out suite (thresholds tuned on validation, as for the saved models).

Variants: "plain" (the recipe as saved), "suite" (+ the suite's training part, `suite_repeat` times), "noise"
(+ a misspelled copy of the train split), and their combinations joined by "+", e.g. "suite+noise".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from src.evaluation.metrics import evaluate_model, seed_summary
from src.evaluation.suite_score import score_suite
from src.experiments.behaviour import suite_view
from src.experiments.runs import Encoded, Run, train_many
from src.models.encoder import ModelConfig
from src.serving.predict import Predictor
from src.training.augment import char_noise
from src.training.loop import TrainConfig

METRICS = ("test_macro_auc", "accuracy", "identity_fpr", "spelling_gap")  # what each run is scored on


def augmented(data: Encoded, variant: str, train_texts: list[str], suite_xy, repeat: int, rate: float) -> Encoded:
    """`data` with the train split extended as `variant` says; validation and test untouched."""
    tok, parts = data.tokenizer, set(variant.split("+"))
    unknown = parts - {"plain", "suite", "noise"}
    if unknown:
        raise ValueError(f"unknown augmentation {sorted(unknown)}: use plain, suite, noise or e.g. suite+noise")
    ids, ys = list(data.train), [data.y_train]
    if "suite" in parts:
        suite_ids = tok.encode(suite_xy[0])
        ids, ys = ids + suite_ids * repeat, ys + [suite_xy[1]] * repeat
    if "noise" in parts:
        ids, ys = ids + tok.encode(char_noise(train_texts, rate, seed=1)), ys + [data.y_train]
    return Encoded(tok, ids, data.val, data.test, np.vstack(ys).astype(np.float32), data.y_val, data.y_test)


def score_run(run: Run, data: Encoded, splits, suite: pd.DataFrame, dataset: str) -> dict:
    """Test macro AUC and held-out suite metrics of one run, flags at its validation-tuned thresholds."""
    labels, derived = list(splits.spec.labels), dict(splits.spec.derived)
    ev = evaluate_model(data.y_val, run.p_val, data.y_test, run.p_test, labels, derived)
    dthr = {k: v["threshold"] for k, v in ev["validation"]["derived"].items()}
    pred = Predictor(run.model, data.tokenizer, labels, ev["validation"]["at_tuned"]["thresholds"], derived, dthr)
    s = score_suite(suite_view(pred.predict, dataset), suite, "heldout")
    return {
        "test_macro_auc": ev["test"]["roc_auc"]["macro"],
        "accuracy": s["accuracy"],
        "identity_fpr": s["identity_fpr"]["overall"],
        "spelling_gap": s["spelling_gap"],
        "by_functionality": s["by_functionality"],
    }


def study(
    data: Encoded,
    cfg: ModelConfig,
    train: TrainConfig,
    vectors,
    variants: dict[str, Encoded],
    seeds: list[int],
    workers: int = 1,
    **ctx,
) -> dict[str, dict]:
    """{variant: {metric: seed_summary, "by_functionality": {f: mean}}}; ctx: splits, suite, dataset.

    `workers` > 1 trains that many runs side by side (`runs.train_many`, one torch thread each).
    """
    keys = [(name, s) for name in variants for s in seeds]
    jobs = [
        {
            "data": variants[n],
            "model_cfg": cfg,
            "train_cfg": replace(train, seed=s),
            "vectors": vectors,
            "desc": f"{n} s{s}",
        }
        for n, s in keys
    ]
    runs = dict(zip(keys, train_many(jobs, workers), strict=True))
    out = {}
    for name, d in variants.items():
        scored = {s: score_run(runs[(name, s)], data, **ctx) for s in seeds}
        out[name] = {m: seed_summary({s: x[m] for s, x in scored.items()}) for m in METRICS}
        funcs = next(iter(scored.values()))["by_functionality"]
        out[name]["by_functionality"] = {
            f: float(np.mean([x["by_functionality"][f] for x in scored.values()])) for f in funcs
        }
        out[name]["train_rows"] = len(d.train)
    return out


def table(results: dict[str, dict]) -> pd.DataFrame:
    """Variants x metrics: mean ± std over seeds, and the change of each mean against "plain"."""
    rows = {}
    for name, r in results.items():
        rows[name] = {m: f"{r[m]['mean']:.4f} ± {r[m]['std']:.4f}" for m in METRICS}
        if "plain" in results:
            rows[name] |= {f"Δ {m}": r[m]["mean"] - results["plain"][m]["mean"] for m in METRICS}
    return pd.DataFrame(rows).T


def recipe(path, splits, results: dict | None, sweep: int | None, seed: int = 0) -> tuple:
    """(data, its train texts, model config, train config, PPMI vectors) of a saved BPE checkpoint's recipe, on
    `sweep` train rows (None: all).

    The tokenizer and shape come from the checkpoint, the training settings from its notebook's results entry
    (`results`: BaseAttention.json, or None for the recipe's defaults).
    """
    from src.experiments.runs import encode, init_vectors, sweep_rows
    from src.serving import checkpoint

    model, tok, _ = checkpoint.load(path, labels=list(splits.spec.labels))
    data, texts = encode(tok, splits), list(splits.train["text"])
    rows = sweep_rows(data.y_train, sweep, seed)
    data, texts = data.subset(rows), texts if rows is None else [texts[i] for i in rows]
    entry = ((results or {}).get("models") or {}).get("best_single", {})
    train = TrainConfig(**entry["train"]) if "train" in entry else TrainConfig(epochs=3, lr_max=3e-3)
    return data, texts, model.cfg, train, init_vectors("ppmi", data, model.cfg.d_model, seed=seed)
