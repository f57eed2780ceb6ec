"""Torch-free serving: score comments with an ONNX bundle (see `src.serving.onnx_export`) via onnxruntime.

Imports only numpy, pandas, onnxruntime and the tokenizers, so a process that serves this way never loads torch.
`OnnxPredictor` has the public surface of `predict.Predictor` and gives the same columns and row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from src.serving import bundle
from src.serving.errors import CheckpointError
from src.serving.scoring import Scorer, label_fields

if TYPE_CHECKING:  # annotation only: serving imports no tokenizer it does not need
    from src.data.tokenizers import Tokenizer


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings for large |x|."""
    return np.exp(-np.logaddexp(0.0, -x)).astype(np.float32)


@dataclass
class OnnxPredictor(Scorer):
    """An onnxruntime session with its tokenizer, labels, tuned thresholds and derived labels."""

    session: ort.InferenceSession
    tokenizer: Tokenizer  # BPETokenizer or glove.WordTokenizer
    labels: list[str]
    thresholds: dict[str, float]
    derived: dict[str, list[str]] = field(default_factory=dict)
    derived_thresholds: dict[str, float] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)  # the bundle's manifest.json (source checkpoint, opset, ...)

    def probs(self, ids: np.ndarray) -> np.ndarray:
        """(B, T) padded ids -> (B, L) probabilities via onnxruntime."""
        (logits,) = self.session.run(["logits"], {"ids": ids})
        return sigmoid(logits)


def session(path: Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU onnxruntime session; `threads` > 0 caps its intra-op threads (0: onnxruntime's default)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = max(0, threads)
    opts.inter_op_num_threads = 1  # one chain of ops: a second pool would only add idle threads
    opts.log_severity_level = 3  # errors only: warnings would go to stderr, which users read for one-line errors
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def load_onnx(folder: str | Path, threads: int = 0) -> OnnxPredictor:
    """OnnxPredictor from a bundle folder; raises CheckpointError if it is missing, corrupt or foreign."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: ONNX bundle not found")
    doc = bundle.read_manifest(folder)
    meta = {"derived": doc.get("derived"), "derived_thresholds": doc.get("derived_thresholds")}
    labels, thr, derived, dthr = label_fields(folder, doc.get("labels"), doc.get("thresholds"), meta)
    tok = bundle.load_tokenizer(folder, doc)
    try:
        sess = session(folder / bundle.MODEL_FILE, threads)
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise CheckpointError(
            f"{folder}: {bundle.MODEL_FILE} cannot be loaded ({type(e).__name__}); re-export it"
        ) from e
    inputs, outputs = [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
    width = sess.get_outputs()[0].shape[-1] if outputs else None
    if inputs != ["ids"] or outputs != ["logits"] or width != len(labels):
        raise CheckpointError(
            f"{folder}: {bundle.MODEL_FILE} does not fit the manifest (inputs {inputs}, outputs {outputs} of "
            f"width {width}; expected ids -> logits of width {len(labels)})"
        )
    return OnnxPredictor(sess, tok, labels, thr, derived, dthr, doc)
