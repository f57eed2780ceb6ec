"""Compression and distillation pieces: int8 closeness, exact pruning sparsity, the distillation loss by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from src.evaluation import compress
from src.evaluation.metrics import seed_summary
from src.models import compression
from src.models.encoder import Encoder, ModelConfig
from src.models.size import state_bytes
from src.training.distill import distill_loss, make_loss, soften
from src.training.losses import weighted_bce


def _model(vocab: int = 200, d: int = 16, seed: int = 0) -> Encoder:
    torch.manual_seed(seed)
    return Encoder(ModelConfig(vocab_size=vocab, n_labels=3, d_model=d, d_ff=2 * d, dropout=0.0)).eval()


def _ids(n: int = 32, vocab: int = 200) -> list[list[int]]:
    rng = np.random.default_rng(0)
    return [list(rng.integers(1, vocab, size=int(rng.integers(3, 40)))) for _ in range(n)]


def test_int8_close_to_fp32():
    m, ids = _model(), _ids()
    p32 = compress.predict(m, ids)
    for emb in (False, True):
        q = compression.quantize_int8(m, embedding=emb)
        assert np.abs(compress.predict(q, ids) - p32).max() < 0.02
    assert state_bytes(compression.quantize_int8(m, embedding=True)) < state_bytes(m)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
def test_cast_close_to_fp32(dtype):
    m, ids = _model(), _ids()
    assert np.abs(compress.predict(compression.cast(m, dtype), ids) - compress.predict(m, ids)).max() < 0.02


@pytest.mark.parametrize("embedding", [True, False])
@pytest.mark.parametrize("amount", [0.5, 0.8, 0.9])
def test_pruning_exact_sparsity_and_remove(amount, embedding):
    m = _model()
    params = compression.prune_global(m, amount, embedding=embedding)
    n = sum(mod.weight.numel() for mod, _ in params)
    masked = sum(int((mod.weight_mask == 0).sum()) for mod, _ in params)
    assert masked == round(amount * n)  # exactly the requested share of the pruned weights
    compression.remove_pruning(params)
    for mod, name in params:
        assert isinstance(getattr(mod, name), torch.nn.Parameter)
        assert not hasattr(mod, f"{name}_mask") and not hasattr(mod, f"{name}_orig")
        assert not mod._forward_pre_hooks
    assert compression.sparsity(params) >= amount
    assert all(k.endswith(("weight", "bias")) for k in m.state_dict())


def test_sizes_positive_and_sparse_smaller_at_90():
    m = _model(vocab=2000)
    dense = state_bytes(m)
    assert dense > 0 and compression.gzip_bytes(m) > 0
    compression.remove_pruning(compression.prune_global(m, 0.9))
    sparse = compression.sparse_bytes(m)
    assert 0 < sparse < dense
    assert compression.gzip_bytes(m) < dense


def test_fp16_embedding_roundtrip_halves_the_table():
    m = _model(vocab=2000)
    served, stored = compression.fp16_embedding_roundtrip(m)
    assert stored < 0.7 * state_bytes(m)
    assert served.embed.weight.dtype == torch.float32


def test_distill_loss_hand_cases():
    torch.manual_seed(0)
    z, y = torch.randn(5, 3), (torch.rand(5, 3) > 0.5).float()
    soft, pw = torch.rand(5, 3), torch.tensor([1.0, 3.0, 0.5])
    assert torch.allclose(distill_loss(z, y, soft, pw, alpha=0.0), weighted_bce(z, y, pw))
    assert torch.allclose(distill_loss(z, y, soft, pw, alpha=1.0), F.binary_cross_entropy_with_logits(z, soft))
    # by hand: -[s log σ(z) + (1 - s) log(1 - σ(z))], averaged
    sig = torch.sigmoid(z)
    by_hand = -(soft * sig.log() + (1 - soft) * (1 - sig).log()).mean()
    assert torch.allclose(distill_loss(z, y, soft, None, alpha=1.0), by_hand, atol=1e-6)
    mix = distill_loss(z, y, soft, pw, alpha=0.3)
    assert torch.allclose(mix, 0.7 * weighted_bce(z, y, pw) + 0.3 * F.binary_cross_entropy_with_logits(z, soft))


def test_soften_and_make_loss():
    p = np.array([[0.9, 0.1, 0.5]], dtype=np.float32)
    assert torch.allclose(soften(p, 1.0), torch.as_tensor(p))
    t2 = soften(p, 2.0)
    assert 0.5 < t2[0, 0] < 0.9 and 0.1 < t2[0, 1] < 0.5 and abs(float(t2[0, 2]) - 0.5) < 1e-6
    y = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    loss = make_loss(y, np.full_like(y, 0.5), alpha=0.5)
    assert torch.isfinite(loss(torch.zeros(2, 3), torch.tensor([0, 1])))
    with pytest.raises(ValueError):
        make_loss(y, None, alpha=0.5)


def test_seed_summary_uses_the_sample_std() -> None:
    """Same convention as BestResult's seed records: ddof=1, and 0 for a single seed."""
    s = seed_summary({0: 0.8, 1: 0.9, 2: 1.0})
    assert s["seeds"] == [0, 1, 2] and s["mean"] == pytest.approx(0.9) and s["std"] == pytest.approx(0.1)
    assert seed_summary({3: 0.5})["std"] == 0.0
