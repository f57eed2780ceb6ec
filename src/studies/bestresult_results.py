"""BestResult's outputs: the saved checkpoint and its reload check, what the saved model says about the probe
sentences, the goals, and the results file's model records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from src.data.glove import WordTokenizer
from src.evaluation.interpret import attention_of
from src.evaluation.probes import PROBES
from src.evaluation.records import seed_record
from src.serving import checkpoint
from src.studies.bestresult import GloveData
from src.studies.bestresult_candidates import GOALS, Candidates
from src.studies.bestresult_modes import best_mode
from src.studies.bestresult_seeds import Recipe
from src.studies.records import combo_entry, glove_mode_entries
from src.studies.runs import Run, entry, predict_texts
from src.training.loop import predict_proba

N_HARMLESS = 5  # PROBES lists its harmless sentences first, then the toxic ones
GROUP_WORDS = frozenset({"muslim", "jewish", "gay", "black"})  # the group each harmless probe names


@dataclass(frozen=True)
class Saved:
    """The saved single model: its run and tokenizer, seed, distillation weight, teacher cache file (None: plain),
    checkpoint."""

    run: Run
    tok: WordTokenizer
    seed: int
    alpha: float
    teacher: str | None
    path: Path
    size: int  # bytes of the checkpoint file


def save(path: Path, recipe: Recipe, run: Run, seed: int, alpha: float, scores: dict, teacher: str) -> Saved:
    """Write the checkpoint of `run` (the recipe's variant with this seed and alpha): model, tokenizer,
    validation-tuned thresholds (the derived labels' in the metadata)."""
    data, tok = recipe.data, recipe.mode.tok
    thresholds = scores["validation"]["at_tuned"]["thresholds"]
    derived_thr = {k: d["threshold"] for k, d in scores["validation"]["derived"].items()}
    size = checkpoint.save(
        path,
        run.model,
        tok,
        data.labels,
        thresholds,
        dataset=data.dataset,
        mode=recipe.mode.name,
        distill_alpha=alpha,
        teacher=teacher if alpha else None,
        derived=data.derived,
        derived_thresholds=derived_thr,
        seed=seed,
    )
    return Saved(run, tok, seed, alpha, teacher if alpha else None, path, size)


def reload_check(saved: Saved, data: GloveData, thresholds: dict[str, float]) -> float:
    """Largest |difference| of the reloaded model's test probabilities; a changed threshold raises."""
    model, tok, doc = checkpoint.load(saved.path, labels=data.labels)
    if doc["thresholds"] != thresholds:
        raise ValueError(f"{saved.path.name}: stored thresholds {doc['thresholds']} are not {thresholds}")
    return float(np.abs(predict_proba(model, tok.encode(data.texts["test"])) - saved.run.p_test).max())


def probe_record(saved: Saved, labels: list[str], thresholds: dict[str, float], top: int = 3) -> list[dict]:
    """Per probe sentence: kind, probabilities, labels flagged at the tuned thresholds, the most attended tokens
    (mean attention received, last layer, heads averaged) and, for a harmless probe naming a group, that word's."""
    model, tok = saved.run.model, saved.tok
    p = predict_texts(model, tok, PROBES)
    out = []
    for i, text in enumerate(PROBES):
        toks, w = attention_of(model, tok, text)
        got = w.mean(0)
        order = [int(k) for k in np.argsort(-got)]
        rec: dict[str, object] = {"text": text, "kind": "harmless" if i < N_HARMLESS else "toxic"}
        rec["probs"] = {lab: float(p[i, j]) for j, lab in enumerate(labels)}
        rec["flagged"] = [lab for j, lab in enumerate(labels) if p[i, j] >= thresholds[lab]]
        rec["attended"] = [[toks[k], float(got[k])] for k in order[:top]]
        g = next((k for k, t in enumerate(toks) if t in GROUP_WORDS), None)
        if g is not None:
            rec["group_word"] = {"token": toks[g], "attention": float(got[g]), "rank": order.index(g) + 1}
        out.append(rec)
    return out


def goals(best: dict) -> dict[str, dict]:
    """The notebook's goals for its best model's record (`GOALS`; one whose metric this dataset lacks is left out)."""
    values = {"test_macro_auc": best["test"]["roc_auc"]["macro"]}
    if "hate" in best["test"]["derived"]:
        values["test_hate_f1"] = best["test"]["derived"]["hate"]["f1_at_tuned"]
    return {
        name: {"value": values[metric], "target": f">= {target:.2f}", "met": bool(values[metric] >= target)}
        for name, (metric, target) in GOALS.items()
        if metric in values
    }


def model_records(
    part1: tuple[dict, dict, dict],
    plain_scores: dict,
    seed_scores: dict,
    c: Candidates,
    scores: dict,
    saved: Saved,
    data: GloveData,
    first_seed: int,
) -> dict[str, dict]:
    """Every record: the part-1 variants (the best one with its plain seeds), the saved model unless it is one of
    them, and the combinations; every candidate gets the saved recipe's seed summary."""
    runs, mode_scores, info = part1
    single = c.names["single"]
    models = glove_mode_entries(runs, mode_scores, (single, saved.size), info)
    models[f"glove_{best_mode(runs)}"]["seeds"] = seed_record(plain_scores)
    seed_info = seed_record(seed_scores)
    if saved.alpha or data.sweep_idx is not None or saved.seed != first_seed:  # not one of the comparison runs
        kd = {"distill_alpha": saved.alpha, "teacher": saved.teacher} if saved.alpha else {}
        rows = len(data.texts["train"])
        models[single] = entry(saved.run, scores[single], saved.size, **kd, seeds=seed_info, train_rows=rows)
    if c.names["pair"] in c.combos:
        c.combos[c.names["pair"]][0] = saved.size + c.ba_path.stat().st_size
    for n, (nbytes, extra) in c.combos.items():
        models[n] = combo_entry(c.params[n], nbytes, scores[n], **extra, seeds=seed_info)
    return models
