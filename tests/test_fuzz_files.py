"""Fuzz: malformed BPE models, checkpoints and ONNX bundles are refused by their gate (BPEModelError,
CheckpointError, BundleError: one line) or load and score; never another exception, never a killed child."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import event, given
from hypothesis import strategies as st

from src.data.bpe_check import BPEModelError, check_model
from src.serving import bundle, onnx_export, predict
from src.serving.errors import CheckpointError
from src.serving.onnx_predict import load_onnx
from src.serving.onnx_scan import OnnxFormatError, external_tensor
from tests.fuzz_support import bpe_models, bpe_parts, codepoints, examples, junk, yttm_child
from tests.hostile_files import assert_refused, bpe_bytes, doc_of, predict_cli, rewrite_bundle_file, tiny_checkpoint

TEXTS = ["nice day", "", "stupid crap " * 30]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("fuzz") / "tiny.pt")


@pytest.fixture(scope="module")
def bundle_dir(ckpt: Path) -> Path:
    return onnx_export.export(ckpt)


@examples(300)
@given(data=bpe_models())
def test_fuzz_bpe_reader_refuses_or_accepts(data: bytes):
    try:
        info = check_model(data)
    except BPEModelError as e:
        assert "\n" not in str(e)
        event(f"refused: {str(e).split(': ')[1][:25]}")
        return
    event("accepted")
    assert info.vocab_size == info.n_chars + info.n_merges + 4


# Texts of the model's own alphabet (so merges fire) or any characters, each up to a few words.
model_texts = st.lists(codepoints, max_size=30).map(lambda c: "".join(map(chr, c))) | st.text(max_size=30)


@examples(30)
@given(parts=bpe_parts(), texts=st.lists(model_texts, max_size=6))
def test_fuzz_accepted_bpe_models_never_crash_youtokentome(parts, texts: list[str]):
    data = bpe_bytes(*parts)
    check_model(data)
    res = yttm_child(data, [t.replace("\n", " ") for t in texts])
    assert res.returncode == 0, (res.returncode, res.stderr.decode()[-500:], data.decode())


_FIELDS = ["format", "config", "embedding", "state_dict", "labels", "thresholds", "tokenizer", "meta"]


_WHERE = ["thresholds", "config", "tokenizer", "state_dict", "config", "tokenizer", "state_dict", "labels", "embedding"]


@st.composite
def checkpoint_edits(draw) -> list[tuple[str, object]]:
    """1-3 edits: (path, value); path 'key' or 'key.sub'; value None removes it. Thresholds edits keep it valid."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from([*_WHERE, "top"]))
        if where == "thresholds":
            edits.append((f"thresholds.{draw(st.sampled_from(['hd', 'cv', 'vo']))}", draw(st.floats(0, 1))))
        elif where == "top":
            edits.append((draw(st.sampled_from(_FIELDS)), draw(junk)))
        elif where == "config":
            key = draw(st.sampled_from(["vocab_size", "n_labels", "d_model", "n_heads", "d_ff", "max_len", "emb_dim"]))
            edits.append((f"config.{key}", draw(st.one_of(st.integers(-3, 2**34), junk))))
        elif where == "tokenizer":
            key = draw(st.sampled_from(["model_bytes", "max_len", "clean", "kind", "words"]))
            value = draw(bpe_models()) if key == "model_bytes" else draw(st.one_of(st.integers(-3, 300), junk))
            edits.append((f"tokenizer.{key}", value))
        elif where == "state_dict":
            shape = draw(st.lists(st.integers(0, 50), max_size=3))
            value = draw(st.sampled_from(["zeros", "double", "expand", "none"]))
            edits.append((f"state_dict.{draw(st.sampled_from(['embed.weight', 'head.bias', 'x']))}", (value, shape)))
        elif where == "labels":
            edits.append(("labels", draw(st.lists(st.text(max_size=10), max_size=4))))
        else:
            spec = {"mode": draw(st.sampled_from(["frozen", "finetune", "frozen+oov", "x"]))}
            spec |= {k: draw(st.integers(-2, 2**31)) for k in ("vocab_size", "dim")}
            edits.append(("embedding", draw(st.one_of(st.just(spec), junk))))
    return edits


def _tensor(how: str, shape: list[int]):
    if how == "none":
        return None
    t = torch.zeros(shape)
    return t.double() if how == "double" else torch.zeros(1).expand(*shape) if how == "expand" and shape else t


def _apply(doc: dict, path: str, value) -> None:
    key, _, sub = path.partition(".")
    target = doc
    if sub:
        target = doc.get(key)
        if not isinstance(target, dict):
            return
        key = sub
        if path.startswith("state_dict."):
            value = _tensor(*value)
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


