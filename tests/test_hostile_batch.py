"""Issue #22, batch rows: a run locks its output folder (a second run says so and exits 2; a stale lock is taken
over), skips an existing output only when this run's bundle wrote it (else: delete it or --overwrite), fsyncs file
and folder, and its LocalCluster listens on 127.0.0.1 only (before: no lock, skip by name, dashboard on 0.0.0.0)."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from src.apps import batch as batch_cli
from src.serving import batch, onnx_export
from tests.hostile_files import THRESHOLDS, doc_of, tiny_checkpoint, write_doc

LOCK = ".toxic-small-batch.lock"  # README: the lock file in the output folder


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two bundles of different models (same weights, other thresholds)."""
    folder = tmp_path_factory.mktemp("batch_models")
    a = tiny_checkpoint(folder / "a.pt")
    doc = doc_of(a)
    doc["thresholds"] = {**THRESHOLDS, "hd": 0.9}
    b = write_doc(doc, folder / "b.pt")
    return onnx_export.export(a), onnx_export.export(b)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch_inputs")
    for k in range(2):
        pd.DataFrame({"id": [f"{k}-{i}" for i in range(20)], "text": ["nice day", "stupid crap"] * 10}).to_parquet(
            folder / f"p{k}.parquet"
        )
    return folder


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, memory_limit="1GiB", dashboard_address=None
        ) as c,
        Client(c) as cl,
    ):
        yield cl


def _main(capsys, *args) -> tuple[int, str, str]:
    code = batch_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_second_batch_run_on_a_locked_output_refused(bundles, inputs: Path, tmp_path: Path, capsys):
    out = tmp_path / "scored"
    out.mkdir()
    with open(out / LOCK, "w") as held:  # what a live first run holds
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 4242 on elsewhere since earlier\n")
        held.flush()
        # A bogus scheduler: the refusal must come before any connection is tried.
        args = [
            "--model",
            bundles[0],
            "--input",
            inputs / "*.parquet",
            "--output",
            out,
            "--scheduler",
            "tcp://127.0.0.1:9",
        ]
        code, stdout, err = _main(capsys, *args)
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1, err
    assert "another batch run is writing to this output folder (pid 4242 on elsewhere" in err
    assert sorted(p.name for p in out.iterdir()) == [LOCK]  # nothing written, nothing deleted


def test_stale_lock_is_taken_over_and_removed(bundles, inputs: Path, client, tmp_path: Path, capsys):
    out = tmp_path / "scored"
    out.mkdir()
    (out / LOCK).write_text("pid 1 on a crashed run\n")  # left behind by a killed run: nobody holds it
    code, stdout, err = _main(
        capsys,
        "--model",
        bundles[0],
        "--input",
        inputs / "*.parquet",
        "--output",
        out,
        "--scheduler",
        client.scheduler.address,
    )
    assert code == 0 and json.loads(stdout)["rows_out"] == 40, err
    assert sorted(p.name for p in out.iterdir()) == ["p0.parquet", "p1.parquet"]


def test_output_of_another_model_refused_unless_overwrite(bundles, inputs: Path, client, tmp_path: Path, capsys):
    out, addr = tmp_path / "scored", client.scheduler.address
    args = ["--input", inputs / "*.parquet", "--output", out, "--scheduler", addr]
    assert _main(capsys, "--model", bundles[0], *args)[0] == 0
    sha_a = pq.read_schema(out / "p0.parquet").metadata[b"toxic_small.bundle_manifest_sha256"]
    code, stdout, err = _main(capsys, "--model", bundles[1], *args)
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1, err
    assert "p0.parquet: exists but was scored with another model" in err and "delete it or pass --overwrite" in err
    code, stdout, err = _main(capsys, "--model", bundles[1], *args, "--overwrite")
    assert code == 0 and json.loads(stdout)["skipped"] == 0, err
    sha_b = pq.read_schema(out / "p0.parquet").metadata[b"toxic_small.bundle_manifest_sha256"]
    assert sha_b != sha_a
    code, stdout, _ = _main(capsys, "--model", bundles[1], *args)  # this model's outputs: skipped
    assert code == 0 and json.loads(stdout)["skipped"] == 2
    (out / "p1.parquet").write_bytes(b"not parquet at all")
    code, _, err = _main(capsys, "--model", bundles[1], *args)
    assert code == 2 and "p1.parquet: exists but was not an output of this tool" in err, err


def test_outputs_and_their_folder_are_fsynced(tmp_path: Path, monkeypatch):
    import pyarrow as pa

    from src.serving import batch_worker

    synced = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    dest = tmp_path / "p.parquet"
    batch_worker.write_atomic(pa.table({"id": ["a"]}), dest)
    assert any(Path(p).name.endswith(".tmp") for p in synced) and str(tmp_path) in synced


def test_local_cluster_listens_on_localhost_only(bundles, tmp_path: Path):
    s = batch.BatchSettings(bundles[0], (), tmp_path / "o", workers=1)
    with batch.connect(s) as cl:
        http = cl.run_on_scheduler(
            lambda dask_scheduler: [sock.getsockname()[0] for sock in dask_scheduler.http_server._sockets.values()]
        )
        workers = list(cl.scheduler_info()["workers"])
        addr = cl.scheduler.address
    assert http and set(http) == {"127.0.0.1"}, http
    assert addr.startswith("tcp://127.0.0.1:") and all(w.startswith("tcp://127.0.0.1:") for w in workers)
