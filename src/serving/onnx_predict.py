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
from src.serving.bundle_check import open_bundle
from src.serving.errors import BundleError, CheckpointError
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
        try:
            (logits,) = self.session.run(["logits"], {"ids": ids})
        except Exception as e:  # onnxruntime's own types: a graph that does not fit its tokenizer or config
            why = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            raise BundleError(f"model.onnx failed on a batch ({why}); re-export the bundle") from e
        return sigmoid(logits)


def session(model: Path | bytes, threads: int = 0) -> ort.InferenceSession:
    """A CPU onnxruntime session of a model file or its bytes; `threads` > 0 caps intra-op threads (0: default)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = max(0, threads)
    opts.inter_op_num_threads = 1  # one chain of ops: a second pool would only add idle threads
    opts.log_severity_level = 4  # fatal only: its errors come back as exceptions, which we turn into one-line errors
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


def load_onnx(folder: str | Path, threads: int = 0) -> OnnxPredictor:
    """OnnxPredictor from a bundle folder; raises CheckpointError if it is missing, corrupt or foreign."""
    folder = Path(folder)
    opened = open_bundle(folder)  # every file checked, read once: the checked bytes are the ones loaded
    doc = opened.doc
    meta = {"derived": doc.get("derived"), "derived_thresholds": doc.get("derived_thresholds")}
    labels, thr, derived, dthr = label_fields(folder, doc.get("labels"), doc.get("thresholds"), meta)
    try:
        sess = session(opened.model_bytes, threads)
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise BundleError(f"{folder}: {bundle.MODEL_FILE} cannot be loaded ({type(e).__name__}); re-export it") from e
    inputs, outputs = [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
    width = sess.get_outputs()[0].shape[-1] if outputs else None
    if inputs != ["ids"] or outputs != ["logits"] or width != len(labels):
        raise CheckpointError(
            f"{folder}: {bundle.MODEL_FILE} does not fit the manifest (inputs {inputs}, outputs {outputs} of "
            f"width {width}; expected ids -> logits of width {len(labels)})"
        )
    return OnnxPredictor(sess, opened.tokenizer, labels, thr, derived, dthr, doc)
