"""The GloVe embedding layer: frozen, fine-tuned or frozen with trainable OOV rows, plus frozen corpus columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from src.data.glove import MODES, PAD_ID, UNK_ID


class GloveEmbedding(nn.Module):
    """Word embedding from a (V, C) GloVe matrix: 'frozen', 'finetune' or 'frozen+oov', optionally followed by
    K frozen columns of corpus statistics of the training text (e.g. PPMI+SVD word vectors): (V, C + K)."""

    # Buffers (registered in __init__; which ones exist depends on the mode), declared for the type checker.
    corpus: torch.Tensor | None
    weight: torch.Tensor
    frozen_weight: torch.Tensor
    trainable_ids: torch.Tensor

    def __init__(
        self,
        matrix: np.ndarray | torch.Tensor,
        mode: str = "frozen",
        trainable_ids: Sequence[int] | None = None,
        corpus: np.ndarray | torch.Tensor | None = None,
    ):
        """`trainable_ids` (default: UNK only) are the rows that 'frozen+oov' trains; PAD row 0 stays zero."""
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}.")
        weight = torch.as_tensor(np.asarray(matrix), dtype=torch.float32).clone()
        weight[PAD_ID] = 0.0
        self.mode = mode
        self.vocab_size, self.glove_dim = weight.shape
        ids = list(trainable_ids) if trainable_ids is not None else [UNK_ID]
        if mode == "frozen+oov" and (PAD_ID in ids or len(set(ids)) != len(ids)):
            raise ValueError("trainable_ids must be unique and must not contain PAD (0).")
        extra = None
        if corpus is not None:
            extra = torch.as_tensor(np.asarray(corpus), dtype=torch.float32).clone()
            if extra.ndim != 2 or extra.shape[0] != self.vocab_size:
                raise ValueError(f"corpus vectors must be ({self.vocab_size}, K), got {tuple(extra.shape)}.")
            extra[PAD_ID] = 0.0
        self.register_buffer("corpus", extra)  # frozen (or None): counted in total params, never trained
        self.dim = self.glove_dim + (0 if extra is None else extra.shape[1])
        self.spec = {"mode": mode, "vocab_size": self.vocab_size, "dim": self.glove_dim, "trainable_ids": ids}
        if extra is not None:
            self.spec["corpus_dim"] = extra.shape[1]
        if mode == "finetune":
            self.emb = nn.Embedding.from_pretrained(weight, freeze=False, padding_idx=PAD_ID)
            return
        # Buffers, not frozen Parameters: saved in the state_dict, invisible to optimisers and param counts.
        if mode == "frozen":
            self.register_buffer("weight", weight)
            return
        # The trainable rows are not also kept in the buffer, so params + buffers = V * C (+ the ids). Kept rows by
        # index, not by a bool mask: checkpoint.load builds this on the meta device, where a mask's count is unknown.
        skip = set(ids)
        kept = torch.tensor([i for i in range(self.vocab_size) if i not in skip], dtype=torch.long)
        self.register_buffer("frozen_weight", weight[kept])
        self.register_buffer("trainable_ids", torch.tensor(ids, dtype=torch.long))
        self.trainable = nn.Parameter(weight[ids].clone())

    @classmethod
    def from_spec(cls, spec: dict) -> GloveEmbedding:
        """An empty layer of the shape `spec` describes, to load a checkpoint's state_dict into."""
        placeholder = np.zeros((spec["vocab_size"], spec["dim"]), dtype=np.float32)
        k = spec.get("corpus_dim")
        corpus = None if k is None else np.zeros((spec["vocab_size"], k), dtype=np.float32)
        return cls(placeholder, spec["mode"], spec.get("trainable_ids"), corpus=corpus)

    def weight_matrix(self) -> torch.Tensor:
        """The effective (V, C) GloVe matrix, trainable rows included (differentiable in 'frozen+oov')."""
        if self.mode == "finetune":
            return self.emb.weight
        if self.mode == "frozen":
            return self.weight
        # Rebuilt each call (one V x C copy, ~5 MB for GHC): cheap next to the encoder, and autograd-friendly.
        keep = torch.ones(self.vocab_size, dtype=torch.bool, device=self.frozen_weight.device)
        keep[self.trainable_ids] = False
        w = self.frozen_weight.new_zeros(self.vocab_size, self.glove_dim)
        w[keep] = self.frozen_weight
        return w.index_put((self.trainable_ids,), self.trainable)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, T, C) vectors, or (B, T, C + K) with corpus columns."""
        x = self.emb(ids) if self.mode == "finetune" else F.embedding(ids, self.weight_matrix())  # (B, T, C)
        if self.corpus is None:
            return x
        return torch.cat([x, F.embedding(ids, self.corpus)], dim=-1)  # (B, T, C + K)
