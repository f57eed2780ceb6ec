"""One-file checkpoints: weights, model config, labels, tuned thresholds and the tokenizer together."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from src.models.encoder import Encoder, ModelConfig
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


def _tokenizer(state: dict):
    kind = state.get("kind")
    if kind == "bpe":
        from src.data.tokenizers import BPETokenizer

        return BPETokenizer.from_state(state)
    if kind == "word":
        from src.data.glove import WordTokenizer

        return WordTokenizer.from_state(state)
    raise CheckpointError(f"unknown tokenizer kind {kind!r}")


def _embedding(spec: dict | None, cfg: ModelConfig):
    if spec is None:
        return None
    from src.models.glove_embedding import GloveEmbedding

    return GloveEmbedding.from_spec(spec)


def load(path: str | Path, labels=None, config: ModelConfig | None = None, map_location: str = "cpu"):
    """Read a checkpoint -> (model in eval mode, tokenizer, doc); checks labels/config if given."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        raw = path.read_bytes()
        # weights_only: the unpickler builds tensors and plain containers only, so a crafted file cannot run code.
        doc = torch.load(io.BytesIO(raw), map_location=map_location, weights_only=True)
    except Exception as e:  # any failure of an untrusted file is the same user error: one line, no traceback
        raise CheckpointError(
            f"{path}: not a valid checkpoint: corrupt or truncated, or holding objects other than tensors and "
            f"plain values ({type(e).__name__}; nothing in it was run); re-save or retrain it"
        ) from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not a valid checkpoint: not a toxic-small encoder file (format {FORMAT} expected)"
        )
    if labels is not None and list(labels) != doc["labels"]:
        raise CheckpointError(f"{path}: trained for labels {doc['labels']}, expected {list(labels)}")
    cfg = ModelConfig(**doc["config"])
    if config is not None and config != cfg:
        raise CheckpointError(f"{path}: model config differs from the expected one: {cfg} != {config}")
    model = Encoder(cfg, embedding=_embedding(doc.get("embedding"), cfg))
    try:
        model.load_state_dict(doc["state_dict"])
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not match the stored config ({str(e).splitlines()[0]})") from e
    return model.eval(), _tokenizer(doc["tokenizer"]), doc
