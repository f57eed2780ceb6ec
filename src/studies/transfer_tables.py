"""Transfer notebook views of the results: AUC and flag-rate tables, and the conclusions text rendered from them."""

from __future__ import annotations

import pandas as pd

SEP = " | "  # between a corpus and its contrast in column names: "implicit_hate | explicit"


def _in_domain(dataset: str) -> str:
    return f"{dataset} test (in domain)"


def auc_long(models: dict[str, dict], dataset: str) -> pd.DataFrame:
    """One row per (model, column): ROC AUC of the hate score and its 95% interval; in-domain test split first."""
    rows = []
    for m, e in models.items():
        if e.get("skipped"):
            continue
        views = {_in_domain(dataset): e["in_domain"], **e["cross_corpus"]}
        for corpus, r in views.items():
            for contrast, a in r["auc"].items():
                col = corpus if contrast == "hate" else f"{corpus}{SEP}{contrast}"
                rows.append({"model": m, "column": col, "auc": a["value"], "lo": a["ci95"][0], "hi": a["ci95"][1]})
    return pd.DataFrame(rows, columns=["model", "column", "auc", "lo", "hi"])


def auc_table(long: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Models x columns: "AUC [lo, hi]" strings, in the order of `long`."""
    cell = long.assign(
        text=[
            f"{a:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
            for a, lo, hi in zip(long.auc, long.lo, long.hi, strict=True)
        ]
    )
    t = cell.pivot(index="model", columns="column", values="text")
    return t.loc[list(dict.fromkeys(long["model"])), list(dict.fromkeys(long["column"]))]


def flag_table(models: dict[str, dict], dataset: str) -> pd.DataFrame:
    """Models x (in-domain test, corpora): share of harmless texts flagged `hate` at the model's tuned threshold."""
    rows = {}
    for m, e in models.items():
        if e.get("skipped"):
            continue
        row = {"threshold": e["threshold"], _in_domain(dataset): e["in_domain"]["not_hate_flag_rate"]["value"]}
        rows[m] = row | {c: r["not_hate_flag_rate"]["value"] for c, r in e["cross_corpus"].items()}
    return pd.DataFrame(rows).T


def _auc(e: dict, corpus: str, contrast: str = "hate") -> dict:
    return e["cross_corpus"][corpus]["auc"][contrast]


def _ci(a: dict) -> str:
    return f"{a['value']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"


def _corpus_line(models: dict[str, dict], corpus: str, default: str) -> str:
    """Range of hate AUCs on a corpus, and whether the best model's interval clears the default model's."""
    scored = {m: _auc(e, corpus)["value"] for m, e in models.items() if not e.get("skipped")}
    best, worst = max(scored, key=scored.get), min(scored, key=scored.get)
    line = f"- **{corpus}**: hate ROC AUC from {scored[worst]:.3f} (`{worst}`) to {scored[best]:.3f} (`{best}`)"
    if best != default:
        d, b = _auc(models[default], corpus), _auc(models[best], corpus)
        apart = b["ci95"][0] > d["ci95"][1]
        line += (
            f"; the default model `{default}` {_ci(d)}, "
            + ("below the best model's interval " if apart else "with overlapping intervals ")
            + f"({_ci(b)})"
        )
    return line + "."


def conclusions(doc: dict) -> str:
    """The conclusions cell, every number taken from the results document `doc` (as written to results/Transfer.json)."""
    models, corpora, default, dataset = doc["models"], doc["corpora"], doc["best"], doc["dataset"]
    found = {c: i for c, i in corpora.items() if "missing" not in i}
    head = f"## Conclusions ({dataset} models; numbers from `results/Transfer.json`)\n\n"
    if not found:
        return head + "- No corpus file found, so nothing was measured: " + "; ".join(corpora) + " (see above).\n"
    sizes = ", ".join(
        f"{c} {i['sizes']['evaluation']:,} rows ("
        + ", ".join(f"{n:,} {k}" for k, n in i["label_counts"]["evaluation"].items())
        + ")"
        for c, i in found.items()
    )
    lines = [f"- **Evaluation halves** (fixed split, seed {doc['split_seed']}): {sizes}."]
    lines += [_corpus_line(models, c, default) for c in found]
    d = models[default]
    travel = ", ".join(f"{_ci(_auc(d, c))} on {c}" for c in found)
    lines.append(
        f"- **Default model `{default}`**: hate AUC {_ci(d['in_domain']['auc']['hate'])} on {dataset} test, {travel}."
    )
    for c in found:
        extra = [k for k in d["cross_corpus"][c]["auc"] if k != "hate"]  # e.g. implicit_hate: explicit, implicit
        if extra:
            parts = " against ".join(f"{k} {_ci(_auc(d, c, k))}" for k in extra)
            lines.append(f"- **{c}, hate kind by kind** (each vs not_hate), default model: {parts}.")
    rates = ", ".join(f"{d['cross_corpus'][c]['not_hate_flag_rate']['value']:.1%} on {c}" for c in found)
    own = d["in_domain"]["not_hate_flag_rate"]["value"]
    lines.append(
        f"- **Harmless texts flagged** by the default model at its validation-tuned threshold "
        f"({d['threshold']:.3f}): {rates}, against {own:.1%} of the {dataset} test posts without hate."
    )
    lines += [f"- **`{m}`**: {e['note']}" for m, e in models.items() if e.get("skipped")]
    lines += [f"- **{c}**: {i['missing']}" for c, i in corpora.items() if "missing" in i]
    lines.append(_goal_line(doc))
    return head + "\n".join(lines) + "\n"


def _goal_check(name: str, g: dict) -> str:
    value = "n/a" if g["value"] is None else f"{g['value']:.4f}"
    return f"{name} {value} (target {g['target']}): {'met' if g['met'] else '**not met**'}"


def _goal_line(doc: dict) -> str:
    base, goals = doc.get("baseline_default_model"), doc["goals"]
    if base is None:
        return "- **Goal (issue #21)**: no baseline recorded (no saved default model to measure)."
    said = "; ".join(_goal_check(k, g) for k, g in goals.items() if k != "baseline_recorded")
    return (
        f"- **Goal (issue #21)**: baseline of `{base['model']}` recorded {base['recorded']} ({base['source']}); {said}."
    )
