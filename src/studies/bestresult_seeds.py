"""BestResult parts 2 and 3 (training): the chosen variant as a recipe, distillation from the out-of-fold teacher,
the seeds of the chosen recipe, the seed rule on the suite's training part, and the loss-weighting ablation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from src.evaluation.curves import label_view
from src.evaluation.metrics import seed_summary
from src.evaluation.suite import build_suite
from src.evaluation.suite_score import score_suite
from src.models.encoder import ModelConfig
from src.studies.behaviour import tuned_view
from src.studies.bestresult import GloveData, GloveJob, pick_seed, train_glove_many
from src.studies.bestresult_modes import Mode
from src.studies.runs import Run
from src.studies.shrink import minilm_probs
from src.studies.tables import seed_table
from src.training.loop import TrainConfig

WEIGHTINGS = (0.0, 0.5, 1.0)  # pos_weight_power of the ablation: plain BCE, sqrt, the report's neg/pos


@dataclass(frozen=True)
class Recipe:
    """The chosen variant with the notebook's encoder and training configs, and the teacher's probabilities."""

    mode: Mode
    mcfg: ModelConfig
    tcfg: TrainConfig
    data: GloveData
    teacher: dict[str, np.ndarray] | None  # "train", "val", "test" soft labels (None: no usable cache)

    def job(self, seed: int | None = None, alpha: float = 0.0, full: bool = False, **train) -> GloveJob:
        """One run of the recipe: this seed, distillation weight and TrainConfig changes.

        Comparisons train on the sweep rows; `full` (the seeds of the chosen model) on every row.
        """
        tcfg = replace(self.tcfg, seed=self.tcfg.seed if seed is None else seed, **train)
        rows, val_rows = (None, None) if full else (self.data.sweep_idx, self.data.sweep_val_idx)
        return self.mode.job(self.mcfg, tcfg, self.data.y, rows, self.teacher, alpha, val_rows)


def teacher_probs(data: GloveData, path: Path, kd_alphas: list) -> tuple[dict[str, np.ndarray] | None, str]:
    """The cached out-of-fold teacher probabilities if they match the splits (none asked for: None)."""
    return minilm_probs(data.splits, data.labels, path) if kd_alphas else (None, "kd_alphas = []")


def teacher_status(path: Path, teacher: dict | None, note: str) -> str:
    """One line: the cache file, whether it matches the splits, and what happens without it."""
    return f"{path.name}: {note}" + ("" if teacher else " -> plain training only (python -m src.apps.teacher oof)")


def train_alphas(recipe: Recipe, plain: Run, kd_alphas: list, workers: int = 2) -> dict[float, Run]:
    """alpha -> run of the recipe (seed as configured); alpha 0 is `plain`, the part-1 run. No teacher: alpha 0 only."""
    alphas = [float(a) for a in kd_alphas] if recipe.teacher is not None else []
    runs = train_glove_many([recipe.job(alpha=a) for a in alphas], workers)
    return {0.0: plain, **dict(zip(alphas, runs, strict=True))}


def distillation_record(by_alpha: dict[float, Run], alpha: float, note: str, teacher_scores: dict | None) -> dict:
    """The results file's `distillation`: teacher note, alpha picked, validation AUC by alpha, teacher's scores."""
    return {
        "teacher": note,
        "alpha": alpha,
        "val_macro_auc_by_alpha": {str(a): r.history.best_auc for a, r in by_alpha.items()},
        **({"teacher_scores": teacher_scores} if teacher_scores is not None else {}),
    }


def _hate_f1(s: dict, split: str) -> float:
    return s[split]["derived"].get("hate", {}).get("f1_at_tuned", float("nan"))


def alpha_table(alpha_scores: dict) -> pd.DataFrame:
    """Per alpha (and the teacher): validation and test macro AUC and derived hate F1."""
    rows = {
        f"alpha={a}" if isinstance(a, float) else a: {
            "val macro AUC": s["validation"]["roc_auc"]["macro"],
            "val hate F1 (derived)": _hate_f1(s, "validation"),
            "test macro AUC": s["test"]["roc_auc"]["macro"],
            "test hate F1 (derived)": _hate_f1(s, "test"),
        }
        for a, s in alpha_scores.items()
    }
    return pd.DataFrame(rows).T.round(4)


def train_seeds(
    recipe: Recipe, by_alpha: dict[float, Run], alpha: float, seeds: list[int], workers: int = 2
) -> tuple[dict[int, Run], dict[int, Run]]:
    """(plain, distilled) runs by seed of the recipe on every row; with every row in the comparisons, their
    seed-0 runs are reused; with a sweep sample, every seed trains here. alpha 0: both are the plain runs."""
    seed, sweep = recipe.tcfg.seed, recipe.data.sweep_idx
    others = [s for s in seeds if s != seed or sweep is not None]
    keys = [(0.0, s) for s in others] + ([(alpha, s) for s in others] if alpha else [])
    more = dict(zip(keys, train_glove_many([recipe.job(s, a, full=True) for a, s in keys], workers), strict=True))
    plain = {**({seed: by_alpha[0.0]} if sweep is None else {}), **{s: more[(0.0, s)] for s in others}}
    distilled = {**({seed: by_alpha[alpha]} if sweep is None else {}), **{s: more[(alpha, s)] for s in others}}
    return plain, distilled


def seeds_table(plain: dict[int, dict], distilled: dict[int, dict], alpha: float) -> pd.DataFrame:
    """`seed_table` of the plain seeds above the distilled ones (rows: seed, mean, std)."""
    return pd.concat({"plain": seed_table(plain).T, f"alpha={alpha}": seed_table(distilled).T}).round(3)


def seed_labels(scores_by_seed: dict[int, dict]) -> dict[str, dict]:
    """Per label: test ROC AUC and F1 at validation-tuned thresholds over seeds (`seed_summary`: mean, std, values)."""
    first = next(iter(scores_by_seed.values()))["test"]
    return {
        label: {
            "test_auc": seed_summary({s: x["test"]["roc_auc"]["per_label"][label] for s, x in scores_by_seed.items()}),
            "test_f1_tuned": seed_summary(
                {s: x["test"]["at_tuned"]["per_label"][label]["f1"] for s, x in scores_by_seed.items()}
            ),
        }
        for label in first["roc_auc"]["per_label"]
    }


def choose_seed(
    seed_runs: dict[int, Run], seed_scores: dict[int, dict], recipe: Recipe, suite_seed: int, slack: float
) -> dict:
    """The seed rule's record: validation AUC and the suite's training-part identity FPR and accuracy per seed
    (each at its own validation-tuned thresholds), and the seed `pick_seed` saves. The held-out part is never read."""
    suite_train = build_suite(suite_seed)
    data, tok = recipe.data, recipe.mode.tok
    suite: dict[int, dict[str, Any]] = {
        s: score_suite(tuned_view(r.model, tok, seed_scores[s], data.splits.spec, data.dataset), suite_train, "train")
        for s, r in seed_runs.items()
    }
    val = {s: sc["validation"]["roc_auc"]["macro"] for s, sc in seed_scores.items()}
    fpr = {s: x["identity_fpr"]["overall"] for s, x in suite.items()}
    choice = {"rule_slack": slack, "saved_seed": pick_seed(val, fpr, slack), "val_macro_auc": val}
    return choice | {
        "train_part_identity_fpr": fpr,
        "train_part_accuracy": {s: x["accuracy"] for s, x in suite.items()},
    }


def seed_choice_table(choice: dict) -> pd.DataFrame:
    """Per seed: validation macro AUC, identity FPR and accuracy on the suite's training part."""
    return pd.DataFrame({k: v for k, v in choice.items() if isinstance(v, dict)}).rename_axis("seed").round(4)


def train_weightings(recipe: Recipe, plain: Run, workers: int = 2) -> dict[float, Run]:
    """pos_weight_power -> run of the recipe (seed as configured, alpha 0) for each of `WEIGHTINGS`; the recipe's
    own weighting is `plain`, the part-1 run."""
    new = [pw for pw in WEIGHTINGS if pw != recipe.tcfg.pos_weight_power]
    runs = {recipe.tcfg.pos_weight_power: plain}
    runs.update(zip(new, train_glove_many([recipe.job(pos_weight_power=pw) for pw in new], workers), strict=True))
    return runs


def positives_line(data: GloveData, label: str) -> str:
    """'<label> (n train, n val, n test positives)'."""
    j = data.labels.index(label)
    n = {k: int(data.y[k][:, j].sum()) for k in ("train", "val", "test")}
    return f"rarest label: {label} ({n['train']} train, {n['val']} val, {n['test']} test positives)"


def weighting_summary(pw_scores: dict[str, dict], rare: str) -> dict[str, dict]:
    """The results file's `pos_weight_power_effect`: the rare label's `label_view` row per weighting."""
    view = label_view(pw_scores, rare)
    return {n: {"rare_label": rare, **view.loc[n].to_dict()} for n in pw_scores}
