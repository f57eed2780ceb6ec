"""Side-by-side CPU benchmark, raw text in -> probabilities out: python -m src.apps.bench --dataset ghc -> results/bench.json.

Each model is measured in its own freshly spawned process (so peak memory is its own), with threads fixed: torch
eager, then (for every saved encoder) ONNX Runtime fp32 and int8 in a child that never imports torch
(`bench_serving`); then `src.serving.batch` on a generated N-row Parquet set (`bench_dask`, --dask-rows); then the
predict CLI's peak RSS on a 64 MB single-word line and a 1 GB file of long lines against their bounds (`bench_inputs`).
Installed peers (`bench_peers`: alt-profanity-check) get the same speed rows and their own quality record.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from src.apps.bench_dask import POOL, run_dask
from src.apps.bench_goals import goals
from src.apps.bench_inputs import measure_inputs
from src.apps.bench_measure import (
    measure,
    rss_mb,
    spawn,
    split_seconds,
    synthetic_comments,
    write_texts,
)
from src.apps.bench_peers import load_peer, peer_quality, peer_specs
from src.apps.bench_serving import onnx_rows
from src.common.machine import machine_record
from src.common.results import write_json

if TYPE_CHECKING:  # annotation only: this parent process imports torch lazily
    from src.models.encoder import Encoder

THREADS = 2
DASK_ROWS, DASK_ROWS_QUICK = 10_000_000, 20_000
BACKENDS = {"tfidf": "sklearn", "teacher": "torch", "ckpt": "torch", "peer": "sklearn"}
BATCH1_N, TEACHER_N = 300, 1024  # comments timed one at a time; cap on the teacher's batch-256 inputs
MEMORY = (
    "peak_rss_mb: VmHWM (/proc/self/status) of a fresh spawned process per model and backend (Python, its imports, "
    "the input texts it reads and the model; ru_maxrss would include the parent's peak); <input>_batch256_peak_rss_mb: "
    "VmHWM right after that input was scored at batch 256; rss_model_load_mb: growth of VmRSS while loading the model"
)
THROUGHPUT = (
    "end to end: raw texts -> tokenise -> model -> probabilities, one process; inputs read from JSONL in chunks of "
    "12,800 rows (one length-sorting chunk at batch 256, so the batches equal the whole list's), only scoring timed"
)


def load_predictor(spec: dict):
    """(predict(texts, batch) -> probs, params, bytes, serving Scorer or None) for one spec, in the measuring process."""
    if spec["kind"] == "tfidf":
        from src.models.tfidf import TfidfLR

        model = TfidfLR.load(spec["path"])  # plain arrays: nothing is unpickled

        def fn(texts, batch):
            return np.vstack([model.predict_proba(texts[i : i + batch]) for i in range(0, len(texts), batch)])

        return fn, model.n_params(), Path(spec["path"]).stat().st_size, None
    if spec["kind"] == "peer":
        return (*load_peer(spec["module"]), None)
    if spec["kind"] == "teacher":
        from src.models.size import count_params, tensor_bytes
        from src.models.teacher import load_teacher
        from src.training.teacher_finetune import predict_proba

        model, tok = load_teacher(spec["n_labels"])
        fn = lambda texts, batch: predict_proba(model, tok, texts, 128, batch, "cpu")  # noqa: E731
        return fn, count_params(model)["total"], tensor_bytes(model), None
    from src.models import compression
    from src.models.size import count_params
    from src.serving import predict

    pred = predict.load(spec["path"])  # the torch serving backend, as `predict --backend torch` runs it
    size = Path(spec["path"]).stat().st_size
    params = count_params(pred.model)["total"]
    if spec.get("int8"):
        # quantize_dynamic swaps the Linear layers of a deep copy: the copy is still an Encoder.
        pred.model = cast("Encoder", compression.quantize_int8(pred.model, embedding=True))
        size = compression.checkpoint_bytes(pred.model, pred.tokenizer)
    pred.probs(np.ones((1, 4), dtype=np.int64))  # warm-up: first-call allocations are not serving cost
    return (lambda texts, batch: pred.predict(texts, batch)[pred.labels].to_numpy()), params, size, pred


def _measure(spec: dict, inputs: dict[str, str], threads: int, n1: int = BATCH1_N) -> dict:
    """One torch (or TF-IDF) row in a fresh spawned child: see `bench_measure.measure`."""
    import torch

    torch.set_num_threads(threads)
    rss0 = rss_mb()
    fn, params, size, scorer = load_predictor(spec)
    out: dict = {"backend": BACKENDS[spec["kind"]], "params": params and int(params), "size_bytes": int(size)}
    out.update(note=spec.get("note", ""), rss_model_load_mb=rss_mb() - rss0, torch_imported="torch" in sys.modules)

    def with_threads(t: int):
        torch.set_num_threads(t)
        return fn

    out.update(measure(with_threads, inputs, threads, n1, spec.get("cap")))
    if scorer is not None:
        torch.set_num_threads(threads)
        out["synthetic_split"] = split_seconds(scorer, inputs["synthetic"])
    return out


def model_specs(dataset: str, models: Path, tfidf_path: Path, n_labels: int) -> dict[str, dict]:
    from src.models.teacher import teacher_available

    specs: dict[str, dict] = {
        "tfidf_lr": {"kind": "tfidf", "path": str(tfidf_path), "note": "the baseline's best config"}
    }
    ckpts = {
        "baseattention_fp32": (f"baseattention_{dataset}.pt", False),
        "baseattention_int8": (f"baseattention_{dataset}.pt", True),
        "bestresult_glove": (f"bestresult_{dataset}.pt", False),
        "student_200k": (f"shrink_student200k_{dataset}.pt", False),
        "student_50k": (f"shrink_student50k_{dataset}.pt", False),
        "student_200k_glove": (f"shrink_student200kglove_{dataset}.pt", False),
        "student_50k_glove": (f"shrink_student50kglove_{dataset}.pt", False),
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


def fit_tfidf(splits, out: Path) -> str:
    """Save the baseline's best TF-IDF + LR config, fitted on the train split (or loaded: see baseline_model), at `out`."""
    from src.common.results import read_results
    from src.models.tfidf import TfidfConfig
    from src.studies import baseline as baseline_model

    try:
        base = read_results("baseline")
        c = base["models"][base["best"]]["config"]
        cfg = TfidfConfig.from_dict(c)
    except (FileNotFoundError, KeyError, TypeError):
        cfg = TfidfConfig()
    model, note = baseline_model.fitted(splits, cfg)
    model.save(out)
    return note


