"""Batch scoring on Dask: outputs equal the ONNX predictor's, restarts skip finished partitions, bad input and a
worker killed mid-task. One small LocalCluster (2 worker processes, 1 thread each) serves most tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from distributed import Client, LocalCluster

from src.apps import batch as batch_cli
from src.serving import batch, bundle, onnx_export
from src.serving.onnx_predict import load_onnx
from tests.test_predict import tiny_checkpoint, tiny_corpus

SPECIAL = ["", " ", "\t \t", "café naïve Zürich – 東京 ✓", "Привет, идиот!", "😀😀 🔥", "a", "!!!", '"quoted", comma']
PARQUET, CSV = ["p0", "p1", "p2", "p3"], ["c0", "c1"]
NAMES = PARQUET + CSV


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny trained BPE checkpoint of test_predict, with derived labels."""
    torch.set_num_threads(1)  # tiny model on a busy machine: more threads only contend
    return tiny_checkpoint(tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="module")
def bundle_dir(ckpt: Path) -> Path:
    return onnx_export.export(ckpt)


def _texts(k: int) -> list[str]:
    """A few hundred comments: tiny-corpus ones plus empty, whitespace-only, non-ASCII and very long ones."""
    base = tiny_corpus(200 + 20 * k, seed=k)[0]
    return [*SPECIAL, " ".join(base[:80]), "idiot " * 3000, *base]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 Parquet partitions (p1 with int64 ids, the others strings) and 2 CSV partitions."""
    folder = tmp_path_factory.mktemp("comments")
    for k, name in enumerate(NAMES):
        texts = _texts(k)
        ids = list(range(1000, 1000 + len(texts))) if name == "p1" else [f"{name}-{i}" for i in range(len(texts))]
        df = pd.DataFrame({"id": ids, "text": texts, "extra": 1})
        if name in CSV:
            df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")
        else:
            df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def client():
    """A 2-worker LocalCluster with its own worker processes; closed even when a test fails."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit="1GiB",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _read_input(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.read_parquet(path)


def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = batch_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_scores_match_onnx_and_reruns_skip(ckpt: Path, bundle_dir: Path, inputs: Path, client, tmp_path, capsys):
    out = tmp_path / "scored"
    # Its own LocalCluster (no --scheduler); a .pt with an up-to-date bundle next to it is not exported again.
    code, stdout, err = _main(
        capsys,
        "--model",
        ckpt,
        "--input",
        inputs / "*.parquet",
        inputs / "*.csv",
        "--output",
        out,
        "--workers",
        2,
        "--memory-limit",
        "1GiB",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    rows = sum(len(_read_input(p)) for p in inputs.iterdir())
    assert summary["partitions"] == 6 and summary["skipped"] == 0 and summary["workers"] == 2
    assert summary["rows_in"] == summary["rows_out"] == rows and summary["rows_per_s"] > 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in NAMES)
    pred = load_onnx(bundle_dir, threads=1)
    for src in sorted(inputs.iterdir()):
        df, got = _read_input(src), pd.read_parquet(out / f"{src.stem}.parquet")
        assert df["text"].tolist() == _texts(NAMES.index(src.stem))  # the CSV round trip kept every text
        assert list(got.columns) == ["id", *pred.columns] and got["id"].tolist() == df["id"].tolist()
        want = pred.predict(df["text"].tolist())
        np.testing.assert_allclose(got[pred.names].to_numpy(), want[pred.names].to_numpy(), atol=1e-6, rtol=0)
        assert (got.filter(like="_flag").to_numpy() == want.filter(like="_flag").to_numpy()).all()
    assert pq.read_schema(out / "p1.parquet").field("id").type == pa.int64()

    # Rerun (on the shared cluster, via --scheduler): everything is finished, nothing is touched.
    before = _mtimes(out)
    addr = client.scheduler.address
    code, stdout, err = _main(
        capsys, "--model", bundle_dir, "--input", inputs / "*", "--output", out, "--scheduler", addr
    )
    assert code == 0, err
    assert json.loads(stdout)["skipped"] == 6 and json.loads(stdout)["rows_in"] == 0 and _mtimes(out) == before
    # A deleted output is the only one scored again.
    (out / "c0.parquet").unlink()
    code, stdout, err = _main(
        capsys, "--model", bundle_dir, "--input", inputs / "*", "--output", out, "--scheduler", addr
    )
    summary, after = json.loads(stdout), _mtimes(out)
    assert code == 0 and summary["skipped"] == 5 and summary["rows_in"] == len(_read_input(inputs / "c0.csv"))
    assert set(after) == set(before) and [n for n in after if after[n] != before[n]] == ["c0.parquet"]
    assert pd.read_parquet(out / "c0.parquet")["id"].tolist() == _read_input(inputs / "c0.csv")["id"].tolist()


def test_workers_load_bundle_once_without_torch(bundle_dir: Path, inputs: Path, client, tmp_path):
    s = batch.BatchSettings(bundle_dir, (str(inputs / "*"),), tmp_path / "scored")
    assert batch.run(s, client=client)["partitions"] == 6
    # A lambda travels by value: a function of this module would import it (and torch) on the workers.
    state = client.run(
        lambda: ("torch" in sys.modules, len(getattr(sys.modules.get("src.serving.batch_worker"), "_PREDICTORS", {})))
    )
    assert len(state) == 2 and all(t is False and n <= 1 for t, n in state.values()), state


