"""Transfer notebook views of the results: AUC and flag-rate tables, and the conclusions text rendered from them."""

from __future__ import annotations

import pandas as pd

SEP = " | "  # between a corpus and its contrast in column names: "implicit_hate | explicit"


def _in_domain(dataset: str) -> str:
    return f"{dataset} test (in domain)"


def corpus_table(info: dict[str, dict]) -> pd.DataFrame:
    """Corpora x facts: rows per half, evaluation-half class counts, what the loader counted, fingerprint prefixes."""
    rows = {}
    for name, i in info.items():
        if "missing" in i:
            rows[name] = {"missing": "yes"}
            continue
        row = {f"{k} rows": n for k, n in i["sizes"].items()}
        row |= {f"evaluation {k}": n for k, n in i["label_counts"]["evaluation"].items()}
        row |= {k: v for k, v in i["notes"].items() if k != "file_sha256"}
        rows[name] = row | {"evaluation fingerprint": i["fingerprint"]["evaluation"][:12]}
    return pd.DataFrame(rows).T


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


def _corpus_line(models: dict[str, dict], corpus: str) -> str:
    """Range of hate AUCs on a corpus, and which models' intervals overlap the top model's (unpaired: conservative)."""
    scored = {m: _auc(e, corpus) for m, e in models.items() if not e.get("skipped")}
    order = sorted(scored, key=lambda m: scored[m]["value"], reverse=True)
    top, low = scored[order[0]], scored[order[-1]]
    near = [f"`{m}`" for m in order[1:] if scored[m]["ci95"][1] >= top["ci95"][0]]
    line = f"- **{corpus}**: hate ROC AUC from {low['value']:.3f} (`{order[-1]}`) to {_ci(top)} (`{order[0]}`); "
    return line + (
        f"intervals overlapping the top one: {', '.join(near)}." if near else "no other interval overlaps it."
    )


def _rate_range(models: dict[str, dict], corpus: str) -> str:
    rates = [e["cross_corpus"][corpus]["not_hate_flag_rate"]["value"] for e in models.values() if not e.get("skipped")]
    return f"{corpus} {min(rates):.1%}-{max(rates):.1%}"


def _default_lines(d: dict, default: str, found: list[str], dataset: str) -> list[str]:
    """The default model: in-domain and cross-corpus AUC (change from in domain), kinds of hate, harmless flagged."""
    own = d["in_domain"]["auc"]["hate"]
    travel = ", ".join(f"{_ci(_auc(d, c))} on {c} ({_auc(d, c)['value'] - own['value']:+.3f})" for c in found)
    lines = [f"- **Default model `{default}`**: hate AUC {_ci(own)} on {dataset} test, {travel}."]
    for c in found:
        extra = [k for k in d["cross_corpus"][c]["auc"] if k != "hate"]  # e.g. implicit_hate: explicit, implicit
        if extra:
            parts = " against ".join(f"{k} {_ci(_auc(d, c, k))}" for k in extra)
            lines.append(f"- **{c}, hate kind by kind** (each vs not_hate), default model: {parts}.")
    rates = ", ".join(f"{d['cross_corpus'][c]['not_hate_flag_rate']['value']:.1%} on {c}" for c in found)
    lines.append(
        f"- **Harmless texts flagged** by the default model at its validation-tuned threshold ({d['threshold']:.3f}): "
        f"{rates}, against {d['in_domain']['not_hate_flag_rate']['value']:.1%} of the {dataset} test posts without hate."
    )
    return lines


def conclusions(doc: dict) -> str:
    """The conclusions cell, every number taken from the results document `doc` (as written to results/Transfer.json)."""
    models, corpora, default, dataset = doc["models"], doc["corpora"], doc["best"], doc["dataset"]
    found = [c for c, i in corpora.items() if "missing" not in i]
    head = f"## Conclusions ({dataset} models; numbers from `results/Transfer.json`)\n\n"
    if not found:
        return head + "- No corpus file found, so nothing was measured: " + "; ".join(corpora) + " (see above).\n"
    sizes = ", ".join(
        f"{c} {corpora[c]['sizes']['evaluation']:,} rows ("
        + ", ".join(f"{n:,} {k}" for k, n in corpora[c]["label_counts"]["evaluation"].items())
        + ")"
        for c in found
    )
    lines = [f"- **Evaluation halves** (fixed split, seed {doc['split_seed']}): {sizes}."]
    lines += [_corpus_line(models, c) for c in found]
    lines += _default_lines(models[default], default, found, dataset)
    lines.append(
        "- **Harmless texts flagged, range over the models**: " + ", ".join(_rate_range(models, c) for c in found) + "."
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
        return "- **Goal**: no baseline recorded (no saved default model to measure)."
    said = "; ".join(_goal_check(k, g) for k, g in goals.items() if k != "baseline_recorded")
    return f"- **Goal**: baseline of `{base['model']}` recorded {base['recorded']}, {base['source']}; {said}."
