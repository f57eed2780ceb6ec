"""Worker side of `src.serving.batch`: read one input partition, score it with the ONNX bundle, write it atomically.

Runs inside Dask workers, so it imports no torch (only numpy, pandas, pyarrow, onnxruntime and the tokenizers).
Each worker process loads a bundle once and keeps it for every later task of the job.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from src.common.batching import CHUNK_BATCHES
from src.serving import bundle
from src.serving.errors import CheckpointError
from src.serving.locks import fsync_dir
from src.serving.onnx_predict import OnnxPredictor, load_onnx

SUFFIXES = (".parquet", ".pq", ".csv")  # input partitions this module reads
TEMP_SUFFIX = ".tmp"  # in-progress outputs: `.<name>.parquet.<hex>.tmp`, never taken for finished ones


class InputError(ValueError):
    """A bad input partition (unreadable, missing column, duplicate ids, ...); the message names the file."""


@dataclass(frozen=True)
class Job:
    """What every partition task needs to know; sent to the workers with each task."""

    bundle: str  # absolute path of the ONNX bundle folder, as the workers see it
    manifest_sha: str  # sha256 of its manifest.json: pins the exact bundle and keys the per-worker cache
    text_col: str  # input column with the comment text
    id_col: str  # input column copied to the output, to join the scores back
    allow_empty: bool  # a 0-row partition: an empty output (True) or an error (False)
    batch_size: int  # rows per onnxruntime call


_PREDICTORS: dict[tuple[str, str], OnnxPredictor] = {}  # per worker process: each bundle is loaded only once
_LOCK = threading.Lock()  # a worker running several tasks at once still loads it once


def predictor(folder: str, manifest_sha: str) -> OnnxPredictor:
    """This process's OnnxPredictor of the bundle; CheckpointError if it is missing or not the expected one."""
    key = (folder, manifest_sha)
    with _LOCK:
        if key not in _PREDICTORS:
            try:
                found = bundle.sha256_file(Path(folder) / bundle.MANIFEST)
            except OSError:
                found = None
            if found != manifest_sha:
                raise CheckpointError(
                    f"{folder}: {'not found' if found is None else 'changed since the job started'} on worker "
                    f"{_host()}; put the bundle on a path every worker sees and rerun"
                )
            # One onnxruntime thread per task: the parallelism comes from workers x threads per worker.
            _PREDICTORS[key] = load_onnx(folder, threads=1)
        return _PREDICTORS[key]


def _host() -> str:
    import socket

    return socket.gethostname()


def _read_csv(path: Path) -> pd.DataFrame:
    """All columns as str, "" kept as "" (no NA guessing); strict UTF-8 with the offending line named."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(
            f"{path}: line {line}: not valid UTF-8 (byte 0x{data[e.start]:02x}); CSV partitions must be UTF-8"
        ) from None
    try:
        # A BOM (Windows editors) is not part of the first column's name.
        return pd.read_csv(io.StringIO(text.removeprefix("\ufeff")), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file (no header line)") from None
    except pd.errors.ParserError as e:
        raise InputError(f"{path}: not a valid CSV ({str(e).strip().splitlines()[-1]})") from None


def _read_parquet(path: Path, columns: list[str]) -> pa.Table:
    try:
        names = pq.read_schema(path).names
        _need(path, names, columns)
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{path}: not a readable Parquet file ({type(e).__name__}: {str(e).splitlines()[0]})") from e


def _need(path: Path, names: list[str], columns: list[str]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(map(str, names)) or 'none'})")


def read_partition(path: Path, text_col: str, id_col: str) -> tuple[pa.Array, pa.Array]:
    """(ids, texts) Arrow arrays of one Parquet or CSV partition, in file order; InputError for anything unusable."""
    columns = list(dict.fromkeys([id_col, text_col]))
    if path.suffix.lower() == ".csv":
        df = _read_csv(path)
        _need(path, list(df.columns), columns)
        table = pa.table({c: pa.array(df[c].tolist(), pa.string()) for c in columns})
    else:
        table = _read_parquet(path, columns)
    text, ids = table.column(text_col).combine_chunks(), table.column(id_col).combine_chunks()
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type) or pa.types.is_string_view(text.type)):
        raise InputError(f"{path}: column {text_col!r} holds {text.type}, not strings")
    for col, arr in ((text_col, text), (id_col, ids)):
        if arr.null_count:
            raise InputError(f"{path}: column {col!r} has {arr.null_count} missing values")
    _check_unique(path, ids, id_col)
    return ids, text


def _check_unique(path: Path, ids: pa.Array, id_col: str) -> None:
    s = pd.Series(ids.to_pandas())
    dup = s.duplicated(keep=False)
    if dup.any():
        rows = s.index[s == s[dup].iloc[0]][:2] + 1
        raise InputError(f"{path}: duplicate {id_col} {s[dup].iloc[0]!r} (rows {rows[0]} and {rows[1]})")


def scored_table(ids: pa.Array, scores: pd.DataFrame, job: Job, source: str) -> pa.Table:
    """The output table: the id column, then the predictor's probability and flag columns."""
    cols = {job.id_col: ids, **{c: pa.array(scores[c].to_numpy()) for c in scores.columns}}
    meta = {"toxic_small.bundle_manifest_sha256": job.manifest_sha, "toxic_small.source": Path(source).name}
    return pa.table(cols).replace_schema_metadata(meta)


