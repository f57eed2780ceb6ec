"""ONNX bundles: export, parity with torch on tiny and committed models, the torch-free CLI, and bad bundles."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
import torch

from src.apps import export as export_cli
from src.apps import predict as predict_cli
from src.common.batching import length_batches
from src.data.glove import PAD, UNK, WordTokenizer
from src.models.encoder import Encoder, ModelConfig
from src.models.glove_embedding import GloveEmbedding
from src.serving import bundle, checkpoint, onnx_export, predict
from src.serving.onnx_predict import OnnxPredictor, load_onnx, sigmoid
from src.serving.scoring import pad_ids, token_split
from tests.test_predict import DERIVED, LABELS, THRESHOLDS, tiny_checkpoint, tiny_corpus

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[1]
SPECIAL = ["", " ", "\t \t", "café naïve Zürich – 東京 ✓", "Привет, идиот!", "😀😀 🔥", "a", "!!!", "\u2028\x0c"]


def texts(n: int = 300) -> list[str]:
    """Tiny-corpus comments plus empty, whitespace-only, non-ASCII and far-longer-than-max_len ones."""
    base = tiny_corpus(n, seed=7)[0]
    long = [" ".join(base[i : i + 60]) for i in range(0, 240, 60)]  # hundreds of words: cut at max_len
    return [*SPECIAL, *long, "idiot " * 5000, *base]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def bpe_ckpt(folder: Path) -> Path:
    """The tiny trained BPE checkpoint of test_predict, with derived labels and one derived threshold."""
    return tiny_checkpoint(folder / "tiny.pt")


@pytest.fixture(scope="module")
def bpe_bundle(bpe_ckpt: Path) -> Path:
    return onnx_export.export(bpe_ckpt)


def _word_ckpt(folder: Path) -> Path:
    """GloVe-style: word tokenizer, frozen+oov rows plus corpus columns, 2-head scaled_dot attention."""
    words = [PAD, UNK, *sorted({w for t in tiny_corpus()[0] for w in t.split()})[:-1], "zorblax"]
    tok = WordTokenizer(words, n_oov=1, max_len=24)
    rng = np.random.default_rng(0)
    glove = GloveEmbedding(
        rng.normal(size=(len(words), 6)), "frozen+oov", tok.trainable_ids, rng.normal(size=(len(words), 2))
    )
    torch.manual_seed(1)
    cfg = ModelConfig(len(words), 3, d_model=8, n_heads=2, d_ff=16, score="scaled_dot", max_len=24, emb_dim=8)
    path = folder / "word.pt"
    checkpoint.save(path, Encoder(cfg, glove).eval(), tok, LABELS, THRESHOLDS, dataset="ghc")
    return path


def _general_ckpt(folder: Path, bpe_ckpt: Path) -> Path:
    """Two layers, 'general' score, max pooling: the other code paths of the encoder."""
    _, tok, _ = checkpoint.load(bpe_ckpt)
    torch.manual_seed(2)
    cfg = ModelConfig(tok.vocab_size, 3, d_model=8, n_layers=2, d_ff=16, score="general", max_len=32, pooling="max")
    path = folder / "general.pt"
    checkpoint.save(path, Encoder(cfg).eval(), tok, LABELS, THRESHOLDS)
    return path


def _assert_same(onnx_df: pd.DataFrame, torch_df: pd.DataFrame, pred, atol: float = 1e-5) -> None:
    """Same columns and rows; probabilities within atol; flags equal except within atol of their threshold."""
    assert list(onnx_df.columns) == list(torch_df.columns) == pred.columns and len(onnx_df) == len(torch_df)
    diff = np.abs(onnx_df[pred.names].to_numpy(float) - torch_df[pred.names].to_numpy(float))
    assert diff.max() <= atol, diff.max()
    for n in pred.names:
        near = np.abs(torch_df[n].to_numpy(float) - pred.threshold(n)) <= 1e-5
        assert (onnx_df[f"{n}_flag"] == torch_df[f"{n}_flag"])[~near].all()


COMMITTED = {
    "baseattention_ghc.pt",
    "bestresult_ghc.pt",
    "shrink_student200kglove_ghc.pt",
    "shrink_student50kglove_ghc.pt",
}
MODELS = sorted(COMMITTED | {p.name for p in (ROOT / "models").glob("*.pt")})


@pytest.mark.parametrize("which", ["bpe", "word", "general", *MODELS])
def test_onnx_matches_torch(which: str, bpe_ckpt: Path, tmp_path: Path):
    if which == "bpe":
        path = bpe_ckpt
    elif which in ("word", "general"):
        path = _word_ckpt(tmp_path) if which == "word" else _general_ckpt(tmp_path, bpe_ckpt)
    else:
        path = ROOT / "models" / which
        if not path.is_file():
            pytest.skip(f"{path} absent")
    out = onnx_export.export(path, tmp_path / "bundle")
    onnx_pred, torch_pred = load_onnx(out, threads=1), predict.load(path)
    for attr in ("labels", "names", "columns", "thresholds", "derived"):
        assert getattr(onnx_pred, attr) == getattr(torch_pred, attr), attr
    assert all(onnx_pred.threshold(n) == torch_pred.threshold(n) for n in torch_pred.names)
    batch = texts()
    _assert_same(onnx_pred.predict(batch, batch_size=64), torch_pred.predict(batch, batch_size=64), torch_pred)
    assert onnx_pred.predict([]).shape == (0, len(torch_pred.columns))


def test_chunks_and_token_budget_keep_outputs(bpe_bundle: Path):
    pred = load_onnx(bpe_bundle, threads=1)
    batch = texts(700)  # batch 8: 400-row chunks, so the input is tokenised in two parts
    ids = pred.tokenizer.encode(batch)
    want = np.zeros((len(ids), len(pred.labels)), dtype=np.float32)
    for b in length_batches(np.array([len(s) for s in ids]), 8):  # the whole list at once, as before chunking
        want[b] = sigmoid(pred.session.run(["logits"], {"ids": pad_ids([ids[i] for i in b])})[0])
    whole = pred.predict(batch, batch_size=8, max_tokens=None)
    assert np.array_equal(whole[pred.labels].to_numpy(), want)  # same batches: bit for bit
    _assert_same(pred.predict(batch, batch_size=8, max_tokens=40), whole, pred, atol=1e-6)  # <= 40 tokens per call
    parts = token_split(np.arange(8), np.array([1, 2, 3, 4, 5, 6, 7, 32]), 64)
    assert [len(p) for p in parts] == [2, 2, 2, 2] and token_split(np.arange(3), np.ones(3, int), None)[0].size == 3


def test_bundle_contents(bpe_ckpt: Path, bpe_bundle: Path):
    assert bpe_bundle == bpe_ckpt.with_name("tiny_onnx")
    assert sorted(p.name for p in bpe_bundle.iterdir()) == ["manifest.json", "model.onnx", "tokenizer.bpe"]
    doc = json.loads((bpe_bundle / "manifest.json").read_text())
    _, tok, _ = checkpoint.load(bpe_ckpt)
    assert (bpe_bundle / "tokenizer.bpe").read_bytes() == tok.model_bytes  # the yttm file itself, no pickle
    assert doc["format"] == bundle.FORMAT and doc["version"] == 1 and doc["opset"] >= 17
    assert (
        doc["labels"] == LABELS
        and doc["thresholds"] == THRESHOLDS
        and doc["derived"] == {k: list(v) for k, v in DERIVED.items()}
    )
    assert doc["derived_thresholds"] == {"hate": 0.4, "any": 0.5}
    assert doc["tokenizer"] == {"kind": "bpe", "max_len": 32, "clean": True, "file": "tokenizer.bpe"}
    assert doc["source"]["sha256"] == bundle.sha256_file(bpe_ckpt)
    assert doc["files"] == {n: bundle.sha256_file(bpe_bundle / n) for n in ("model.onnx", "tokenizer.bpe")}
    graph = onnx.load(str(bpe_bundle / "model.onnx")).graph
    (ids,), (logits,) = graph.input, graph.output
    assert (ids.name, ids.type.tensor_type.elem_type, logits.name) == ("ids", onnx.TensorProto.INT64, "logits")
    assert all(d.dim_param for d in ids.type.tensor_type.shape.dim)  # batch and sequence are both dynamic
    assert [d.dim_value for d in logits.type.tensor_type.shape.dim][1:] == [3]


def test_padding_and_length_one_like_torch(bpe_ckpt: Path, bpe_bundle: Path):
    sess, (model, _, _) = load_onnx(bpe_bundle).session, checkpoint.load(bpe_ckpt)
    one = np.array([[7]], dtype=np.int64)
    padded = np.zeros((3, 32), dtype=np.int64)
    padded[0, :1], padded[1, :5], padded[2] = 7, np.arange(5, 10), np.arange(1, 33) % 50 + 1
    for ids in (one, padded, padded[:2, :5]):
        with torch.inference_mode():
            expected = model(torch.from_numpy(ids)).numpy()
        assert np.abs(sess.run(["logits"], {"ids": ids})[0] - expected).max() <= 1e-5
    # A sequence scores the same alone and padded next to longer ones: PAD (0) is masked out in the graph.
    assert np.allclose(sess.run(["logits"], {"ids": one})[0][0], sess.run(["logits"], {"ids": padded})[0][0], atol=1e-6)


def _cli(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=180)


def test_cli_onnx_backend_imports_no_torch_and_equals_torch_cli(bpe_ckpt: Path, bpe_bundle: Path, tmp_path: Path):
    lines = texts(120)
    src = tmp_path / "in.txt"
    src.write_text("".join(t.replace("\n", " ").replace("\r", " ") + "\n" for t in lines), encoding="utf-8")
    snippet = (
        "import sys; from src.apps import predict; "
        "code = predict.main(['--model', {m!r}, '--backend', {b!r}, '--threads', '1', {f!r}]); "
        "print(code, 'torch' in sys.modules, file=sys.stderr)"
    )
    res = {b: _cli(snippet.format(m=str(m), b=b, f=str(src))) for b, m in (("onnx", bpe_bundle), ("torch", bpe_ckpt))}
    assert res["onnx"].stderr.decode().split() == ["0", "False"], res["onnx"].stderr.decode()
    assert res["torch"].stderr.decode().split() == ["0", "True"], res["torch"].stderr.decode()
    got, want = (pd.read_csv(io.StringIO(res[b].stdout.decode())) for b in ("onnx", "torch"))
    pred = load_onnx(bpe_bundle)
    assert len(got) == len(lines)
    _assert_same(got, want, pred, atol=2e-6)
    # The tokenizer modules, the ONNX predictor and the CLI module import without torch.
    modules = "src.data.tokenizers, src.data.glove, src.serving.onnx_predict, src.serving.predict"
    code = f"import sys, {modules}; print('torch' in sys.modules)"
    assert _cli(code).stdout.decode().strip() == "False"


def test_auto_backend_and_stale_bundle(bpe_ckpt: Path, bpe_bundle: Path, tmp_path: Path):
    assert isinstance(predict.open_model(bpe_ckpt), OnnxPredictor)  # its bundle sits next to it
    assert isinstance(predict.open_model(bpe_ckpt, "onnx"), OnnxPredictor)
    assert isinstance(predict.open_model(bpe_bundle), OnnxPredictor)
    assert isinstance(predict.open_model(bpe_ckpt, "torch"), predict.Predictor)
    other = tmp_path / "tiny.pt"  # same name, other content: the copied bundle no longer matches it
    model, tok, _ = checkpoint.load(bpe_ckpt)
    checkpoint.save(other, model, tok, LABELS, {**THRESHOLDS, "hd": 0.9})
    shutil.copytree(bpe_bundle, bundle.default_dir(other))
    assert isinstance(predict.open_model(other), predict.Predictor)  # auto: the checkpoint wins
    with pytest.raises(checkpoint.CheckpointError, match="another version"):
        predict.open_model(other, "onnx")
    with pytest.raises(checkpoint.CheckpointError, match="no ONNX bundle"):
        predict.open_model(tmp_path / "none.pt", "onnx")
    with pytest.raises(checkpoint.CheckpointError, match="torch backend needs"):
        predict.open_model(bpe_bundle, "torch")


def _break(folder: Path, how: str) -> str:
    """Damage a copied bundle; returns a phrase the one-line error must contain."""
    man = folder / "manifest.json"
    doc = json.loads(man.read_text())
    if how == "no model":
        (folder / "model.onnx").unlink()
        return "model.onnx is missing"
    if how == "no tokenizer":
        (folder / "tokenizer.bpe").unlink()
        return "tokenizer.bpe is missing"
    if how == "flipped byte":
        data = bytearray((folder / "model.onnx").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / "model.onnx").write_bytes(bytes(data))
        return "does not match its sha256"
    if how in ("garbage model", "garbage tokenizer"):
        name = "model.onnx" if how == "garbage model" else "tokenizer.bpe"
        (folder / name).write_bytes(b"not a model\n")
        doc["files"][name] = bundle.sha256(b"not a model\n")  # a consistent manifest: the loaders must refuse
        man.write_text(json.dumps(doc))
        return "cannot be loaded" if how == "garbage model" else "unusable tokenizer"
    if how == "foreign format":
        man.write_text(json.dumps({**doc, "format": "something/else"}))
        return "not a toxic-small ONNX bundle"
    if how == "not json":
        man.write_text("{truncated")
        return "not valid JSON"
    man.unlink()
    return "manifest.json not found"


HOWS = ["no model", "no tokenizer", "flipped byte", "garbage model", "garbage tokenizer", "foreign format", "not json"]
HOWS += ["no manifest"]


@pytest.mark.parametrize("how", HOWS)
def test_bad_bundle_one_line_error(how: str, bpe_bundle: Path, tmp_path: Path, capsys):
    broken = shutil.copytree(bpe_bundle, tmp_path / "broken_onnx")
    why = _break(broken, how)
    assert predict_cli.main(["--model", str(broken), "--backend", "onnx", str(tmp_path / "nothing.txt")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and why in err and len(err.strip().splitlines()) == 1, err
    if how == "flipped byte":  # and from a fresh process: exit code 2, no traceback
        res = subprocess.run(
            [sys.executable, "-m", "src.apps.predict", "--model", str(broken)],
            input=b"hi\n",
            capture_output=True,
            cwd=ROOT,
            timeout=120,
        )
        assert res.returncode == 2 and res.stdout == b"" and "Traceback" not in res.stderr.decode()


def test_export_cli(bpe_ckpt: Path, tmp_path: Path, capsys):
    assert export_cli.main([str(bpe_ckpt), "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "manifest.json").is_file() and "model.onnx" in capsys.readouterr().out
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("mine")
    assert export_cli.main([str(bpe_ckpt), "--out", str(tmp_path / "keep")]) == 2  # not a bundle: not replaced
    assert (tmp_path / "keep" / "notes.txt").is_file() and "not an ONNX bundle" in capsys.readouterr().err
    assert export_cli.main([str(tmp_path / "missing.pt")]) == 2
    assert "not found" in capsys.readouterr().err
