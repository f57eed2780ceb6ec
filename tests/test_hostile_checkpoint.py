"""Issue #22, checkpoint rows: a .pt whose config, embedding spec, tokenizer or labels lie is refused with one line
and exit 2 before anything it declares is allocated (before: 96 GB / 373 GiB allocations, tracebacks, garbled
columns). The table's rows run the CLI in a subprocess; the other gates are checked in-process."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import torch

from tests.hostile_files import assert_refused, doc_of, predict_cli, tiny_checkpoint, write_doc


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


def _variant(ckpt: Path, out: Path, **changes) -> Path:
    """The tiny checkpoint with top-level fields replaced (None: removed)."""
    doc = doc_of(ckpt)
    for key, value in changes.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return write_doc(doc, out)


def test_checkpoint_vocab_size_2e9_refused_before_allocating(ckpt: Path, tmp_path: Path):
    cfg = {**doc_of(ckpt)["config"], "vocab_size": 2_000_000_000}
    res = predict_cli("--model", _variant(ckpt, tmp_path / "v.pt", config=cfg))
    assert_refused(res, "config vocab_size = 2000000000")


def test_checkpoint_glove_spec_1e8_by_1000_refused_before_allocating(ckpt: Path, tmp_path: Path):
    spec = {"mode": "frozen", "vocab_size": 100_000_000, "dim": 1000, "trainable_ids": [1]}
    res = predict_cli("--model", _variant(ckpt, tmp_path / "g.pt", embedding=spec))
    assert_refused(res, "embedding spec 100000000 x 1000")
    cfg = {**doc_of(ckpt)["config"], "vocab_size": 100_000_000, "emb_dim": 1000}  # config agreeing with the spec
    res = predict_cli("--model", _variant(ckpt, tmp_path / "g2.pt", embedding=spec, config=cfg))
    assert_refused(res, "vocab_size = 100000000")


def test_checkpoint_garbage_tokenizer_bytes_refused(ckpt: Path, tmp_path: Path):
    tok = {**doc_of(ckpt)["tokenizer"], "model_bytes": b"\x00garbage\xff" * 10}
    assert_refused(predict_cli("--model", _variant(ckpt, tmp_path / "t.pt", tokenizer=tok)), "unusable tokenizer")


@pytest.mark.parametrize("key", ["state_dict", "tokenizer", "config", "labels"])
def test_checkpoint_missing_key_refused(key: str, ckpt: Path, tmp_path: Path):
    path = _variant(ckpt, tmp_path / "m.pt", **{key: None})
    assert_refused(predict_cli("--model", path), f"{key!r} missing")


def test_checkpoint_label_named_flag_refused(ckpt: Path, tmp_path: Path):
    doc = doc_of(ckpt)
    doc["labels"] = ["hd_flag", "cv", "vo"]
    doc["thresholds"] = {"hd_flag": 0.3, "cv": 0.5, "vo": 0.7}
    doc["meta"] = {**doc["meta"], "derived": {"hate": ["hd_flag", "cv"], "any": ["hd_flag", "cv", "vo"]}}
    res = predict_cli("--model", write_doc(doc, tmp_path / "f.pt"))
    assert_refused(res, "label name 'hd_flag' is not usable as an output column")


# In-process: the other checks of the gate (predict.load raises CheckpointError, one line).
def _refused_in_process(path: Path, phrase: str) -> None:
    from src.serving import checkpoint, predict

    with pytest.raises(checkpoint.CheckpointError) as e:
        predict.load(path)
    assert phrase in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_strided_view_with_a_huge_declared_shape_refused(ckpt: Path, tmp_path: Path):
    doc = doc_of(ckpt)
    w = doc["state_dict"]["embed.weight"]
    doc["state_dict"]["embed.weight"] = torch.zeros(1).expand(*w.shape)  # one stored float, any shape
    _refused_in_process(write_doc(doc, tmp_path / "s.pt"), "not a dense torch.float32 tensor")


@pytest.mark.parametrize(
    "how, phrase",
    [
        ("shape", "not a dense torch.float32 tensor of shape"),
        ("dtype", "not a dense torch.float32"),
        ("extra tensor", "names differ"),
        ("tokenizer longer than positions", "tokenizer max_len"),
        ("tokenizer with more ids", "embedding rows"),
        ("duplicate labels", "label names repeat"),
        ("threshold not a probability", "not a probability"),
        ("bad dropout", "config dropout"),
    ],
)
def test_inconsistent_checkpoint_refused(how: str, phrase: str, ckpt: Path, tmp_path: Path):
    doc = doc_of(ckpt)
    sd, cfg = doc["state_dict"], doc["config"]
    if how == "shape":
        sd["head.bias"] = torch.zeros(4)
    elif how == "dtype":
        sd["head.bias"] = sd["head.bias"].double()
    elif how == "extra tensor":
        sd["spare"] = torch.zeros(2)
    elif how == "tokenizer longer than positions":
        doc["tokenizer"]["max_len"] = cfg["max_len"] + 1
    elif how == "tokenizer with more ids":
        cfg["vocab_size"] -= 1
        sd["embed.weight"] = sd["embed.weight"][:-1].clone()
    elif how == "duplicate labels":
        doc["labels"], doc["meta"]["derived"] = ["hd", "hd", "vo"], {}
    elif how == "threshold not a probability":
        doc["thresholds"]["vo"] = float("nan")
    else:
        cfg["dropout"] = "high"
    _refused_in_process(write_doc(doc, tmp_path / "x.pt"), phrase)


def test_compressed_or_oversized_archive_records_refused(ckpt: Path, tmp_path: Path):
    src, buf = zipfile.ZipFile(ckpt), io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    (tmp_path / "z.pt").write_bytes(buf.getvalue())
    _refused_in_process(tmp_path / "z.pt", "compressed")


def test_valid_checkpoint_loads_exactly_its_tensors(ckpt: Path):
    from src.serving import checkpoint

    model, tok, doc = checkpoint.load(ckpt)
    assert all(t.device.type == "cpu" for t in [*model.parameters(), *model.buffers()])
    for name, t in model.state_dict().items():
        assert torch.equal(t, doc["state_dict"][name]), name
    assert tok.vocab_size == model.cfg.vocab_size
