"""Batch scoring on Dask: score folders of Parquet/CSV partitions with an ONNX bundle, one task per input file.

`python -m src.apps.batch --model models/x.pt --input 'comments/*.parquet' --output scored/` writes
`scored/<name>.parquet` per input (id column, probabilities, flags; input row order) and prints a one-line JSON
summary. Outputs appear atomically, so a rerun skips the finished ones; a worker that dies mid-task is replaced
and its task rerun. Without `--scheduler` a LocalCluster is started here; with it, an existing cluster is used.
Exit code 2: bad model or input (a one-line `error: ...` naming the file); 1: the job itself failed.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from src.serving import bundle
from src.serving.batch_inputs import find_inputs, output_path, resolve_bundle
from src.serving.batch_outputs import pending
from src.serving.batch_worker import InputError, Job, clean_temps, score_partition
from src.serving.locks import output_lock

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT_S = 30  # to reach a --scheduler, and then for its first worker to show up
LOCAL_HOST = "127.0.0.1"  # where a LocalCluster listens


class BatchError(RuntimeError):
    """The job ran but failed: a worker kept dying on a partition, the scheduler was unreachable, rows went missing."""


@dataclass(frozen=True)
class BatchSettings:
    """One batch job, as given on the command line."""

    model: Path  # checkpoint (.pt; its bundle is exported here when missing or stale) or ONNX bundle folder
    inputs: tuple[str, ...]  # glob patterns (or paths) of .parquet/.csv partitions: one file = one task
    output: Path  # folder for the scored partitions; created if needed
    text_col: str = "text"  # input column with the comment text
    id_col: str = "id"  # input column copied to the output; unique within each partition
    scheduler: str | None = None  # address of a running Dask scheduler; None: a LocalCluster on this machine
    workers: int = 2  # LocalCluster worker processes (ignored with a scheduler)
    threads_per_worker: int = 1  # tasks each LocalCluster worker runs at once (ignored with a scheduler)
    memory_limit: str = "auto"  # per LocalCluster worker, e.g. "1GiB"; a worker above it is restarted
    allow_empty: bool = False  # a 0-row partition: an empty output (True) or an error (False)
    batch_size: int = 256  # rows per onnxruntime call
    retries: int = 2  # reruns of a task that raised; a dead worker's task is rerun by the scheduler anyway
    overwrite: bool = False  # rescore outputs that another model wrote (else: an error naming them)


def make_job(s: BatchSettings) -> Job:
    """The workers' Job: a checked bundle (loaded once here, so a bad one fails before any cluster starts)."""
    from src.serving.onnx_predict import load_onnx

    folder = resolve_bundle(s.model)
    pred = load_onnx(folder, threads=1)
    if s.id_col in pred.columns:
        raise InputError(f"--id-col {s.id_col!r} clashes with an output column of {folder.name}; rename it")
    sha = bundle.sha256_file(folder / bundle.MANIFEST)
    return Job(str(folder), sha, s.text_col, s.id_col, s.allow_empty, s.batch_size)


@contextlib.contextmanager
def connect(s: BatchSettings) -> Iterator[Client]:
    """A Client of the given scheduler, or of a LocalCluster started (and closed again) here."""
    from distributed import Client, LocalCluster

    if s.scheduler is None:
        # Everything on 127.0.0.1: the scheduler, the workers, and the scheduler's plain HTTP routes (no dashboard)
        # on a free port there, so nothing of the job is reachable from another machine.
        quiet = {"dashboard_address": None, "scheduler_kwargs": {"dashboard_address": f"{LOCAL_HOST}:0"}}
        with (
            LocalCluster(
                host=LOCAL_HOST,
                n_workers=s.workers,
                threads_per_worker=s.threads_per_worker,
                processes=True,
                memory_limit=s.memory_limit,
                silence_logs=logging.ERROR,
                **quiet,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(s.scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as e:
        raise BatchError(f"{s.scheduler}: cannot connect to the Dask scheduler ({type(e).__name__})") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise BatchError(f"{s.scheduler}: no worker joined within {CONNECT_TIMEOUT_S} s") from None
        yield client


def score_all(
    client: Client, tasks: dict[Path, Path], job: Job, retries: int, _chaos_marker: str | None = None
) -> list[dict]:
    """Run one task per partition and wait for all -> their results; raises for bad input or failed tasks."""
    from distributed import progress, wait

    futures = [
        client.submit(score_partition, str(src), str(dest), job, _chaos_marker, retries=retries, pure=False)
        for src, dest in tasks.items()
    ]
    if futures and sys.stderr.isatty():
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON summary only
            progress(futures, notebook=False, scheduler=client.scheduler.address)
    wait(futures)
    failed = [(src, f) for src, f in zip(tasks, futures, strict=True) if f.status != "finished"]
    if failed:
        src, f = failed[0]
        why = f"{type(f.exception()).__name__}: {f.exception()}" if f.status == "error" else f.status
        more = f" (and {len(failed) - 1} more failed partitions)" if len(failed) > 1 else ""
        raise BatchError(f"{src}: scoring failed ({why}){more}")
    results = client.gather(futures)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        more = f" (and {len(errors) - 1} more bad partitions)" if len(errors) > 1 else ""
        raise InputError(errors[0] + more)
    return results


def _rows_out(results: list[dict], dests: dict[Path, Path]) -> int:
    """Rows in the written outputs, read back from their files; BatchError if any differs from its input."""
    total = 0
    for r in results:
        dest = dests[Path(r["file"])]
        n = pq.read_metadata(dest).num_rows
        if n != r["rows"]:
            raise BatchError(f"{dest}: {n} rows written for {r['rows']} input rows")
        total += n
    return total


def run(s: BatchSettings, client: Client | None = None, _chaos_marker: str | None = None) -> dict:
    """Score every input partition not yet scored -> the summary; uses `client` if given, else connects one."""
    inputs = find_inputs(s.inputs, s.output)
    job = make_job(s)
    try:
        s.output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{s.output}: cannot create the output folder ({e.strerror})") from None
    dests = {src: output_path(s.output, src) for src in inputs}
    with output_lock(s.output), contextlib.ExitStack() as stack:
        todo = pending(dests, job.manifest_sha, s.overwrite)
        clean_temps(list(dests.values()))  # safe under the lock: no other run writes here
        if client is None:
            client = stack.enter_context(connect(s))
        start = time.perf_counter()
        try:
            results = score_all(client, todo, job, s.retries, _chaos_marker)
        finally:
            clean_temps(list(dests.values()))
        seconds = time.perf_counter() - start
        workers = len(client.nthreads())
        rows_in, rows_out = sum(r["rows"] for r in results), _rows_out(results, dests)  # equal, or _rows_out raised
    return {
        "partitions": len(inputs),
        "skipped": len(inputs) - len(todo),
        "rows_in": rows_in,
        "rows_out": rows_out,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows_in / max(seconds, 1e-9), 1),
        "workers": workers,
    }
