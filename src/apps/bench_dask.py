"""The Dask section of `src.apps.bench`: `src.serving.batch` on a generated Parquet set of N synthetic comments.

N rows are drawn from a pool of synthetic comments (ids: a shuffled 0..N-1, int64, so every id is unique) and
written as 20-40 partitions; a 2-worker LocalCluster (1 thread, 1 GiB each) scores them with the ONNX bundle.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

POOL = 200_000  # distinct synthetic comments; N rows reuse them
WORKERS, MEMORY_LIMIT = 2, "1GiB"
ROW_GROUP = 25_000  # Parquet row group: smaller read buffers on the workers than one group per file


def partitions(n_rows: int) -> int:
    """20 partitions, or more (up to 40) so that none holds more than ~250K rows."""
    return int(min(40, max(20, -(-n_rows // 250_000))))


def write_parquet(folder: Path, n_rows: int, pool: list[str], seed: int = 0) -> dict:
    """N rows of (id, text) as Parquet partitions in `folder` -> {"partitions", "ids_sum"}; texts cycle the pool."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    ids = rng.permutation(n_rows).astype(np.int64)
    texts = pa.array(pool, type=pa.large_string())
    k = partitions(n_rows)
    folder.mkdir(parents=True, exist_ok=True)
    for p, rows in enumerate(np.array_split(np.arange(n_rows, dtype=np.int64), k)):
        pick = pa.array((rows + p * 7919) % len(pool))  # a different offset per partition: not all start alike
        table = pa.table({"id": ids[rows], "text": texts.take(pick)})
        pq.write_table(table, folder / f"part-{p:03d}.parquet", row_group_size=ROW_GROUP)
    return {"partitions": k}


def worker_memory() -> dict:
    """This worker process's current and peak RSS (VmRSS, VmHWM from /proc/self/status), in MB."""
    from src.apps.bench_measure import rss_mb

    return {"rss_mb": rss_mb(), "peak_rss_mb": rss_mb("VmHWM")}


def id_check(inputs: Path, outputs: Path) -> dict:
    """rows_in/rows_out counted from the files, and whether the output ids equal the input ids (no duplicates)."""
    import pyarrow.parquet as pq

    def ids(folder: Path) -> np.ndarray:
        files = sorted(folder.glob("*.parquet"))
        return np.concatenate([pq.read_table(f, columns=["id"])["id"].to_numpy() for f in files])

    a, b = np.sort(ids(inputs)), np.sort(ids(outputs))
    dup = int(len(b) - len(np.unique(b)))
    equal = bool(len(a) == len(b) and np.array_equal(a, b))
    return {"rows_in_files": len(a), "rows_out_files": len(b), "duplicate_ids_out": dup, "ids_equal": equal}


def run_dask(bundle_dir: Path, n_rows: int, pool: list[str], tmp: Path) -> dict:
    """Generate N rows, score them with src.serving.batch on a local 2-worker cluster -> the section's numbers."""
    from src.serving import batch

    t0 = time.perf_counter()
    gen = write_parquet(tmp / "dask_in", n_rows, pool)
    gen_s = time.perf_counter() - t0
    s = batch.BatchSettings(
        bundle_dir, (str(tmp / "dask_in" / "*.parquet"),), tmp / "dask_out", workers=WORKERS, memory_limit=MEMORY_LIMIT
    )
    t0 = time.perf_counter()
    with batch.connect(s) as client:
        summary = batch.run(s, client)
        wall = time.perf_counter() - t0  # cluster start included
        mem = client.run(worker_memory)
    check = id_check(tmp / "dask_in", tmp / "dask_out")
    exact = (
        summary["rows_out"] == summary["rows_in"] == n_rows and check["ids_equal"] and not check["duplicate_ids_out"]
    )
    return {
        "rows": n_rows,
        "partitions": gen["partitions"],
        "generate_s": gen_s,
        "workers": WORKERS,
        "threads_per_worker": 1,
        "memory_limit": MEMORY_LIMIT,
        "summary": summary,
        "wall_s": wall,
        "rows_per_s": summary["rows_in"] / wall,
        "worker_memory": mem,
        "max_worker_peak_rss_mb": max(m["peak_rss_mb"] for m in mem.values()),
        **check,
        "exact": bool(exact),
    }