def in_process(specs: dict[str, dict], texts: list[str], y: np.ndarray) -> dict[str, dict]:
    """End-to-end batch-256 comments/s and test macro ROC AUC of each spec, in this process (notebook use)."""
    from src.common.auc import macro_auc

    out = {}
    for name, spec in specs.items():
        fn, params, size, _ = load_predictor(spec)
        xs = texts[: spec["cap"]] if spec.get("cap") else texts
        t0 = time.perf_counter()
        p = fn(xs, 256)
        per_s = len(xs) / (time.perf_counter() - t0)
        auc = macro_auc(y, p) if len(xs) == len(y) and spec["kind"] != "teacher" else float("nan")
        out[name] = {"params": params, "size_bytes": size, "comments_per_s": per_s, "test_auc": auc}
    return out


def _models(specs: dict, inputs: dict[str, str], y_test: np.ndarray, threads: int, n1: int, tmp: Path) -> dict:
    """Every spec's row, each saved encoder followed by its ONNX fp32/int8 rows; test AUC added here."""
    from src.common.auc import macro_auc

    rows: dict[str, dict] = {}
    for name, spec in specs.items():
        t0 = time.perf_counter()
        new = {name: spawn(_measure, spec, inputs, threads, n1)}
        if spec["kind"] == "ckpt" and not spec.get("int8"):
            new.update(onnx_rows(name, spec["path"], inputs, threads, n1, tmp))
        for key, row in new.items():
            p = row.pop("_ghc_test_probs")
            row.setdefault("params", new[name]["params"])
            if len(p) == len(y_test) and spec["kind"] in ("tfidf", "ckpt"):  # a peer's one score: peer_quality
                row["test_macro_roc_auc"] = macro_auc(y_test, p)
            print(f"{key}: {row['ghc_test_batch256_per_s']:,.0f}/s GHC, {row['synthetic_batch256_per_s']:,.0f}/s long")
        print(f"  ({time.perf_counter() - t0:.0f} s)")
        rows.update(new)
    return rows


