"""The report's question: the fewest parameters at which a model is good enough, asked literally (at least 2x the
baseline's metric) and restated (matches / beats the baseline's test macro ROC AUC, with seed spread)."""

from __future__ import annotations

# The report's metrics at a 0/1 cut: (results-file block, metric, average).
CUT_METRICS = [
    (at, metric, avg)
    for at in ("at_0.5", "at_tuned")
    for metric in ("precision", "recall", "f1")
    for avg in ("micro", "macro")
]


def doubling(baseline: dict, models: dict[str, dict], split: str = "test") -> list[dict]:
    """Per report metric: the baseline's value, whether 2x is possible at all (<= 1), and the best model at it.

    ROC AUC is left out on purpose: a ranking metric of a useful model is >= 0.5, so it can never double.
    """
    rows = []
    for at, metric, avg in CUT_METRICS:
        base = baseline[split][at][metric][avg]
        got = [(n, v) for n, m in models.items() if (v := m[split][at][metric][avg]) is not None]
        if base is None or not got:
            continue  # undefined on this split (no positives): nothing to double
        name, best = max(got, key=lambda x: x[1])
        target = 2 * base
        possible = 0 < target <= 1.0  # a baseline at 0 has nothing to double
        rows.append(
            {"metric": f"{metric} {avg} ({at.removeprefix('at_')})", "baseline": base, "target": target,
             "possible": possible, "best_model": name, "best": best, "doubled": possible and best >= target}
        )  # fmt: skip
    return rows


def seed_points(models: dict[str, dict], split: str = "test") -> list[dict]:
    """(name, params, mean, std, n) of every model entry with a test macro AUC, seed spread where recorded."""
    out = []
    for name, m in models.items():
        spread = (m.get("seeds") or {}).get(f"{split}_macro_auc") or m.get(f"{split}_macro_auc_over_seeds")
        auc = m[split]["roc_auc"]["macro"] if split in m else None
        if auc is None and not spread:
            continue
        mean = spread["mean"] if spread else auc
        std = spread["std"] if spread else None
        n = len(spread["values"]) if spread else 1
        out.append({"name": name, "params": m["params"]["total"], "mean": mean, "std": std, "n": n})
    return sorted(out, key=lambda p: p["params"])


def smallest(points: list[dict], base: float, min_seeds: int = 3) -> dict:
    """The fewest-parameter point that matches (mean >= base) and that beats (mean - std > base) the baseline.

    Only points scored over at least `min_seeds` seeds count for "beats": one seed has no spread to beat.
    """
    matches = next((p for p in points if p["mean"] >= base), None)
    beats = next((p for p in points if p["n"] >= min_seeds and p["mean"] - (p["std"] or 0.0) > base), None)
    return {"baseline": base, "min_seeds": min_seeds, "matches": matches, "beats": beats}
