"""Side-by-side CPU benchmark, raw text in -> probabilities out: python -m src.evaluation.bench --dataset ghc -> results/bench.json.

Each model is measured in its own freshly spawned process (so peak memory is its own), with torch threads fixed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from src.evaluation.bench_goals import goals

THREADS = 2
BATCH1_N, TEACHER_N = 300, 1024  # comments timed one at a time; cap on the teacher's batch-256 inputs
MEMORY = (
    "peak_rss_mb: VmHWM (/proc/self/status) of a fresh spawned process per model (peak RSS: Python, torch, the input "
    "texts and the model; resource.getrusage ru_maxrss would include the parent's peak); rss_model_load_mb: growth "
    "of VmRSS while loading the model"
)


def synthetic_comments(n: int, source: list[str], seed: int = 0) -> list[str]:
    """Jigsaw-like lengths (words ~ lognormal, median 36, mean ~67, cut at 1,400) filled with words drawn by frequency."""
    rng = np.random.default_rng(seed)
    words, counts = np.unique(re.findall(r"\S+", " ".join(source).lower()), return_counts=True)
    lengths = np.clip(np.round(rng.lognormal(math.log(36), 1.1, size=n)), 1, 1400).astype(int)
    flat = rng.choice(words, size=int(lengths.sum()), p=counts / counts.sum())
    cuts = np.cumsum(lengths)[:-1]
    return [" ".join(w) for w in np.split(flat, cuts)]


def load_predictor(spec: dict):
    """(predict(texts, batch) -> probs, params, bytes) for one spec, inside the measuring process."""
    import pickle

    import torch

    if spec["kind"] == "pickle":
        raw = Path(spec["path"]).read_bytes()
        model = pickle.loads(raw)

        def fn(texts, batch):
            return np.vstack([model.predict_proba(texts[i : i + batch]) for i in range(0, len(texts), batch)])

        return fn, model.n_params(), len(raw)
    if spec["kind"] == "teacher":
        from src.models.size import count_params, tensor_bytes
        from src.models.teacher import load_teacher
        from src.training.teacher_finetune import predict_proba

        model, tok = load_teacher(spec["n_labels"])
        fn = lambda texts, batch: predict_proba(model, tok, texts, 128, batch, "cpu")  # noqa: E731
        return fn, count_params(model)["total"], tensor_bytes(model)
    from src.evaluation import compress
    from src.models.size import count_params
    from src.serving import checkpoint
    from src.training.loop import predict_proba as encoder_proba

    model, tok, _ = checkpoint.load(spec["path"])
    size = Path(spec["path"]).stat().st_size
    params = count_params(model)["total"]
    if spec.get("int8"):
        model = compress.quantize_int8(model, embedding=True)
        size = compress.checkpoint_bytes(model, tok)
    with torch.inference_mode():
        model(torch.ones(1, 4, dtype=torch.long))  # warm-up: first-call allocations are not serving cost
    return (lambda texts, batch: encoder_proba(model, tok.encode(texts), batch)), params, size


def _rss_mb(field: str = "VmRSS") -> float:
    """Current (VmRSS) or peak (VmHWM) resident set size of this process from /proc/self/status, in MB."""
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _latency(fn, texts: list[str]) -> dict:
    lat = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t], 1)
        lat.append(time.perf_counter() - t0)
    p50, p99 = (1e3 * float(np.percentile(lat, q)) for q in (50, 99))
    return {"per_s": len(lat) / sum(lat), "latency_ms_p50": p50, "latency_ms_p99": p99}


def _measure(spec: dict, texts: dict[str, list[str]], y_test: np.ndarray, threads: int, n1: int = BATCH1_N) -> dict:
    """Throughput at batch 256 per input set, batch-1 latency, test macro ROC AUC, memory; runs in a child."""
    import torch

    from src.training.loop import macro_auc

    torch.set_num_threads(threads)
    rss0 = _rss_mb()
    fn, params, size = load_predictor(spec)
    out: dict = {"params": int(params), "size_bytes": int(size), "note": spec.get("note", "")}
    out["rss_model_load_mb"] = _rss_mb() - rss0
    for name, xs in texts.items():
        xs = xs[: spec["cap"]] if spec.get("cap") else xs
        t0 = time.perf_counter()
        p = fn(xs, 256)
        out[f"{name}_batch256_per_s"] = len(xs) / (time.perf_counter() - t0)
        out[f"{name}_n"] = len(xs)
        if name == "ghc_test" and len(xs) == len(y_test) and spec["kind"] != "teacher":
            out["test_macro_roc_auc"] = macro_auc(y_test, p)
    b1 = _latency(fn, texts["ghc_test"][:n1])
    out.update(batch1_per_s=b1.pop("per_s"), batch1_n=min(n1, len(texts["ghc_test"])), **b1)
    # On 2 busy cores a second OpenMP thread mostly waits at barriers: show 1 thread as well.
    torch.set_num_threads(1)
    b1 = _latency(fn, texts["ghc_test"][:n1])
    out.update(batch1_1thread_per_s=b1["per_s"], latency_1thread_ms_p50=b1["latency_ms_p50"])
    xs = texts["ghc_test"][: spec["cap"]] if spec.get("cap") else texts["ghc_test"]
    t0 = time.perf_counter()
    fn(xs, 256)
    out["ghc_test_batch256_1thread_per_s"] = len(xs) / (time.perf_counter() - t0)
    out["peak_rss_mb"] = _rss_mb("VmHWM")  # not ru_maxrss: Linux carries the parent's high-water mark into spawn
    return out


def model_specs(dataset: str, models: Path, tfidf_path: Path, n_labels: int) -> dict[str, dict]:
    from src.models.teacher import teacher_available

    specs = {"tfidf_lr": {"kind": "pickle", "path": str(tfidf_path), "note": "refit in this run (baseline's config)"}}
    ckpts = {
        "baseattention_fp32": (f"baseattention_{dataset}.pt", False),
        "baseattention_int8": (f"baseattention_{dataset}.pt", True),
        "bestresult_glove": (f"bestresult_{dataset}.pt", False),
        "student_200k": (f"shrink_student200k_{dataset}.pt", False),
        "student_50k": (f"shrink_student50k_{dataset}.pt", False),
    }
    for name, (file, int8) in ckpts.items():
        if (models / file).is_file():
            specs[name] = {"kind": "ckpt", "path": str(models / file), "int8": int8}
    if int8_note := specs.get("baseattention_int8"):
        int8_note["note"] = "quantize_dynamic: Linear qint8 + embedding quint8 per-row; size = serialized + tokenizer"
    if teacher_available():
        specs["minilm_l6_teacher"] = {
            "kind": "teacher",
            "n_labels": n_labels,
            "cap": TEACHER_N,
            "note": f"pretrained encoder + fresh head (speed only; AUC in Teacher.json); first {TEACHER_N} per set",
        }
    return specs


def fit_tfidf(splits, labels: list[str], out: Path) -> None:
    from src.experiments.results import read_results
    from src.models.tfidf import TfidfConfig, TfidfLR

    try:
        base = read_results("baseline")
        c = base["models"][base["best"]]["config"]
        cfg = TfidfConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})
    except (FileNotFoundError, KeyError, TypeError):
        cfg = TfidfConfig()
    model = TfidfLR(cfg, labels).fit(list(splits.train["text"]), splits.train[labels].to_numpy())
    out.write_bytes(model.to_bytes())


def in_process(specs: dict[str, dict], texts: list[str], y: np.ndarray) -> dict[str, dict]:
    """End-to-end batch-256 comments/s and test macro ROC AUC of each spec, in this process (notebook use)."""
    from src.training.loop import macro_auc

    out = {}
    for name, spec in specs.items():
        fn, params, size = load_predictor(spec)
        xs = texts[: spec["cap"]] if spec.get("cap") else texts
        t0 = time.perf_counter()
        p = fn(xs, 256)
        per_s = len(xs) / (time.perf_counter() - t0)
        auc = macro_auc(y, p) if len(xs) == len(y) and spec["kind"] != "teacher" else float("nan")
        out[name] = {"params": params, "size_bytes": size, "comments_per_s": per_s, "test_auc": auc}
    return out


def _clean(x):
    if isinstance(x, float):
        return None if math.isnan(x) else round(x, 6)
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    return [_clean(v) for v in x] if isinstance(x, list | tuple) else x


def run(dataset: str = "ghc", synthetic_size: int = 160_000, quick: bool = False, threads: int = THREADS) -> Path:
    """Benchmark every available model side by side; writes results_dir()/bench.json and returns its path."""
    from src.data.datasets import label_matrix, load_splits
    from src.experiments.results import models_dir, results_dir

    splits = load_splits(dataset, seed=0)
    labels = list(splits.spec.labels)
    synthetic_size = min(synthetic_size, 2000) if quick else synthetic_size
    n1 = 20 if quick else BATCH1_N
    texts = {
        "ghc_test": list(splits.test["text"]),
        "synthetic": synthetic_comments(synthetic_size, list(splits.train["text"])),
    }
    y_test = label_matrix(splits.test, labels)
    load0 = os.getloadavg()
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fit_tfidf(splits, labels, Path(tmp) / "tfidf.pkl")
        specs = model_specs(dataset, models_dir(), Path(tmp) / "tfidf.pkl", len(labels))
        if quick:
            specs.pop("minilm_l6_teacher", None)  # loading MiniLM alone takes longer than the whole quick run
        ctx = mp.get_context("spawn")
        for name, spec in specs.items():
            t0 = time.perf_counter()
            with ctx.Pool(1) as pool:
                rows[name] = pool.apply(_measure, (spec, texts, y_test, threads, n1))
            print(f"{name}: {rows[name].get('ghc_test_batch256_per_s', 0):,.0f}/s ({time.perf_counter() - t0:.0f} s)")
    doc = {
        "dataset": dataset,
        "quick": quick,
        "threads": threads,
        "memory_method": MEMORY,
        "throughput": "end to end: raw texts -> tokenise -> model -> probabilities (no DataFrame), one process",
        "batch1": f"first {n1} GHC test comments, one call each; p50/p99 latency from the same calls",
        "synthetic_size": synthetic_size,
        "synthetic": "lognormal word counts (median 36, Jigsaw-like), words sampled by GHC-train unigram frequency",
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": threads,
        },
        "load_average": {"start": load0, "end": os.getloadavg()},
        "models": rows,
        "goals": goals(rows),
    }
    out = results_dir() / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_clean(doc), indent=1) + "\n")
    return out


def main() -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--synthetic-size", type=int, default=160_000)
    ap.add_argument("--threads", type=int, default=THREADS)
    ap.add_argument("--quick", action="store_true", help="tiny synthetic set, no teacher (tests)")
    a = ap.parse_args()
    print("wrote", run(a.dataset, a.synthetic_size, a.quick, a.threads))


if __name__ == "__main__":
    main()
