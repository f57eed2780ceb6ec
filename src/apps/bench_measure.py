"""Backend-neutral measuring for `src.apps.bench`, run inside each spawned child: torch-free on purpose.

Inputs reach a child as JSONL files (one JSON string per line), not as pickled lists: a child holds only what it
reads, and long inputs are streamed in chunks of one `length_batches` chunk (256 x 50 rows), so every backend sees
exactly the batches it would for the whole list.
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing as mp
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

Predict = Callable[[list[str], int], np.ndarray]  # (texts, batch size) -> (N, labels) probabilities
CHUNK = 256 * 50  # rows read and scored at once: one length_batches chunk at batch 256
SPLIT_ROWS = 40_000  # long comments profiled by `split_seconds`


def synthetic_comments(n: int, source: list[str], seed: int = 0) -> list[str]:
    """Jigsaw-like lengths (words ~ lognormal, median 36, mean ~67, cut at 1,400) filled with words drawn by frequency."""
    rng = np.random.default_rng(seed)
    freq = Counter(re.findall(r"\S+", " ".join(source).lower()))
    vocab = sorted(freq)  # np.unique's order, without its fixed-width string array (GBs for 10M words)
    counts = np.array([freq[w] for w in vocab], dtype=np.int64)
    lengths = np.clip(np.round(rng.lognormal(math.log(36), 1.1, size=n)), 1, 1400).astype(int)
    idx = rng.choice(len(vocab), size=int(lengths.sum()), p=counts / counts.sum())  # same draws as choice(words)
    ends = np.cumsum(lengths).tolist()
    return [" ".join([vocab[i] for i in idx[e - k : e].tolist()]) for e, k in zip(ends, lengths.tolist(), strict=True)]


def spawn(fn: Callable, *args) -> dict:
    """fn(*args) in a freshly spawned process: its peak RSS and its imports are its own."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def rss_mb(field: str = "VmRSS") -> float:
    """Current (VmRSS) or peak (VmHWM) resident set size of this process from /proc/self/status, in MB."""
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def write_texts(path: Path, texts: list[str]) -> Path:
    """Texts as JSONL (one JSON string per line); returns the path."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(t) + "\n" for t in texts)
    return path


def read_texts(path: str | Path, limit: int | None = None) -> list[str]:
    """The first `limit` texts (None: all) of a JSONL file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, limit)]


def text_chunks(path: str | Path, rows: int = CHUNK, limit: int | None = None) -> Iterator[list[str]]:
    """Successive lists of up to `rows` texts from a JSONL file (at most `limit` texts in all)."""
    with open(path, encoding="utf-8") as f:
        lines = itertools.islice(f, limit)
        while chunk := [json.loads(line) for line in itertools.islice(lines, rows)]:
            yield chunk


def latency(fn: Predict, texts: list[str]) -> dict:
    """Batch-1 comments/s and p50/p99 latency (ms), one call per text."""
    lat = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t], 1)
        lat.append(time.perf_counter() - t0)
    p50, p99 = (1e3 * float(np.percentile(lat, q)) for q in (50, 99))
    return {"per_s": len(lat) / sum(lat), "latency_ms_p50": p50, "latency_ms_p99": p99}


def throughput(fn: Predict, path: str, batch: int = 256, limit: int | None = None) -> tuple[float, np.ndarray]:
    """(comments/s, probabilities) of one input streamed chunk by chunk; only the scoring calls are timed."""
    seconds, probs = 0.0, []
    for chunk in text_chunks(path, CHUNK, limit):
        t0 = time.perf_counter()
        probs.append(np.asarray(fn(chunk, batch), dtype=np.float32))
        seconds += time.perf_counter() - t0
    p = np.vstack(probs)
    return len(p) / max(seconds, 1e-9), p


def split_seconds(scorer, path: str, rows: int = SPLIT_ROWS) -> dict:
    """Where a serving backend's time goes on the first `rows` texts of `path`: tokenising vs model calls.

    The same calls as `Scorer.predict` at batch 256, in two passes: tokenise and pad every batch, then score them.
    """
    from src.serving.scoring import MAX_TOKENS, encoded_batches

    texts = read_texts(path, rows)
    t0 = time.perf_counter()
    batches = [ids for _, ids in encoded_batches(scorer.tokenizer, texts, 256, MAX_TOKENS)]
    t1 = time.perf_counter()
    for ids in batches:
        scorer.probs(ids)
    t2 = time.perf_counter()
    tok, model = t1 - t0, t2 - t1
    return {"rows": len(texts), "tokenise_s": tok, "model_s": model, "tokenise_share": tok / (tok + model)}


def measure(with_threads: Callable[[int], Predict], inputs: dict[str, str], threads: int, n1: int, cap=None) -> dict:
    """Batch 256 and batch 1 on every input, then 1-thread figures on GHC test; peak RSS after each stage."""
    fn = with_threads(threads)
    out: dict[str, Any] = {}  # rates and sizes, plus the test probabilities for the parent
    for name, path in inputs.items():
        per_s, p = throughput(fn, path, 256, cap)
        out.update({f"{name}_batch256_per_s": per_s, f"{name}_n": len(p)})
        out[f"{name}_batch256_peak_rss_mb"] = rss_mb("VmHWM")
        if name == "ghc_test":
            out["_ghc_test_probs"] = p  # AUC is computed by the parent, which holds the labels
    for name, path in inputs.items():
        b1 = latency(fn, read_texts(path, n1))
        pre = "" if name == "ghc_test" else f"{name}_"  # GHC test keeps the original key names
        out.update({f"{pre}batch1_per_s": b1["per_s"], f"{name}_batch1_n": n1})
        out.update({f"{pre}latency_ms_p50": b1["latency_ms_p50"], f"{pre}latency_ms_p99": b1["latency_ms_p99"]})
    out["batch1_n"] = n1
    # On 2 busy cores a second OpenMP thread mostly waits at barriers: show 1 thread as well.
    fn = with_threads(1)
    b1 = latency(fn, read_texts(inputs["ghc_test"], n1))
    out.update(batch1_1thread_per_s=b1["per_s"], latency_1thread_ms_p50=b1["latency_ms_p50"])
    out["ghc_test_batch256_1thread_per_s"] = throughput(fn, inputs["ghc_test"], 256, cap)[0]
    out["peak_rss_mb"] = rss_mb("VmHWM")  # not ru_maxrss: Linux carries the parent's high-water mark into spawn
    return out