@examples(80)
@given(edits=checkpoint_edits())
def test_fuzz_checkpoints_refused_or_served(ckpt: Path, edits):
    doc = doc_of(ckpt)
    for path, value in edits:
        _apply(doc, path, value)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.pt"
        torch.save(doc, path)
        try:
            pred = predict.load(path)
        except CheckpointError as e:
            assert "\n" not in str(e)
            event(f"refused: {str(e).split(': ', 2)[-1][:40]}")
            return
        event("served")
        assert len(pred.predict(TEXTS)) == len(TEXTS)


@st.composite
def bundle_edits(draw) -> tuple[str, object]:
    where = draw(st.sampled_from(["manifest", "tokenizer field", "config", "tokenizer file", "entry", "files"]))
    if where == "manifest":
        key = draw(st.sampled_from(["format", "version", "labels", "thresholds", "derived", "derived_thresholds"]))
        return f"doc.{key}", draw(junk)
    if where == "tokenizer field":
        return f"tok.{draw(st.sampled_from(['kind', 'max_len', 'clean', 'file']))}", draw(junk)
    if where == "config":
        return f"cfg.{draw(st.sampled_from(['vocab_size', 'max_len']))}", draw(st.one_of(junk, st.integers(-1, 2**33)))
    if where == "tokenizer file":
        return "tokenizer.bpe", draw(bpe_models())
    if where == "entry":
        return "entry", draw(st.sampled_from(["extra", "dir", "link", "manifest link"]))
    return "files", draw(st.dictionaries(st.sampled_from(["model.onnx", "tokenizer.bpe", "../x", "a"]), junk))


def _edit_bundle(folder: Path, where: str, value) -> None:
    man = folder / bundle.MANIFEST
    doc = json.loads(man.read_text())
    kind, _, key = where.partition(".")
    if kind == "doc":
        doc[key] = value
    elif kind == "tok":
        doc["tokenizer"][key] = value
    elif kind == "cfg":
        doc["model"]["config"][key] = value
    elif kind == "files":
        doc["files"] = value
    elif kind == "tokenizer":
        (folder / "tokenizer.bpe").write_bytes(value)
        doc["files"]["tokenizer.bpe"] = bundle.sha256(value)
    elif value == "extra":
        (folder / "weights.bin").write_bytes(b"\0" * 8)
    elif value == "dir":
        (folder / "sub").mkdir()
    else:
        name = "model.onnx" if value == "link" else bundle.MANIFEST
        moved = shutil.move(folder / name, folder.parent / name)
        (folder / name).symlink_to(moved)
        return
    man.write_text(json.dumps(doc, default=repr))


@examples(60)
@given(edit=bundle_edits())
def test_fuzz_bundles_refused_or_served(bundle_dir: Path, edit):
    with tempfile.TemporaryDirectory() as d:
        folder = shutil.copytree(bundle_dir, Path(d) / "b_onnx")
        _edit_bundle(folder, *edit)
        try:
            pred = load_onnx(folder, threads=1)
        except CheckpointError as e:
            assert "\n" not in str(e)
            event(f"refused: {str(e).split(': ', 1)[-1][:40]}")
            return
        event("served")
        assert len(pred.predict(TEXTS)) == len(TEXTS)


@examples(200)
@given(data=st.binary(max_size=300))
def test_fuzz_onnx_scanner_never_fails_otherwise(bundle_dir: Path, data: bytes):
    for blob in (data, (bundle_dir / "model.onnx").read_bytes()[: len(data) * 50] + data):
        try:
            external_tensor(blob)
        except OnnxFormatError:
            pass


@examples(4)
@given(cuts=st.lists(st.tuples(st.floats(0.3, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_damaged_model_onnx_in_a_child(bundle_dir: Path, cuts):
    """Byte-damaged graphs with a consistent manifest: onnxruntime parses them in a child, which may refuse, never die."""
    with tempfile.TemporaryDirectory() as d:
        folder = shutil.copytree(bundle_dir, Path(d) / "b_onnx")
        data = bytearray((folder / "model.onnx").read_bytes())
        for where, byte in cuts:
            data[int(where * len(data))] = byte
        rewrite_bundle_file(folder, "model.onnx", bytes(data))
        res = predict_cli("--model", folder, stdin=b"nice day\n\nstupid crap\n")
        event(f"exit {res.returncode}: {res.stderr.decode()[-60:]}")
        if res.returncode != 0:
            assert_refused(res)
