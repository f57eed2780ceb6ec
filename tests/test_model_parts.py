"""Attention, encoder shapes/masking, parameter counts, weighted BCE and the LR schedule."""

import math

import numpy as np
import pytest
import torch

from src.models.attention import attention
from src.models.encoder import Encoder, ModelConfig
from src.models.size import count_params
from src.training.losses import pos_weights, weighted_bce
from src.training.schedulers import linear_decay, linear_scheduler


def test_attention_hand_case_and_mask():
    q = torch.tensor([[[[1.0, 0.0]]]])  # (1, 1, 1, 2)
    k = torch.tensor([[[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]]])  # third key is padding
    v = torch.tensor([[[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]]])
    mask = torch.tensor([[True, True, False]])
    out, w = attention(q, k, v, mask)
    e = math.exp(1 / math.sqrt(2))
    w0, w1 = e / (e + 1), 1 / (e + 1)
    assert torch.allclose(w[0, 0, 0], torch.tensor([w0, w1, 0.0]), atol=1e-6)
    assert torch.allclose(out[0, 0, 0], torch.tensor([w0 * 1 + w1 * 3, w0 * 2 + w1 * 4]), atol=1e-5)


@pytest.mark.parametrize("score", ["dot", "general", "scaled_dot"])
def test_encoder_shapes_and_padding_invariance(score):
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50, n_labels=3, d_model=8, n_heads=2, d_ff=16, score=score, dropout=0.0)
    m = Encoder(cfg).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]])
    logits = m(ids)
    assert logits.shape == (2, 3)
    assert [w.shape for w in m.attention_maps()] == [(2, 2, 5, 5)]
    # extra padding must not change a comment's logits
    assert torch.allclose(m(ids[:1, :3]), logits[:1], atol=1e-5)


def test_param_counts_split():
    cfg = ModelConfig(vocab_size=100, n_labels=3, d_model=8, d_ff=16, score="dot")
    c = count_params(Encoder(cfg))
    assert c["embedding"] == 100 * 8
    # positions 200*8; block: 2 LayerNorms 2*16, FFN 8*16+16+16*8+8; head (2*8)*3+3
    assert c["other"] == 200 * 8 + 32 + (8 * 16 + 16 + 16 * 8 + 8) + 16 * 3 + 3
    assert c["total"] == c["trainable"] == c["embedding"] + c["other"]
    general = count_params(Encoder(ModelConfig(vocab_size=100, n_labels=3, d_model=8, d_ff=16, score="general")))
    assert general["other"] - c["other"] == 8 * 8  # the one bilinear matrix


def test_bad_config():
    with pytest.raises(ValueError, match="score"):
        ModelConfig(vocab_size=10, n_labels=1, score="cosine")
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(vocab_size=10, n_labels=1, d_model=10, n_heads=3)


def test_pos_weights_and_power():
    y = np.array([[1, 0], [0, 0], [0, 0], [0, 1]])
    assert torch.allclose(pos_weights(y), torch.tensor([3.0, 3.0]))
    assert torch.allclose(pos_weights(y, power=0.5), torch.tensor([math.sqrt(3), math.sqrt(3)]))
    assert torch.allclose(pos_weights(np.zeros((3, 1))), torch.tensor([1.0]))  # no positives: weight 1


def test_weighted_bce_hand_case_and_torch():
    z = torch.tensor([[0.0, 2.0]])
    y = torch.tensor([[1.0, 0.0]])
    w = torch.tensor([3.0, 5.0])
    # label 0: -3*log(0.5); label 1: -log(1 - sigmoid(2)) = log(1 + e^2)
    hand = (3 * math.log(2) + math.log(1 + math.e**2)) / 2
    assert weighted_bce(z, y, w).item() == pytest.approx(hand, rel=1e-6)
    zz, yy = torch.randn(7, 3), torch.randint(0, 2, (7, 3)).float()
    ref = torch.nn.BCEWithLogitsLoss(pos_weight=w[:1].repeat(3))(zz, yy)
    assert weighted_bce(zz, yy, w[:1].repeat(3)).item() == pytest.approx(ref.item(), rel=1e-6)


def test_linear_decay_exact_steps():
    assert linear_decay(0, 11, 1e-4, 1e-6) == pytest.approx(1e-4)
    assert linear_decay(5, 11, 1e-4, 1e-6) == pytest.approx((1e-4 + 1e-6) / 2)
    assert linear_decay(10, 11, 1e-4, 1e-6) == pytest.approx(1e-6)
    assert linear_decay(0, 12, 1e-3, 0.0, warmup=2) == pytest.approx(5e-4)
    assert linear_decay(2, 12, 1e-3, 0.0, warmup=2) == pytest.approx(1e-3)
    assert linear_decay(11, 12, 1e-3, 0.0, warmup=2) == pytest.approx(0.0)


def test_scheduler_drives_optimizer():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=123.0)
    sched = linear_scheduler(opt, total=5, lr_max=1e-2, lr_min=1e-3)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1e-2, 7.75e-3, 5.5e-3, 3.25e-3, 1e-3])


def test_masking_by_added_bias_equals_masked_fill() -> None:
    """attention() adds a 0 / -inf bias (one ONNX Add) instead of masked_fill (a slow Where): same weights."""
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 7, 4), torch.randn(3, 2, 7, 4), torch.randn(3, 2, 7, 4)
    mask = torch.rand(3, 7) > 0.4
    mask[:, 0] = True
    scores = (q @ k.transpose(-2, -1) / 2).masked_fill(~mask[:, None, None, :], float("-inf"))
    out, w = attention(q, k, v, mask)
    assert torch.equal(w, scores.softmax(-1)) and torch.equal(out, scores.softmax(-1) @ v)


def test_max_pool_ignores_padding() -> None:
    """Padding sits 1e4 below every real token: the max is over real tokens only, as with masked_fill."""
    model = Encoder(ModelConfig(vocab_size=20, n_labels=2, d_model=8, pooling="max")).eval()
    x = torch.randn(2, 5, 8) - 50  # all values far below 0: a pad at 0 would win a plain max
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    ref = x.masked_fill(~mask[..., None], float("-inf")).max(1).values
    assert torch.equal(model.pool(x, mask), ref)
