"""One-file checkpoints: weights, model config, labels, tuned thresholds and the tokenizer together."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from src.models.encoder import Encoder, ModelConfig
from src.serving import validate
from src.serving.errors import CheckpointError

__all__ = ["FORMAT", "CheckpointError", "load", "save"]  # CheckpointError lives in errors.py (torch-free)

FORMAT = "toxic-small/encoder/v1"


def save(path: str | Path, model: Encoder, tokenizer, labels, thresholds: dict[str, float], **meta) -> int:
    """Write the checkpoint (atomically: temp file + rename); returns its size in bytes."""
    missing = [lab for lab in labels if lab not in thresholds]
    if missing:
        raise ValueError(f"no tuned threshold for labels {missing}")
    doc = {
        "format": FORMAT,
        "config": model.cfg.to_dict(),
        "embedding": getattr(model.embed, "spec", None),  # None: a plain nn.Embedding
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "labels": list(labels),
        "thresholds": {k: float(v) for k, v in thresholds.items()},
        "tokenizer": tokenizer.state(),
        "meta": meta,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(doc, tmp)
    tmp.replace(path)
    return path.stat().st_size


def _tokenizer(path: Path, state: dict, cfg: ModelConfig):
    """The checkpoint's tokenizer (state already checked by validate), never yielding ids past the embedding."""
    try:
        if state["kind"] == "bpe":
            from src.data.tokenizers import BPETokenizer, Tokenizer

            tok: Tokenizer = BPETokenizer.from_state(state)
        else:
            from src.data.glove import WordTokenizer

            tok = WordTokenizer.from_state(state)
    except ValueError as e:  # the strict BPE reader and WordTokenizer say what is wrong
        raise CheckpointError(f"{path}: unusable tokenizer: {' '.join(str(e).split())}") from None
    if tok.vocab_size > cfg.vocab_size:
        raise CheckpointError(f"{path}: tokenizer has {tok.vocab_size:,} ids for {cfg.vocab_size:,} embedding rows")
    return tok


def _model(path: Path, cfg: ModelConfig, spec: dict | None, state_dict: dict) -> Encoder:
    """The module built on the meta device (no memory), checked against the stored tensors, then given them."""
    with torch.device("meta"):
        embedding = None
        if spec is not None:
            from src.models.glove_embedding import GloveEmbedding

            embedding = GloveEmbedding.from_spec(spec)
        model = Encoder(cfg, embedding=embedding)
    validate.check_tensors(path, state_dict, model.state_dict())
    ids = state_dict.get("embed.trainable_ids")
    if ids is not None and ids.tolist() != (spec or {}).get("trainable_ids", [1]):
        raise CheckpointError(f"{path}: stored trainable ids differ from the embedding spec; re-save it")
    model.load_state_dict(state_dict, assign=True)
    return model


def load(path: str | Path, labels=None, config: ModelConfig | None = None, map_location: str = "cpu"):
    """Read a checkpoint -> (model in eval mode, tokenizer, doc); checks labels/config if given.

    Everything in the file is checked (src/serving/validate.py) before anything it describes is built.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    raw = validate.read_checkpoint(path)
    try:
        # weights_only: the unpickler builds tensors and plain containers only, so a crafted file cannot run code.
        doc = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as e:  # any failure of an untrusted file is the same user error: one line, no traceback
        raise CheckpointError(
            f"{path}: not a valid checkpoint: corrupt or truncated, or holding objects other than tensors and "
            f"plain values ({type(e).__name__}; nothing in it was run); re-save or retrain it"
        ) from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not a valid checkpoint: not a toxic-small encoder file (format {FORMAT} expected)"
        )
    cfg_dict, spec = validate.check_doc(path, doc)
    if labels is not None and list(labels) != doc["labels"]:
        raise CheckpointError(f"{path}: trained for labels {doc['labels']}, expected {list(labels)}")
    try:
        cfg = ModelConfig(**cfg_dict)
    except (TypeError, ValueError) as e:
        raise CheckpointError(
            f"{path}: not a valid checkpoint: bad model config ({e}); re-save or retrain it"
        ) from None
    if config is not None and config != cfg:
        raise CheckpointError(f"{path}: model config differs from the expected one: {cfg} != {config}")
    tok = _tokenizer(path, doc["tokenizer"], cfg)
    model = _model(path, cfg, spec, doc["state_dict"])
    return model.to(map_location).eval(), tok, doc