def run(
    dataset: str = "ghc",
    synthetic_size: int = 160_000,
    quick: bool = False,
    threads: int = THREADS,
    dask_rows: int | None = None,
) -> Path:
    """Benchmark every available model and backend side by side, then the Dask job; writes results_dir()/bench.json."""
    from src.common.results import models_dir, results_dir
    from src.data.datasets import label_matrix, load_splits

    splits = load_splits(dataset, seed=0)
    labels, train = list(splits.spec.labels), list(splits.train["text"])
    synthetic_size = min(synthetic_size, 2000) if quick else synthetic_size
    dask_rows = (DASK_ROWS_QUICK if quick else DASK_ROWS) if dask_rows is None else dask_rows
    n1 = 20 if quick else BATCH1_N
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        inputs = {
            "ghc_test": str(write_texts(tmp / "ghc_test.jsonl", list(splits.test["text"]))),
            "synthetic": str(write_texts(tmp / "synthetic.jsonl", synthetic_comments(synthetic_size, train))),
        }
        print("TF-IDF + LR:", fit_tfidf(splits, tmp / "tfidf.npz"))
        peers, peers_absent = peer_specs()
        specs = model_specs(dataset, models_dir(), tmp / "tfidf.npz", len(labels)) | peers
        if quick:
            specs.pop("minilm_l6_teacher", None)  # loading MiniLM alone takes longer than the whole quick run
        rows = _models(specs, inputs, label_matrix(splits.test, labels), threads, n1, tmp)
        for name, q in peer_quality(specs, splits).items():
            rows[name] |= {"test_hate_roc_auc": q["test_roc_auc"].get("hate"), "peer_quality": q}
        dask = None
        if dask_rows > 0 and "baseattention_fp32" in specs:
            pool = synthetic_comments(min(POOL, dask_rows), train, seed=1)
            bundle_dir = tmp / f"{Path(specs['baseattention_fp32']['path']).stem}_onnx"  # exported by onnx_rows
            dask = run_dask(bundle_dir, dask_rows, pool, tmp)
            print(f"dask: {dask['rows']:,} rows, {dask['rows_per_s']:,.0f}/s, exact {dask['exact']}")
        bounded = {}
        if "baseattention_fp32" in specs:  # with the bundle onnx_rows exported; --quick: inputs 16x smaller
            bounded = measure_inputs(tmp / f"{Path(specs['baseattention_fp32']['path']).stem}_onnx", tmp, quick)
            print("bounded inputs:", {k: (v["value"], v["target"], v["met"]) for k, v in bounded.items()})
    doc = _doc(dataset, quick, threads, n1, synthetic_size, load0) | {"dask": dask, "peers_absent": peers_absent}
    doc |= {"models": rows, "goals": goals(rows, dask) | bounded}
    out = results_dir() / "bench.json"
    write_json(out, doc, digits=6)
    return out


def _doc(dataset: str, quick: bool, threads: int, n1: int, synthetic_size: int, load0: tuple) -> dict:
    """bench.json's description fields."""
    return {
        "dataset": dataset,
        "quick": quick,
        "threads": threads,
        "memory_method": MEMORY,
        "throughput": THROUGHPUT,
        "batch1": f"first {n1} comments of each input, one call each; p50/p99 latency from the same calls",
        "synthetic_size": synthetic_size,
        "synthetic": "lognormal word counts (median 36, Jigsaw-like), words sampled by GHC-train unigram frequency",
        "machine": machine_record() | {"cores": os.cpu_count(), "threads": threads},
        "load_average": {"start": load0, "end": os.getloadavg()},
    }


def main() -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--synthetic-size", type=int, default=160_000)
    ap.add_argument("--threads", type=int, default=THREADS)
    ap.add_argument("--quick", action="store_true", help="tiny synthetic set, no teacher, 20K Dask rows (tests)")
    ap.add_argument("--dask-rows", type=int, help=f"rows of the Dask job (default {DASK_ROWS:,}; 0: skip it)")
    a = ap.parse_args()
    print("wrote", run(a.dataset, a.synthetic_size, a.quick, a.threads, a.dask_rows))


if __name__ == "__main__":
    main()
