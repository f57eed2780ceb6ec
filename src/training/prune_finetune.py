"""Fine-tune a pruned Encoder with its masks in place (pruned weights stay zero: weight = weight_orig * mask)."""

from __future__ import annotations

from torch import nn

from src.training.loop import TrainConfig, fit


def finetune_pruned(model: nn.Module, data, lr: float = 3e-4, seed: int = 0, epochs: int = 1):
    """Short fine-tune with the masks in place (pruned weights stay zero: weight = weight_orig * mask)."""
    cfg = TrainConfig(epochs=epochs, lr_max=lr, lr_min=lr / 10, warmup=0.0, patience=epochs, seed=seed)
    return fit(model, data.train, data.y_train, data.val, data.y_val, cfg, desc="fine-tune pruned")
