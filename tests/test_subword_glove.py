"""GloVe start vectors for a BPE table (src/models/subword_glove.py): which tokens get one, what they are, and the
GloVe + PPMI blocks the GloVe-started student begins from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from src.data.tokenizers import BPETokenizer
from src.models.subword_glove import glove_ppmi_vectors, subword_glove

TEXTS = [
    "the quiet river runs past the old mill",
    "a quiet town with an old bridge and a river",
    "people walk by the river every morning",
    "the mill makes bread for the town",
    "zzqx blorf appears nowhere in the vectors",
] * 4


def _glove_file(tmp_path: Path, words: list[str], seed: int = 0) -> Path:
    """A 50-d GloVe-format text file holding random vectors for `words` only."""
    rng = np.random.default_rng(seed)
    lines = [w + " " + " ".join(f"{x:.5f}" for x in rng.standard_normal(50)) for w in words]
    path = tmp_path / "glove.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def tok() -> BPETokenizer:
    return BPETokenizer.train(TEXTS, 60, seed=0)


def test_tokens_of_known_words_get_vectors_and_others_do_not(tok: BPETokenizer, tmp_path: Path) -> None:
    known = sorted({w for t in TEXTS for w in t.split()} - {"zzqx", "blorf"})
    vec, covered = subword_glove(tok, TEXTS, 4, _glove_file(tmp_path, known))
    assert vec.shape == (tok.vocab_size, 4) and vec.dtype == np.float32
    assert not covered[0] and not vec[0].any()  # PAD
    assert not vec[~covered].any() and covered.sum() > 4
    only_unknown = set(tok.encode(["zzqx blorf"])[0]) - {i for s in tok.encode(known) for i in s}
    assert only_unknown and not covered[list(only_unknown)].any()
    # Centred, then projected on the principal axes: the columns sum to zero over covered rows, variance descending.
    assert np.allclose(vec[covered].sum(0), 0, atol=1e-3)
    var = vec[covered].var(0)
    assert np.all(np.diff(var) <= 1e-6)


def test_a_token_of_one_word_gets_that_words_direction(tok: BPETokenizer, tmp_path: Path) -> None:
    """With every word a single token, the table is the words' own vectors, centred and rotated: pairwise
    distances in the full 50-d projection equal those of the GloVe vectors."""
    words = [w for w in sorted({w for t in TEXTS for w in t.split()}) if len(tok.encode([w])[0]) == 1]
    assert len(words) >= 5
    path = _glove_file(tmp_path, words)
    vec, covered = subword_glove(tok, [" ".join(words)], min(50, len(words) - 1), path)
    ids = [tok.encode([w])[0][0] for w in words]
    g = np.array([[float(x) for x in line.split()[1:]] for line in path.read_text().splitlines()])
    d_g = np.linalg.norm(g[0] - g[1])
    d_v = np.linalg.norm(vec[ids[0]] - vec[ids[1]])
    assert covered[ids].all() and d_v == pytest.approx(d_g, rel=1e-3)


def test_row_order_does_not_matter(tok: BPETokenizer, tmp_path: Path) -> None:
    path = _glove_file(tmp_path, sorted({w for t in TEXTS for w in t.split()}))
    a, _ = subword_glove(tok, TEXTS, 3, path)
    b, _ = subword_glove(tok, TEXTS[::-1], 3, path)
    assert np.array_equal(a, b)


def test_glove_and_ppmi_blocks(tok: BPETokenizer, tmp_path: Path) -> None:
    path = _glove_file(tmp_path, sorted({w for t in TEXTS for w in t.split()}))
    ids = tok.encode(TEXTS)
    out = glove_ppmi_vectors(tok, TEXTS, ids, 6, 4, source=path)
    assert out.shape == (tok.vocab_size, 6) and not out[0].any()
    g, covered = subword_glove(tok, TEXTS, 4, path)
    assert np.allclose(out[:, :4], g / g[covered].std(), atol=1e-6)
    assert out[1:, 4:].std() == pytest.approx(1.0, rel=1e-3)
    with pytest.raises(ValueError, match="glove_dim"):
        glove_ppmi_vectors(tok, TEXTS, ids, 6, 7, source=path)


def test_too_few_known_tokens_is_a_clear_error(tok: BPETokenizer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too few"):
        subword_glove(tok, TEXTS, 40, _glove_file(tmp_path, ["river"]))