def _bad(tmp_path: Path, how: str) -> tuple[Path, str]:
    """Write one bad partition -> (its path, a phrase the one-line error must contain)."""
    p = tmp_path / ("bad.csv" if how in ("non-utf8", "csv header only", "duplicate ids") else "bad.parquet")
    if how == "missing column":
        pd.DataFrame({"id": ["a", "b"], "body": ["x", "y"]}).to_parquet(p)
        return p, "no column 'text'"
    if how == "non-utf8":
        p.write_bytes(b"id,text\na,fine\nb,caf\xe9 latin-1\n")
        return p, "line 3: not valid UTF-8"
    if how == "empty partition":
        pd.DataFrame({"id": pd.Series([], dtype=str), "text": pd.Series([], dtype=str)}).to_parquet(p)
        return p, "empty partition"
    if how == "csv header only":
        p.write_text("id,text\n", encoding="utf-8")
        return p, "empty partition"
    if how == "missing text":
        pd.DataFrame({"id": ["a", "b"], "text": ["x", None]}).to_parquet(p)
        return p, "1 missing values"
    p.write_text("id,text\na,one\nb,two\na,three\n", encoding="utf-8")
    return p, "duplicate id 'a' (rows 1 and 3)"


BAD = ["missing column", "non-utf8", "empty partition", "csv header only", "missing text", "duplicate ids"]


@pytest.mark.parametrize("how", BAD)
def test_bad_partition_one_line_error(how: str, bundle_dir: Path, client, tmp_path, capsys):
    pd.DataFrame({"id": ["g"], "text": ["good"]}).to_parquet(tmp_path / "good.parquet")
    path, why = _bad(tmp_path, how)
    args = ["--model", bundle_dir, "--input", tmp_path / "*.*", "--output", tmp_path / "out"]
    code, out, err = _main(capsys, *args, "--scheduler", client.scheduler.address)
    assert code == 2 and out == "" and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert str(path) in err and why in err, err
    assert not (tmp_path / "out" / "bad.parquet").exists()


@pytest.mark.parametrize("how", ["no files", "missing model", "bad bundle"])
def test_bad_model_or_glob_fails_before_any_cluster(how: str, bundle_dir: Path, inputs: Path, tmp_path, capsys):
    model, pattern = bundle_dir, inputs / "*.parquet"
    if how == "no files":
        pattern, name = tmp_path / "nothing" / "*.parquet", "no input files match"
    elif how == "missing model":
        model, name = tmp_path / "nope.pt", "nope.pt: checkpoint not found"
    else:
        model, name = tmp_path, "manifest.json not found"
    # A bogus scheduler address: these errors must come before any connection is tried.
    code, out, err = _main(
        capsys, "--model", model, "--input", pattern, "--output", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and name in err, err


def test_checkpoint_without_bundle_is_exported_first(ckpt: Path, inputs: Path, client, tmp_path, capsys):
    model = tmp_path / "copy.pt"
    model.write_bytes(ckpt.read_bytes())  # no copy_onnx/ next to it yet
    args = ["--model", model, "--input", inputs / "p0.parquet", "--output", tmp_path / "out"]
    code, out, err = _main(capsys, *args, "--scheduler", client.scheduler.address)
    assert code == 0 and "exported" in err and json.loads(out)["rows_out"] == len(_texts(0)), err
    assert load_onnx(tmp_path / "copy_onnx").manifest["source"]["sha256"] == bundle.sha256_file(ckpt)


def test_allow_empty_writes_empty_output(bundle_dir: Path, client, tmp_path, capsys):
    path, _ = _bad(tmp_path, "empty partition")
    args = ["--model", bundle_dir, "--input", path, "--output", tmp_path / "out", "--allow-empty"]
    code, out, err = _main(capsys, *args, "--scheduler", client.scheduler.address)
    assert code == 0 and json.loads(out)["rows_out"] == 0, err
    got = pd.read_parquet(tmp_path / "out" / "bad.parquet")
    assert len(got) == 0 and list(got.columns) == ["id", *load_onnx(bundle_dir).columns]


def test_worker_killed_mid_task_loses_and_duplicates_nothing(bundle_dir: Path, inputs: Path, client, tmp_path):
    marker, out = tmp_path / "killed", tmp_path / "scored"
    summary = batch.run(batch.BatchSettings(bundle_dir, (str(inputs / "*"),), out), client, _chaos_marker=str(marker))
    assert marker.exists()  # a worker did die, after writing its temp file and before the rename
    want = pd.concat([_read_input(p)["id"].astype(str) for p in sorted(inputs.iterdir())])
    got = pd.concat([pd.read_parquet(p)["id"].astype(str) for p in sorted(out.iterdir())])
    assert summary["rows_in"] == summary["rows_out"] == len(want) == len(got)
    assert not got.duplicated().any() and set(got) == set(want)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.parquet" for n in NAMES)  # no temp left
