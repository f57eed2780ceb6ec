"""Issue #22, BPE rows: crafted youtokentome models in a .pt or an ONNX bundle give a one-line error and exit 2
(before: SIGABRT, SIGSEGV, a silent wrong model, or a MemoryError traceback). Each runs the CLI in a subprocess."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from src.serving import onnx_export
from tests.hostile_files import (
    assert_refused,
    crafted_bpe,
    doc_of,
    predict_cli,
    rewrite_bundle_file,
    tiny_checkpoint,
    write_doc,
)

WHY = {
    "no space": "no space token",
    "merge to 0": "merge makes id 0",
    "doubling": "expand to more than",
    "huge header": "header declares 3,000,000,000",
}


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("bpe") / "tiny.pt")


@pytest.fixture(scope="module")
def bundle_dir(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return onnx_export.export(ckpt, tmp_path_factory.mktemp("bpe_bundle") / "tiny_onnx")


def _in_checkpoint(ckpt: Path, data: bytes, out: Path) -> Path:
    doc = doc_of(ckpt)
    doc["tokenizer"]["model_bytes"] = data
    return write_doc(doc, out)


def _in_bundle(bundle_dir: Path, data: bytes, out: Path) -> Path:
    folder = shutil.copytree(bundle_dir, out)
    rewrite_bundle_file(folder, "tokenizer.bpe", data)
    return folder


def test_bpe_without_space_token_refused_not_sigabrt(ckpt: Path, bundle_dir: Path, tmp_path: Path):
    data = crafted_bpe("no space")
    assert_refused(predict_cli("--model", _in_checkpoint(ckpt, data, tmp_path / "x.pt")), WHY["no space"])
    assert_refused(predict_cli("--model", _in_bundle(bundle_dir, data, tmp_path / "b")), WHY["no space"])


def test_bpe_merge_producing_id_0_refused_not_sigsegv(ckpt: Path, bundle_dir: Path, tmp_path: Path):
    data = crafted_bpe("merge to 0")
    assert_refused(predict_cli("--model", _in_checkpoint(ckpt, data, tmp_path / "x.pt")), WHY["merge to 0"])
    assert_refused(predict_cli("--model", _in_bundle(bundle_dir, data, tmp_path / "b")), WHY["merge to 0"])


def test_bpe_self_doubling_merges_refused_not_bad_alloc(ckpt: Path, bundle_dir: Path, tmp_path: Path):
    data = crafted_bpe("doubling")
    assert len(data) < 1000  # ~500 bytes that once asked youtokentome for 2^40 characters
    assert_refused(predict_cli("--model", _in_checkpoint(ckpt, data, tmp_path / "x.pt")), WHY["doubling"])
    assert_refused(predict_cli("--model", _in_bundle(bundle_dir, data, tmp_path / "b")), WHY["doubling"])


def test_bpe_header_of_3e9_entries_refused_not_memoryerror(ckpt: Path, bundle_dir: Path, tmp_path: Path):
    data = crafted_bpe("huge header")
    assert_refused(predict_cli("--model", _in_checkpoint(ckpt, data, tmp_path / "x.pt")), WHY["huge header"])
    assert_refused(predict_cli("--model", _in_bundle(bundle_dir, data, tmp_path / "b")), WHY["huge header"])
