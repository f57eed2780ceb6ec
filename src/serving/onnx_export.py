"""Export a checkpoint to an ONNX bundle folder for torch-free serving (`src.serving.onnx_predict`).

`python -m src.apps.export models/*.pt` writes `models/<name>_onnx/` next to each checkpoint:
model.onnx (token ids (batch, seq) int64, 0 = PAD -> logits (batch, labels)), the tokenizer as plain data
(tokenizer.bpe: the youtokentome model file; vocab.json: the word list) and manifest.json (labels, thresholds,
derived labels, tokenizer settings, opset, and the sha256 of every file and of the source checkpoint).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from src.serving import bundle, bundle_check, predict
from src.serving.errors import BundleError
from src.serving.locks import fsync_dir, fsync_file
from src.serving.onnx_predict import load_onnx

OPSET = 18
TOLERANCE = 1e-5  # max |p_onnx - p_torch| an export must meet on its probe batches


class _Lookup(nn.Module):
    """The model's embedding as one precomputed (V, C) table: a plain Gather in the graph.

    GloVe layers rebuild their matrix from frozen and trainable rows on every call; serving needs the result only.
    """

    table: torch.Tensor  # (V, C): every id's embedding row, computed once at export

    def __init__(self, embed: nn.Module, vocab_size: int):
        super().__init__()
        with torch.no_grad():
            self.register_buffer("table", embed(torch.arange(vocab_size)[None])[0].detach().clone())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, T, C)."""
        return nn.functional.embedding(ids, self.table)


class _IdsToLogits(nn.Module):
    """ids -> logits with the PAD mask derived inside the graph (ids != 0), exactly as Encoder.forward does."""

    def __init__(self, model: Any):  # an Encoder (typed loosely: its embed is swapped for a _Lookup)
        super().__init__()
        self.model = copy.deepcopy(model).eval()
        self.model.embed = _Lookup(self.model.embed, model.cfg.vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) int64 -> (B, L)."""
        return self.model(ids)


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter warns about optional ops (torchvision) and attributes set in forward: not ours to act on."""
    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def _probe(vocab_size: int, max_len: int) -> list[np.ndarray]:
    """Padded id batches that cover length 1, padding, max_len and batch size 1."""
    rng = np.random.default_rng(0)
    lengths = [1, min(2, max_len), max_len, max(1, max_len // 3), 1, min(5, max_len)]
    rows = [rng.integers(1, vocab_size, n) for n in lengths]
    batch = np.zeros((len(rows), max(lengths)), dtype=np.int64)
    for i, r in enumerate(rows):
        batch[i, : len(r)] = r
    return [batch, batch[:1, :1], batch[1:2, :2]]


def _graph(module: _IdsToLogits, path: Path) -> tuple[bytes, int]:
    """Export to `path` -> (the file's bytes, its opset); node stack traces are dropped (they hold local paths)."""
    cfg = module.model.cfg
    example = torch.tensor([[5, 6, 0], [7, 8, 9]]) % cfg.vocab_size
    dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("seq", max=cfg.max_len)}
    with _quiet_exporter():
        torch.onnx.export(
            module,
            (example,),
            str(path),
            input_names=["ids"],
            output_names=["logits"],
            dynamic_shapes=(dims,),
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    proto = onnx.load(str(path))
    for node in proto.graph.node:
        del node.metadata_props[:]
    data = proto.SerializeToString()
    path.write_bytes(data)
    return data, next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def _check(model: Any, folder: Path) -> float:
    """Max |p_onnx - p_torch| of the written bundle vs the original model on probe batches; raises above TOLERANCE."""
    sess = load_onnx(folder, threads=1).session
    worst = 0.0
    for ids in _probe(model.cfg.vocab_size, model.cfg.max_len):
        with torch.inference_mode():
            p_torch = torch.sigmoid(model(torch.from_numpy(ids))).numpy()
        p_onnx = 1 / (1 + np.exp(-sess.run(["logits"], {"ids": ids})[0].astype(np.float64)))
        worst = max(worst, float(np.abs(p_onnx - p_torch).max()))
    if worst > TOLERANCE:
        raise RuntimeError(f"exported graph differs from torch by {worst:.2e} (> {TOLERANCE}); bundle not written")
    return worst


def _manifest(pred: predict.Predictor, checkpoint: Path, files: dict[str, bytes], tok: dict, opset: int) -> dict:
    return {
        "format": bundle.FORMAT,
        "version": bundle.VERSION,
        "labels": pred.labels,
        "thresholds": pred.thresholds,
        "derived": pred.derived,
        "derived_thresholds": {n: pred.threshold(n) for n in pred.derived},  # fallbacks made explicit
        "tokenizer": tok,
        "model": {"file": bundle.MODEL_FILE, "input": "ids", "output": "logits", "config": pred.model.cfg.to_dict()},
        "opset": opset,
        "source": {"file": checkpoint.name, "sha256": bundle.sha256_file(checkpoint)},
        "files": {name: bundle.sha256(data) for name, data in files.items()},
        "exported_with": {"torch": torch.__version__, "onnx": onnx.__version__},
    }


def _check_target(out: Path) -> None:
    """Only a bundle of ours (manifest of our format, nothing but its listed files) or an empty folder is replaced."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not an ONNX bundle folder; choose another --out")
    if not any(out.iterdir()):
        return
    try:
        bundle_check.check_entries(out, bundle_check.manifest(out), complete=False)
    except BundleError as e:
        raise FileExistsError(
            f"{out}: exists and is not an ONNX bundle of ours, so it is not replaced ({e}); choose another --out"
        ) from None


def _replace(tmp: Path, out: Path) -> None:
    """Swap the new bundle in; the old one's known files are deleted by name, so nothing else is ever removed."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
    out.rename(old)
    tmp.rename(out)
    for name in (bundle.MANIFEST, bundle.MODEL_FILE, *bundle.TOKENIZER_FILES.values()):
        (old / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something appeared in it meanwhile: left for its owner
        old.rmdir()


def export(checkpoint_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the ONNX bundle of a checkpoint (default: `<name>_onnx/` next to it); returns the folder."""
    checkpoint = Path(checkpoint_path)
    pred = predict.load(checkpoint)  # labels, thresholds and derived labels exactly as the torch backend serves
    out = Path(out_dir) if out_dir is not None else bundle.default_dir(checkpoint)
    _check_target(out)
    tok_fields, tok_name, tok_data = bundle.tokenizer_files(pred.tokenizer.state())
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built in a sibling temp folder and swapped in whole: a reader never sees half a bundle.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide the bundle from a service running as another user
    try:
        graph, opset = _graph(_IdsToLogits(pred.model), tmp / bundle.MODEL_FILE)
        (tmp / tok_name).write_bytes(tok_data)
        files = {bundle.MODEL_FILE: graph, tok_name: tok_data}
        doc = _manifest(pred, checkpoint, files, tok_fields, opset)
        (tmp / bundle.MANIFEST).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _check(pred.model, tmp)
        for name in (*files, bundle.MANIFEST):
            fsync_file(tmp / name)
        fsync_dir(tmp)
        _check_target(out)
        _replace(tmp, out)
        fsync_dir(out.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
