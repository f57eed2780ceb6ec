"""The time budget's measurement and plan: two probes on this machine, the references, the chosen knobs -> budget.json.

python -m src.apps.calibrate --dataset jigsaw [--budget-minutes 60]   (prints the plan; `make report` runs it)

Probes (seconds each, on a few thousand stratified train rows): one epoch of BaseAttention's recipe (d16, dot
attention, max_len 200) with one torch thread and a validation pass on a quarter as many rows, as every notebook
worker trains (rows/s comparable with a scale record's `train_rows_per_s`); and one TF-IDF + LR fit with the
baseline's config (rows/s). References: the committed `make scale` records (results/scale_jigsaw_proxy*.json).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from src import ROOT
from src.apps.budget import COSTS, Plan, Rates, Reference, choose, full_knobs, notebook_params
from src.common.results import write_json
from src.data.datasets import Splits, label_matrix, load_splits, stratified_split

PROBE_ROWS = 3_000  # train rows of the torch probe: ~2 s of training on one core; the reference's used as many
PROBE_TFIDF_ROWS = 2_000  # train rows of the TF-IDF probe: liblinear on a small sample needs many iterations
PROBE_VOCAB = 2_000  # BPE size of the torch probe: an epoch's time hardly depends on it, BPE training does
REFERENCES = "scale_jigsaw_proxy*.json"  # in ROOT/results: one per proxy variant `make scale` measured


def _sample(splits: Splits, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """n stratified train rows (all when fewer): texts and (n, L) labels."""
    y = label_matrix(splits.train, list(splits.spec.labels))
    keep = np.ones(len(y), bool) if n >= len(y) else stratified_split(y, frac=n / len(y), seed=seed + 11)
    return list(splits.train["text"][keep]), y[keep]


def probe_train(splits: Splits, seed: int = 0) -> float:
    """Train rows per second of one epoch of BaseAttention's recipe (one torch thread, validation pass included)."""
    import torch

    from src.data.tokenizers import BPETokenizer
    from src.models.encoder import Encoder, ModelConfig
    from src.training.loop import TrainConfig, fit

    texts, y = _sample(splits, PROBE_ROWS, seed)
    n_val = max(1, len(texts) // 4)  # the notebooks' validation split is a quarter of their train split
    tok = BPETokenizer.train(texts, PROBE_VOCAB, max_len=200, seed=seed)
    ids = tok.encode(texts)
    model = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=y.shape[1], d_model=16, d_ff=32, max_len=200))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each notebook worker trains
    try:
        hist = fit(model, ids, y, ids[:n_val], y[:n_val], TrainConfig(epochs=1, seed=seed), desc="calibrate")
    finally:
        torch.set_num_threads(threads)
    return len(texts) / hist.epoch_seconds[0]


def probe_tfidf(splits: Splits, seed: int = 0) -> float:
    """Train rows per second of one TF-IDF + LR fit with the baseline's config (every core, as the baseline)."""
    from src.models.tfidf import TfidfConfig, TfidfLR

    texts, y = _sample(splits, PROBE_TFIDF_ROWS, seed)
    t0 = time.perf_counter()
    TfidfLR(TfidfConfig(), list(splits.spec.labels)).fit(texts, y.astype(int))
    return len(texts) / (time.perf_counter() - t0)


def reference(path: Path) -> Reference | None:
    """A scale record as a Reference (None when it has no usable times); rates from its own calibration, else
    estimated from BaseAttention's measured train rows/s (the same definition as the torch probe's)."""
    doc = json.loads(path.read_text())
    notebooks, budget = doc.get("notebooks", {}), doc.get("budget") or {}
    measured = bool(budget.get("rates"))
    if measured:
        rates = Rates(**budget["rates"])
    elif rows_per_s := notebooks.get("BaseAttention", {}).get("train_rows_per_s"):
        rates = Rates(float(rows_per_s), cores=doc.get("cores") or 2)
    else:
        return None
    train_rows = budget.get("train_rows") or round(doc["rows"]["train"] * 0.8)  # the notebooks' 80% train split
    seconds = {nb: float(t["wall_seconds"]) for nb, t in notebooks.items()}
    params = {nb: t.get("params") or {} for nb, t in notebooks.items()}
    return Reference(seconds, params, int(train_rows), rates, f"results/{path.name}", measured)


def references(folder: Path = ROOT / "results") -> list[Reference]:
    """The committed scale records that can serve as references: those with their own probe rates when any has
    them, since an estimated rate (a whole-run epoch of another model) is not the probe's measure and skews the
    prediction; else every usable one."""
    refs = [r for p in sorted(folder.glob(REFERENCES)) if (r := reference(p)) is not None]
    return [r for r in refs if r.measured] or refs


def plan_run(dataset: str, results: Path, budget_min: float, notebooks: list[str], seed: int = 0) -> dict[str, dict]:
    """Measure, choose the knobs, write results/budget.json and print the plan; returns notebook -> parameters."""
    refs = references()
    if not refs:
        print(f"WARNING: no reference record ({REFERENCES} in results/): the hour profile runs unchanged", flush=True)
        return {}
    t0 = time.perf_counter()
    splits = load_splits(dataset, seed=seed)
    tfidf = probe_tfidf(splits, seed) if "baseline" in notebooks else None
    rates = Rates(probe_train(splits, seed), tfidf, os.cpu_count() or 1)
    spent = time.perf_counter() - t0
    plan = choose(refs, rates, budget_min * 60, len(splits.train), notebooks, spent)
    params = notebook_params(plan.knobs, notebooks)
    write_json(results / "budget.json", record(plan, rates, refs, budget_min, len(splits.train), spent, params))
    print(f"budget {budget_min:g} min: {plan.message} (calibration {spent:.0f} s; rates {asdict(rates)})", flush=True)
    return params


def record(
    plan: Plan, rates: Rates, refs: list[Reference], budget_min: float, train_rows: int, spent: float, params: dict
) -> dict:
    """What budget.json keeps (copied into the scale record by `src.apps.scale summarize`)."""
    return {
        "budget_minutes": budget_min,
        "limit_seconds": plan.limit_s,
        "rates": asdict(rates),
        "probe_rows": {"train": PROBE_ROWS, "tfidf": PROBE_TFIDF_ROWS},
        "train_rows": train_rows,
        "calibration_seconds": spent,
        "knobs": asdict(plan.knobs),
        "hour_profile_knobs": asdict(full_knobs(list(plan.predicted))),
        "params": params,
        "predicted_seconds": plan.predicted,
        "predicted_total_seconds": spent + sum(plan.predicted.values()),
        "fits": plan.fits,
        "at_floor": plan.at_floor,
        "message": plan.message,
        "references": {
            r.name: {"rates": asdict(r.rates), "train_rows": r.train_rows, "rates_measured": r.measured} for r in refs
        },
    }


def main(argv: list[str] | None = None) -> None:
    """CLI: measure this machine, print the plan and the notebook parameters it sets, write budget.json."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="jigsaw")
    ap.add_argument("--budget-minutes", type=float, default=60.0)
    ap.add_argument("--notebooks", nargs="+", default=list(COSTS), help="the notebooks the run will execute")
    ap.add_argument("--results", type=Path, default=Path("runs/calibrate"), help="folder for budget.json")
    a = ap.parse_args(argv)
    print(json.dumps(plan_run(a.dataset, a.results, a.budget_minutes, a.notebooks)))


if __name__ == "__main__":
    main()
