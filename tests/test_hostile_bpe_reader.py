"""The strict youtokentome model reader (src/data/bpe_check.py): committed tokenizers pass; each malformed model is
refused with a message naming its problem, before youtokentome's C++ loader sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from src.data import bpe_check
from src.data.bpe_check import BPEModelError, check_model
from tests.hostile_files import alphabet, bpe_bytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.pt")), ids=lambda p: p.name)
def test_committed_tokenizers_pass_the_strict_reader(path: Path):
    tok = torch.load(path, weights_only=True)["tokenizer"]
    if tok["kind"] != "bpe":
        pytest.skip("word tokenizer")
    info = check_model(tok["model_bytes"])
    assert info.vocab_size == torch.load(path, weights_only=True)["config"]["vocab_size"] and info.longest_token < 100


def _good() -> tuple[list, list]:
    chars = alphabet()
    return chars, [(4, 5, 31), (31, 6, 32)]  # "▁a", then "▁ab"


BAD_MODELS = {
    "not ascii": ("é".encode(), "not ASCII"),
    "no final newline": (bpe_bytes(*_good())[:-1], "truncated"),
    "missing merges": (bpe_bytes(alphabet(), []).replace(b"27 0", b"27 5"), "lines where"),
    "header beyond size": (bpe_bytes(alphabet(), []).replace(b"27 0", b"27 900"), "more than"),
    "extra line": (bpe_bytes(*_good()) + b"1 2\n", "lines where"),
    "negative id": (bpe_bytes(*_good()).replace(b"31 6 32", b"31 6 -32"), "non-negative integers"),
    "double space": (bpe_bytes(*_good()).replace(b"31 6 32", b"31  6 32"), "single spaces"),
    "repeated char": (bpe_bytes([*alphabet()[:-1], (97, 30)], _good()[1]), "repeated"),
    "char id out of range": (bpe_bytes([*alphabet()[:-1], (122, 99)], _good()[1]), "out of range"),
    "surrogate": (bpe_bytes([*alphabet()[:-1], (0xD800, 30)], _good()[1]), "not a usable character"),
    "whitespace char": (bpe_bytes([*alphabet()[:-1], (32, 30)], _good()[1]), "not a usable character"),
    "merge of later id": (bpe_bytes(alphabet(), [(4, 32, 31), (4, 5, 32)]), "not defined before"),
    "merge id taken": (bpe_bytes(alphabet(), [(4, 5, 6)]), "already taken"),
    "special id merged": (bpe_bytes(alphabet(), [(4, 5, 2)]), "special"),
    "repeated merge": (bpe_bytes(alphabet(), [(4, 5, 31), (4, 5, 32)]), "repeated"),
    "other specials": (bpe_bytes(*_good(), specials=(0, 1, 2, 3)), "special ids"),
    "huge file": (b"1 0\n" + b"0" * (bpe_check.MAX_MODEL_BYTES + 1), "over the limit"),
}


@pytest.mark.parametrize("how", sorted(BAD_MODELS))
def test_strict_reader_names_the_problem(how: str):
    data, why = BAD_MODELS[how]
    with pytest.raises(BPEModelError, match="youtokentome") as e:
        check_model(data)
    assert why in str(e.value)


def test_strict_reader_accepts_a_well_formed_model():
    info = check_model(bpe_bytes(*_good()))
    assert (info.n_chars, info.n_merges, info.vocab_size, info.longest_token) == (27, 2, 33, 3)
