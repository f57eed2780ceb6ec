"""A tiny transformer encoder for multilabel classification (the report's "BaseAttention")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

import torch
from torch import nn

from src.models.attention import attention

SCORES = ("dot", "general", "scaled_dot")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the encoder; saved inside every checkpoint."""

    vocab_size: int  # rows of the embedding table (PAD = 0)
    n_labels: int  # one logit per label, LABELS order
    d_model: int = 16  # width of the residual stream (the report: < 20)
    n_layers: int = 1  # encoder layers
    n_heads: int = 1  # heads; d_model must divide by it
    d_ff: int = 32  # hidden width of each feed-forward block
    score: str = "dot"  # dot: q=k=v=h (no matrices, the report's); general: q=hW; scaled_dot: Q/K/V/O projections
    max_len: int = 200  # longest sequence (positions table size)
    dropout: float = 0.1  # on embeddings, attention output and FFN
    pooling: str = "meanmax"  # mean | max | meanmax (concat): how tokens become one vector
    emb_dim: int | None = None  # input embedding width when it differs from d_model (GloVe: 50), projected

    def __post_init__(self):
        if self.score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {self.score!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.pooling not in ("mean", "max", "meanmax"):
            raise ValueError(f"pooling must be mean, max or meanmax, got {self.pooling!r}")

    def to_dict(self) -> dict:
        """Plain dict for checkpoints."""
        return asdict(self)


class SelfAttention(nn.Module):
    """Multi-head self-attention with a choice of score function; keeps its last weights for plots."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h, self.score, d = cfg.n_heads, cfg.score, cfg.d_model
        if cfg.score == "general":
            self.w = nn.Linear(d, d, bias=False)  # the one bilinear matrix of Luong's "general" score
        elif cfg.score == "scaled_dot":
            self.qkv = nn.Linear(d, 3 * d)
            self.out = nn.Linear(d, d)
        self.weights: torch.Tensor | None = None  # (B, H, T, T) of the last forward pass

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        return x.view(b, t, self.h, c // self.h).transpose(1, 2)  # (B, H, T, Dh)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C), mask: (B, T) -> (B, T, C)."""
        if self.score == "scaled_dot":
            q, k, v = self.qkv(x).chunk(3, dim=-1)  # 3 x (B, T, C)
        elif self.score == "general":
            q, k, v = self.w(x), x, x
        else:
            q = k = v = x
        y, self.weights = attention(self._heads(q), self._heads(k), self._heads(v), mask)  # (B, H, T, Dh)
        y = y.transpose(1, 2).reshape(x.shape)  # (B, T, C)
        return self.out(y) if self.score == "scaled_dot" else y


class Block(nn.Module):
    """Post-norm encoder layer: x + attention, then x + feed-forward."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn = SelfAttention(cfg)
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, C)."""
        x = self.ln1(x + self.drop(self.attn(x, mask)))
        return self.ln2(x + self.drop(self.ff(x)))


class Encoder(nn.Module):
    """Embedding + positions -> N blocks -> masked pooling -> one logit per label."""

    def __init__(self, cfg: ModelConfig, embedding: nn.Module | None = None):
        super().__init__()
        self.cfg = cfg
        emb_dim = cfg.emb_dim or cfg.d_model
        # A caller-built embedding (e.g. frozen GloVe rows) replaces the trainable table.
        self.embed = embedding if embedding is not None else nn.Embedding(cfg.vocab_size, emb_dim, padding_idx=0)
        self.proj = nn.Linear(emb_dim, cfg.d_model) if emb_dim != cfg.d_model else nn.Identity()
        self.pos = nn.Embedding(cfg.max_len, cfg.d_model)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        pooled = 2 * cfg.d_model if cfg.pooling == "meanmax" else cfg.d_model
        self.head = nn.Linear(pooled, cfg.n_labels)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids: (B, T) token ids (0 = PAD) -> logits (B, L)."""
        if mask is None:
            mask = ids != 0
        t = ids.size(1)
        x = self.proj(self.embed(ids)) + self.pos.weight[:t]  # (B, T, C)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, mask)  # (B, T, C)
        return self.head(self.pool(x, mask))  # (B, L)

    def pool(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Masked mean and/or max over tokens: (B, T, C) -> (B, C) or (B, 2C)."""
        m = mask.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
        mean = (x * m).sum(1) / m.sum(1).clamp(min=1)  # (B, C)
        if self.cfg.pooling == "mean":
            return mean
        # Padding sits 1e4 below every real token (LayerNorm keeps those small), so it never wins the max; an added
        # bias exports to a broadcast Add, where masked_fill becomes ONNX's slow Where.
        mx = (x + (m - 1) * 1e4).max(1).values  # (B, C)
        return mx if self.cfg.pooling == "max" else torch.cat([mean, mx], dim=-1)  # (B, 2C)

    def attention_maps(self) -> list[torch.Tensor | None]:
        """Per layer (B, H, T, T) weights of the last forward pass (for heatmaps); None before the first one."""
        return [cast(Block, b).attn.weights for b in self.blocks]


def init_embedding(model: Encoder, vectors: torch.Tensor | None, std: float = 0.1) -> None:
    """Start the embedding table from given vectors (rescaled to `std`), or random N(0, std)."""
    w = cast(torch.Tensor, model.embed.weight)  # the plain nn.Embedding table (callers pass no GloVe layer)
    with torch.no_grad():
        if vectors is None:
            nn.init.normal_(w, std=std)
        else:
            v = torch.as_tensor(vectors, dtype=w.dtype)
            w.copy_(v * (std / v[1:].std().clamp(min=1e-8)))
        w[0].zero_()  # PAD


def param_budget_note(counts: dict[str, int]) -> str:
    """One line like '143,204 params (128,000 embedding + 15,204 other)'."""
    return f"{counts['total']:,} params ({counts['embedding']:,} embedding + {counts['other']:,} other)"
