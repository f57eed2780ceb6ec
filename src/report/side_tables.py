"""REPORT.md tables from files beside the notebooks' results: Behaviour.json and scale_jigsaw_proxy*.json."""

from __future__ import annotations

import json
from pathlib import Path

from src.report.markdown import NOT_RUN, bench_cell, dig, md_table

RATES = ("train_rows_per_s", "train_tokens_per_s")  # of each notebook's saved model, one epoch incl. validation


def table_behaviour(directory: Path) -> str:
    """results/Behaviour.json: held-out functional-suite scores of every saved model and TF-IDF, then the goals."""
    path = directory / "Behaviour.json"
    if not path.is_file():
        return NOT_RUN
    doc = json.loads(path.read_text())
    split, auc_key = doc.get("split", "heldout"), f"{doc['dataset']}_test_macro_auc"
    rows = []
    for name, m in doc["models"].items():
        s = m[split]
        cells = [s["accuracy"], s["hate_accuracy"], s["identity_fpr"]["overall"], s["spelling_gap"], m.get(auc_key)]
        rows.append([name + (" *" if name == doc["best"] else ""), *cells])
    head = ["model", f"{split} accuracy", "hate-flag accuracy", "identity FPR", "spelling gap", "test ROC AUC macro"]
    funcs = doc["suite"]["functionalities"]
    per = [[f, *[dig(m, split, "by_functionality", f) for m in doc["models"].values()]] for f in funcs]
    goals = [[k, bench_cell(g.get("value")), g.get("target"), g.get("met")] for k, g in doc.get("goals", {}).items()]
    intro = (
        f"Dataset {doc['dataset']}; suite: {doc['suite']['n_cases']} cases, {doc['suite']['n_heldout']} held out "
        f"(groups never used for training: {', '.join(doc['suite']['groups']['heldout'])}). `*` = the default model.\n\n"
    )
    parts = [intro + md_table(head, rows), md_table(["functionality", *doc["models"]], per)]
    parts.append(md_table(["goal", "value", "target", "met"], goals))
    if gm := doc.get("test_group_mentions"):
        parts.append(_mentions(gm, doc["labels"]))
    for key, recipe in (("mitigation", "BaseAttention"), ("mitigation_glove", "BestResult's GloVe")):
        if doc.get(key):
            parts.append(_mitigation(doc[key], recipe))
    if doc.get("seed_selection"):
        parts.append(_seeds(doc["seed_selection"]))
    return "\n\n".join(parts)


def _seeds(sel: dict) -> str:
    """Behaviour's seed check: the default recipe's plain runs per seed, and the seed a validation-only rule picks."""
    keys = ("train_part_identity_fpr", "identity_fpr", "accuracy", "test_macro_auc", "val_macro_auc")
    rows = [[s, *(sel[k][i] for k in keys)] for i, s in enumerate(sel["seeds"])]
    head = ["seed", "identity FPR, training part", "identity FPR, held out", "held-out accuracy", "test ROC AUC"]
    rho = "—" if sel.get("spearman") is None else f"{sel['spearman']:.2f}"
    intro = (
        f"Seed choice, BestResult's GloVe recipe without augmentation: Spearman rank correlation of the two identity "
        f"rates {rho}; the rule (lowest training-part rate within {sel['val_slack']} of the best validation AUC) "
        f"picks seed {sel['pick']}.\n\n"
    )
    return intro + md_table([*head, "validation ROC AUC"], rows)


def _mean_std(summary: dict | None) -> str | None:
    """ "mean ± std" of a seed summary; None (a dash) for a metric an older results file lacks or that has no value
    (e.g. an AUC on a subset with one class only: NaN, stored as null)."""
    if summary is None or summary.get("mean") is None:
        return None
    return (
        f"{summary['mean']:.4f} ± {summary['std']:.4f}" if summary.get("std") is not None else f"{summary['mean']:.4f}"
    )


def _mentions(gm: dict, labels: list[str]) -> str:
    """How much the test split rewards naming a group (behaviour.group_mentions)."""
    rows = [
        [lab, gm["positive_rate"][lab]["naming_group"], gm["positive_rate"][lab]["other"], gm["mention_auc"][lab]]
        for lab in labels
    ]
    head = [
        "label",
        "positive rate, posts naming a group",
        "positive rate, other posts",
        "ROC AUC of the mention alone",
    ]
    intro = f"Test posts naming one of the suite's groups: {gm['n_naming_group']:,} of {gm['n_test']:,}.\n\n"
    return intro + md_table(head, rows)


def _mitigation(mit: dict, recipe: str) -> str:
    """Behaviour's mitigation study: a saved model's recipe retrained per augmentation variant, mean ± std over seeds."""
    metrics = ["test_macro_auc", "test_macro_auc_naming_group", "test_macro_auc_other", "accuracy", "identity_fpr"]
    metrics += ["spelling_gap"]
    seeds = next(iter(mit.values()))["accuracy"]["seeds"]
    rows = [[v, r["train_rows"], *(_mean_std(r.get(m)) for m in metrics)] for v, r in mit.items()]
    head = [f"augmentation ({recipe} recipe)", "train rows", "test ROC AUC macro", "… posts naming a group"]
    head += ["… other posts", "held-out accuracy", "identity FPR", "spelling gap"]
    return f"Mitigation study, {recipe} recipe, seeds {seeds} (mean ± sample std):\n\n" + md_table(head, rows)


def _idle(t: dict) -> str | None:
    """A notebook's longest stretch with a core idle and the cell it began in (None: not measured)."""
    if "longest_idle_core_seconds" not in t:
        return None
    cell = next((x.get("cell") for x in t.get("idle_core_stretches", [])[:1]), None)
    return f"{t['longest_idle_core_seconds']:.0f}" + (f" (cell {cell})" if cell else "")


def _scale_record(doc: dict, name: str) -> str:
    """One `make scale` record: rows, total, limits, then a line per notebook."""
    rows = [
        [nb, bench_cell(t["wall_seconds"]), t.get("peak_rss_mb"), bench_cell(t.get("cpu_per_wall")), _idle(t)]
        + [*(bench_cell(t.get(k)) for k in RATES), _cuts(t.get("params"))]
        for nb, t in doc["notebooks"].items()
    ]
    r = doc["rows"]
    intro = (
        f"`{name}` (proxy variant {doc.get('variant', 'implied')}): train {r['train']:,}, test {r['test']:,} "
        f"({r['test_scored']:,} scored); {doc['cores']} cores, device {doc['device']}. "
        f"Total {doc['total_wall_seconds']:.0f} s; limits met: {doc['limits']}.\n\n"
    )
    head = ["notebook", "wall seconds", "peak RSS MB", "cores busy (CPU/wall)", "longest idle-core stretch s"]
    head += ["training rows/s", "training tokens/s", "parameters changed"]
    return intro + md_table(head, rows)


def table_scale(directory: Path) -> str:
    """results/scale_jigsaw_proxy*.json (`make scale`, one per proxy variant): time, memory and CPU per notebook."""
    paths = sorted(directory.glob("scale_jigsaw_proxy*.json"))
    if not paths:
        return NOT_RUN
    return "\n\n".join(_scale_record(json.loads(p.read_text()), p.name) for p in paths)


def _cuts(params: dict | None) -> str:
    """The notebook parameters a run set besides the dataset (the profile's cuts), or "-"."""
    cuts = {k: v for k, v in (params or {}).items() if k != "dataset"}
    return ", ".join(f"{k}={v}" for k, v in cuts.items()) or "-"
