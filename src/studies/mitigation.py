"""Behaviour's mitigation study: retrain a saved model's recipe with and without augmentation, over seeds, and score each run
on the test split and on the held-out suite (thresholds tuned on validation, as for the saved models).

Two recipes: BaseAttention's BPE model (`recipe`) and BestResult's GloVe model (`glove_recipe`: frozen GloVe rows,
own rows for frequent unknown words, frozen PPMI columns, distillation from the cached teacher).

Variants: "plain" (the recipe as saved), "suite" (+ the suite's training part, `suite_repeat` times), "balance"
(+ only its non-hateful cases: Dixon et al.'s balancing), "swap" / "swap_all" (+ counterfactual copies of the
training posts that name a training group: `swap_variants`), "noise" (+ a misspelled copy of the train split),
"bpedrop" (+ a copy of the train split in BPE-dropout pieces), and combinations joined by "+", e.g. "suite+noise".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from src.common.auc import macro_auc
from src.common.results import read_results
from src.data.tokenizers import BPETokenizer
from src.evaluation.metrics import evaluate_model, seed_summary
from src.evaluation.suite import names_group
from src.evaluation.suite_score import score_suite
from src.studies.behaviour import tuned_view
from src.studies.bestresult import GloveJob, pick_seed
from src.studies.runs import Encoded, Run, TrainJob, train_many
from src.training.augment import char_noise, swap_rows
from src.training.loop import TrainConfig

# What each run is scored on: test AUC and the held-out suite, then the suite's training part, which shows
# whether a behaviour check that any training step may use ranks runs as the held-out part does (for variants that
# train on that part it measures fit, not behaviour), then test AUC on the posts that name a group and on the rest
# (is an AUC cost the loss of the "names a group" shortcut, or a loss everywhere?).
METRICS = (
    "test_macro_auc",
    "accuracy",
    "identity_fpr",
    "spelling_gap",
    "train_part_accuracy",
    "train_part_identity_fpr",
    "test_macro_auc_naming_group",
    "test_macro_auc_other",
    "val_macro_auc",
)


def augmented(
    data: Encoded, variant: str, train_texts: list[str], rows: dict, repeat: int, rate: float, dropout: float = 0.1
) -> Encoded:
    """`data` with the train split extended as `variant` says; validation and test untouched.

    `variant`: "plain", "noise" (a misspelled copy of the train split, `rate` of its long words), "bpedrop" (a copy
    of the train split in BPE-dropout pieces, merges skipped with probability `dropout`; BPE tokenizers only) or a
    name in `rows` ({name: (texts, (N, L) labels)}, added `repeat` times, or (texts, labels, own repeat)), joined by
    "+" (e.g. "suite+noise"), added in that order.
    """
    tok, parts = data.tokenizer, variant.split("+")
    unknown = set(parts) - {"plain", "noise", "bpedrop", *rows}
    if unknown:
        raise ValueError(
            f"unknown augmentation {sorted(unknown)}: use plain, noise, bpedrop or {sorted(rows)}, joined by +"
        )
    if "bpedrop" in parts and getattr(tok, "kind", None) != "bpe":
        raise ValueError(
            f"bpedrop needs a BPE tokenizer; this recipe's is {getattr(tok, 'kind', type(tok).__name__)!r}"
        )
    ids, ys = list(data.train), [data.y_train]
    for part in parts:
        if part in rows:
            texts, y, *own = rows[part]  # an entry may carry its own repeat: (texts, labels, repeat)
            k = own[0] if own else repeat
            ids, ys = ids + tok.encode(texts) * k, ys + [y] * k
        elif part == "noise":
            ids, ys = ids + tok.encode(char_noise(train_texts, rate, seed=1)), ys + [data.y_train]
        elif part == "bpedrop":
            if not isinstance(tok, BPETokenizer):
                raise ValueError(f"variant bpedrop needs a BPE tokenizer, not {type(tok).__name__}")
            ids, ys = ids + tok.encode(train_texts, dropout=dropout), ys + [data.y_train]
    return Encoded(tok, ids, data.val, data.test, np.vstack(ys).astype(np.float32), data.y_val, data.y_test)


def swap_variants(rec: Recipe) -> dict[str, tuple]:
    """`augmented` rows of counterfactual copies of the recipe's own training posts, each added once: "swap" (one
    copy per post naming a training group) and "swap_all" (one per other training group)."""
    return {
        "swap": (*swap_rows(rec.texts, rec.data.y_train), 1),
        "swap_all": (*swap_rows(rec.texts, rec.data.y_train, per_post=None), 1),
    }


def score_run(
    run: Run, data: Encoded, splits, suite: pd.DataFrame, dataset: str, named: np.ndarray | None = None
) -> dict:
    """Test macro AUC (all posts, those naming a group, the rest) and suite metrics (held-out part, then training
    part) of one run, at its validation-tuned thresholds. `named`: `names_group` of the test texts (None: found
    here; `study` finds it once for all its runs)."""
    labels, derived = list(splits.spec.labels), dict(splits.spec.derived)
    assert data.y_test is not None, "scoring needs the test labels (Encoded.y_test)"
    ev = evaluate_model(data.y_val, run.p_val, data.y_test, run.p_test, labels, derived)
    view = tuned_view(run.model, data.tokenizer, ev, splits.spec, dataset)
    s: dict[str, Any] = score_suite(view, suite, "heldout")
    tr: dict[str, Any] = score_suite(view, suite, "train")
    named = names_group(list(splits.test["text"])) if named is None else named
    return {
        "test_macro_auc": ev["test"]["roc_auc"]["macro"],
        "accuracy": s["accuracy"],
        "identity_fpr": s["identity_fpr"]["overall"],
        "spelling_gap": s["spelling_gap"],
        "train_part_accuracy": tr["accuracy"],
        "train_part_identity_fpr": tr["identity_fpr"]["overall"],
        "test_macro_auc_naming_group": macro_auc(data.y_test[named], run.p_test[named]),
        "test_macro_auc_other": macro_auc(data.y_test[~named], run.p_test[~named]),
        "val_macro_auc": ev["validation"]["roc_auc"]["macro"],
        "by_functionality": s["by_functionality"],
    }


@dataclass(frozen=True)
class Recipe:
    """How a saved model was trained, ready to retrain on augmented data."""

    data: Encoded  # the splits in the saved model's tokens (train cut to the study's rows)
    texts: list[str]  # raw texts of data.train (the noisy copy misspells them)
    job: Callable[[Encoded, int, str], TrainJob | GloveJob]  # (augmented data, seed, label) -> one run's job
    train: Callable[..., list[Run]]  # (jobs, workers) -> runs, `workers` side by side


def study(recipe: Recipe, variants: dict[str, Encoded], seeds: list[int], workers: int = 1, **ctx) -> dict[str, dict]:
    """{variant: {metric: seed_summary, "by_functionality": {f: mean}}}; ctx: splits, suite, dataset.

    `workers` > 1 trains that many runs side by side (spawned processes, one torch thread each).
    """
    keys = [(name, s) for name in variants for s in seeds]
    runs = dict(
        zip(keys, recipe.train([recipe.job(variants[n], s, f"{n} s{s}") for n, s in keys], workers), strict=True)
    )
    out: dict[str, dict[str, Any]] = {}
    named = names_group(list(ctx["splits"].test["text"]))
    for name, d in variants.items():
        scored = {s: score_run(runs[(name, s)], recipe.data, named=named, **ctx) for s in seeds}
        out[name] = {m: seed_summary({s: x[m] for s, x in scored.items()}) for m in METRICS}
        funcs = next(iter(scored.values()))["by_functionality"]
        out[name]["by_functionality"] = {
            f: float(np.mean([x["by_functionality"][f] for x in scored.values()])) for f in funcs
        }
        out[name]["train_rows"] = len(d.train)
    return out


def seed_ranking(result: dict, val_slack: float = 0.005) -> dict:
    """Could the suite's training part, which any training step may use, choose among seeds of one variant?

    `result`: one variant of `study` (runs that never trained on the training part). Returns each seed's identity
    FPR on the training and held-out parts, the Spearman rank correlation of the two, and the seed
    `bestresult.pick_seed` (BestResult's rule for the saved seed) picks.
    """
    from scipy.stats import spearmanr

    keys = ("train_part_identity_fpr", "identity_fpr", "accuracy", "test_macro_auc", "val_macro_auc")
    seeds, v = result["identity_fpr"]["seeds"], {k: result[k]["values"] for k in keys}
    rho = float(spearmanr(v["train_part_identity_fpr"], v["identity_fpr"]).statistic) if len(seeds) > 2 else None
    val, train_fpr = (dict(zip(seeds, v[k], strict=True)) for k in ("val_macro_auc", "train_part_identity_fpr"))
    pick = pick_seed(val, train_fpr, val_slack)
    return {"seeds": seeds, **v, "spearman": rho, "val_slack": val_slack, "pick": pick}


def table(results: dict[str, dict]) -> pd.DataFrame:
    """Variants x metrics: mean ± std over seeds, and the change of each headline mean against "plain"."""
    rows = {}
    for name, r in results.items():
        rows[name] = {m: f"{r[m]['mean']:.4f} ± {r[m]['std']:.4f}" for m in METRICS}
        if "plain" in results:
            # the headline four, AUC on posts naming no group and on validation; not the training part's fit
            deltas = (*METRICS[:4], "test_macro_auc_other", "val_macro_auc")
            rows[name] |= {f"Δ {m}": r[m]["mean"] - results["plain"][m]["mean"] for m in deltas}
    return pd.DataFrame(rows).T


def recipe(path, splits, results: dict | None, sweep: int | None, seed: int = 0) -> Recipe:
    """BaseAttention's recipe from its saved BPE checkpoint, on `sweep` train rows (None: all).

    The tokenizer and shape come from the checkpoint, the training settings from its notebook's results entry
    (`results`: BaseAttention.json, or None for the recipe's defaults).
    """
    from src.serving import checkpoint
    from src.studies.runs import encode, init_vectors, sweep_rows

    model, tok, _ = checkpoint.load(path, labels=list(splits.spec.labels))
    data, texts = encode(tok, splits), list(splits.train["text"])
    rows = sweep_rows(data.y_train, sweep, seed)
    data, texts = data.subset(rows), texts if rows is None else [texts[i] for i in rows]
    entry = ((results or {}).get("models") or {}).get("best_single", {})
    train = TrainConfig(**entry["train"]) if "train" in entry else TrainConfig(epochs=3, lr_max=3e-3)
    vec = init_vectors("ppmi", data, model.cfg.d_model, seed=seed)

    def job(d: Encoded, s: int, desc: str) -> TrainJob:
        return TrainJob(d, model.cfg, replace(train, seed=s), vec, desc=desc)

    return Recipe(data, texts, job, train_many)


def glove_recipe(path, splits, results: dict, sweep: int | None, seed: int = 0, glove_source=None) -> tuple:
    """(Recipe, note on the teacher) of BestResult's saved GloVe checkpoint, on `sweep` train rows (None: all).

    The vocabulary is rebuilt from the train split and the same vectors (checked against the checkpoint's), the
    PPMI columns from the whole train split, as BestResult does; training settings come from `results`
    (BestResult.json). With the saved model's `distill_alpha`, runs learn from the cached teacher next to the
    checkpoint; rows added by augmentation, which the teacher never scored, learn from their labels.
    """
    from src.data.glove import WordTokenizer
    from src.serving import checkpoint
    from src.studies.bestresult import corpus_vectors, train_glove_many
    from src.studies.runs import encode, sweep_rows
    from src.studies.shrink import minilm_probs

    model, saved, doc = checkpoint.load(path, labels=list(splits.spec.labels))
    spec, meta, texts = doc["embedding"] or {}, doc["meta"], list(splits.train["text"])
    tok = WordTokenizer.build(texts, glove_source, oov_rows=saved.n_oov, max_len=saved.max_len)
    if tok.words != saved.words:
        raise ValueError(
            f"{path}: vocabulary rebuilt from the train split differs from the checkpoint's; pass the "
            "vectors BestResult used (glove_source) and the same splits"
        )
    data = encode(tok, splits)
    corpus = corpus_vectors(data.train, tok.vocab_size, spec["corpus_dim"]) if spec.get("corpus_dim") else None
    train = TrainConfig(**results["models"][f"glove_{results['best_mode']}"]["config"]["train"])
    alpha, teacher, note = float(meta.get("distill_alpha") or 0.0), None, "no distillation in the saved model"
    if alpha:
        probs, note = minilm_probs(splits, list(splits.spec.labels), Path(path).parent / meta["teacher"])
        teacher, alpha = (probs["train"], alpha) if probs is not None else (None, 0.0)
    rows = sweep_rows(data.y_train, sweep, seed)
    data, texts = data.subset(rows), texts if rows is None else [texts[i] for i in rows]
    teacher = teacher if teacher is None or rows is None else teacher[rows]

    def job(d: Encoded, s: int, desc: str) -> GloveJob:
        soft = None if teacher is None else np.vstack([teacher, d.y_train[len(teacher) :]]).astype(np.float32)
        ids, y = {"train": d.train, "val": d.val, "test": d.test}, {"train": d.y_train, "val": d.y_val}
        return GloveJob(tok, spec["mode"], model.cfg, replace(train, seed=s), ids, y, desc, corpus, soft, alpha)

    return Recipe(data, texts, job, train_glove_many), note


def baseattention_study(path: Path, rows: dict, augment: list[str], cfg: dict, **ctx) -> dict[str, dict]:
    """The mitigation study of BaseAttention's saved recipe ({} without its checkpoint): each `augment` variant.

    `rows`: the suite's rows per variant; `cfg`: sweep_sample, seed, suite_repeat, noise_rate, bpe_dropout, seeds,
    workers; `ctx`: splits, suite, dataset for scoring.
    """
    if not path.is_file():
        return {}
    try:
        results = read_results("BaseAttention")
    except FileNotFoundError:
        results = None  # the recipe's defaults
    rec = recipe(path, ctx["splits"], results, cfg["sweep_sample"], cfg["seed"])
    extra = (rows | swap_variants(rec), cfg["suite_repeat"], cfg["noise_rate"], cfg["bpe_dropout"])
    variants = {v: augmented(rec.data, v, rec.texts, *extra) for v in augment}
    return study(rec, variants, cfg["seeds"], cfg["workers"], **ctx)
