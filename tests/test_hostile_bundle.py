"""Issue #22, bundle row: a bundle must hold exactly its listed files, and model.onnx may not keep tensors in other
files: an unlisted file used as external tensor data, a symlink or any extra entry is refused with one line and
exit 2 (before: the external data loaded, with no hash covering it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from src.apps import predict as predict_app
from src.serving import bundle, onnx_export
from tests.hostile_files import assert_refused, predict_cli, rewrite_bundle_file, tiny_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("bundle") / "tiny.pt")


@pytest.fixture(scope="module")
def bundle_dir(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return onnx_export.export(ckpt, tmp_path_factory.mktemp("bundle_out") / "tiny_onnx")


def _external(folder: Path, location: str) -> bytes:
    """model.onnx of `folder` with its largest initializer moved to external data at `location`."""
    model = onnx.load(str(folder / bundle.MODEL_FILE))
    big = max(model.graph.initializer, key=lambda t: len(t.raw_data))
    data = big.raw_data
    big.ClearField("raw_data")
    big.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(len(data)))):
        entry = big.external_data.add()
        entry.key, entry.value = key, value
    if location == "weights.bin":
        (folder / location).write_bytes(data)
    return model.SerializeToString()


def test_bundle_with_unlisted_external_data_file_refused(bundle_dir: Path, tmp_path: Path):
    folder = shutil.copytree(bundle_dir, tmp_path / "ext_onnx")
    rewrite_bundle_file(folder, bundle.MODEL_FILE, _external(folder, "weights.bin"))
    assert_refused(predict_cli("--model", folder), "holds 'weights.bin'", "not one of its listed files")
    (folder / "weights.bin").unlink()  # no extra file: the reference itself is refused
    assert_refused(predict_cli("--model", folder), "keeps tensor", "external file")


def test_external_reference_to_a_listed_file_refused(bundle_dir: Path, tmp_path: Path):
    folder = shutil.copytree(bundle_dir, tmp_path / "ext_onnx")
    rewrite_bundle_file(folder, bundle.MODEL_FILE, _external(folder, "tokenizer.bpe"))
    assert_refused(predict_cli("--model", folder), "keeps tensor", "external file")


@pytest.mark.parametrize("how", ["extra file", "symlinked tokenizer", "subfolder", "label named _flag"])
def test_bundle_entries_and_labels_refused(how: str, bundle_dir: Path, tmp_path: Path, capsys):

    folder = shutil.copytree(bundle_dir, tmp_path / "b_onnx")
    if how == "extra file":
        (folder / ".DS_Store").write_bytes(b"\0")
    elif how == "symlinked tokenizer":
        moved = shutil.move(folder / "tokenizer.bpe", tmp_path / "elsewhere.bpe")
        (folder / "tokenizer.bpe").symlink_to(moved)
    elif how == "subfolder":
        (folder / "extra").mkdir()
    else:
        doc = json.loads((folder / bundle.MANIFEST).read_text())
        doc["labels"][0] = "hd_flag"
        doc["thresholds"] = {"hd_flag": 0.3, "cv": 0.5, "vo": 0.7}
        doc["derived"] = {}
        (folder / bundle.MANIFEST).write_text(json.dumps(doc))
    assert predict_app.main(["--model", str(folder), str(tmp_path / "none.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    why = {"extra file": "not one of its listed files", "symlinked tokenizer": "a link", "subfolder": "listed files"}
    assert why.get(how, "_flag") in err, err


def test_graph_failing_on_a_batch_is_one_line_error(bundle_dir: Path, tmp_path: Path):
    from src.data.tokenizers import BPETokenizer
    from tests.hostile_files import TEXTS

    folder = shutil.copytree(bundle_dir, tmp_path / "wide_onnx")
    wide = BPETokenizer.train([*TEXTS, "zebra quokka yak xylophone jumps vexing"] * 3, vocab_size=70)
    doc = json.loads((folder / bundle.MANIFEST).read_text())
    doc["model"]["config"]["vocab_size"] = wide.vocab_size  # a manifest that lies about the graph's table
    (folder / bundle.MANIFEST).write_text(json.dumps(doc))
    rewrite_bundle_file(folder, "tokenizer.bpe", wide.model_bytes)
    res = predict_cli("--model", folder, stdin=b"zebra quokka yak xylophone\n")
    assert_refused(res, "model.onnx failed on a batch")


def test_crafted_manifest_next_to_a_checkpoint_does_not_break_auto(ckpt: Path, tmp_path: Path):
    from src.serving import predict

    copy = Path(shutil.copy(ckpt, tmp_path / "m.pt"))
    folder = bundle.default_dir(copy)
    folder.mkdir()
    (folder / bundle.MANIFEST).write_text('{"source": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert isinstance(predict.open_model(copy), predict.Predictor)  # auto: not a bundle of this file, so torch