def write_atomic(table: pa.Table, dest: Path, _chaos_marker: str | None = None) -> None:
    """Write `dest` whole or not at all: a temp file next to it, fsync'ed, os.replace, then the folder fsync'ed."""
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    try:
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        if _chaos_marker is not None:
            _chaos(_chaos_marker)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)  # the new name itself reaches the disk, not only the file's data
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def clean_temps(dests: list[Path]) -> None:
    """Delete the temp files that killed attempts left next to these outputs (only theirs, nothing else)."""
    for folder in {d.parent for d in dests}:
        names = {d.name for d in dests if d.parent == folder}
        for tmp in folder.glob(f".*{TEMP_SUFFIX}"):
            if tmp.name[1:].rsplit(".", 2)[0] in names:  # `.<name>.parquet.<hex>.tmp` -> `<name>.parquet`
                tmp.unlink(missing_ok=True)


def _chaos(marker: str) -> None:
    """Test hook: the first task of the job to get here kills its own worker process, mid-write."""
    try:
        open(marker, "x").close()  # "x": of two racing workers, only one creates it
    except FileExistsError:
        return
    os._exit(1)


def score_partition(src: str, dest: str, job: Job, _chaos_marker: str | None = None) -> dict:
    """Score one partition into `dest` -> {"file", "rows"}, or {"file", "error"} for bad input or model.

    Bad input is returned, not raised: it fails the same way on every retry, so retrying it would only cost time.
    """
    try:
        ids, texts = read_partition(Path(src), job.text_col, job.id_col)
        if not len(texts) and not job.allow_empty:
            raise InputError(f"{src}: empty partition (0 rows); pass --allow-empty to write an empty output for it")
        scores = score_texts(predictor(job.bundle, job.manifest_sha), texts, job.batch_size)
    except (InputError, CheckpointError) as e:
        return {"file": src, "error": " ".join(str(e).split())}
    write_atomic(scored_table(ids, scores, job, src), Path(dest), _chaos_marker)
    return {"file": src, "rows": len(texts)}


def score_texts(pred: OnnxPredictor, texts: pa.Array, batch_size: int) -> pd.DataFrame:
    """Scores of an Arrow text column, turned into Python strings one length-sorting chunk at a time.

    Chunks of `batch_size * CHUNK_BATCHES` rows give the predictor exactly the batches of the whole list, while
    only one chunk's strings exist at once (a 250K-row partition as Python str takes ~600 MB).
    """
    step = batch_size * CHUNK_BATCHES
    parts = [pred.predict(texts.slice(i, step).to_pylist(), batch_size) for i in range(0, len(texts), step)]
    return pd.concat(parts, ignore_index=True) if parts else pred.predict([], batch_size)
