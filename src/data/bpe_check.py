"""Strict reader of youtokentome's BPE model file: everything its C++ loader trusts is checked here first.

Layout (youtokentome's `BPEState::dump`): a line "n_chars n_merges"; n_chars lines "codepoint id"; n_merges lines
"left right id" (a new token made of two earlier ones); one line "unk pad bos eos". A model that passes
`check_model` cannot make youtokentome abort, read out of bounds or allocate without bound: counts match the
header and the size, ids are unique and cover 0..vocab-1, merges only use ids defined before them and never make a
special id, the space token (U+2581, the start of every word) is there, and no token expands to more than
`MAX_TOKEN_CHARS` characters (merges that double a token ~40 times would otherwise ask for terabytes).
"""

from __future__ import annotations

from dataclasses import dataclass

SPACE_TOKEN = 0x2581  # youtokentome marks the start of each word with this character
SPECIALS = (1, 0, 2, 3)  # the file's "unk pad bos eos" line as BPETokenizer.train writes it (PAD 0, UNK 1, ...)
MAX_IDS = 1_000_000  # vocabulary size: far above any model here, far below what a crafted header can ask
MAX_MODEL_BYTES = 32 << 20  # a 1M-token model file is ~20 MB
MAX_TOKEN_CHARS = 1_000  # characters one token may expand to (committed models: at most 21)
MAX_RECIPE_CHARS = 1 << 24  # characters of all tokens together (youtokentome keeps each token's expansion)
_C_SPACES = {9, 10, 11, 12, 13, 32}  # C isspace(): youtokentome splits words there, so no token holds one


class BPEModelError(ValueError):
    """A byte string that is not a youtokentome BPE model this project can load safely."""


@dataclass(frozen=True)
class BPEModelInfo:
    """What a checked model holds."""

    n_chars: int
    n_merges: int
    vocab_size: int  # ids 0..vocab_size-1: the 4 specials, the characters, then one per merge
    longest_token: int  # characters of the longest token


def _fail(why: str) -> BPEModelError:
    return BPEModelError(f"not a valid youtokentome BPE model: {why}; retrain the tokenizer")


def _ints(line: str, width: int, lineno: int) -> list[int]:
    """The `width` non-negative decimal integers of one line, written exactly as youtokentome writes them."""
    parts = line.split(" ")
    if len(parts) != width or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        raise _fail(f"line {lineno} is not {width} non-negative integers separated by single spaces")
    return [int(p) for p in parts]


def _header(data: bytes) -> tuple[list[str], int, int]:
    """The model's lines and its two counts, checked against the bounds and the file size before anything else."""
    if not isinstance(data, bytes | bytearray):
        raise _fail(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_MODEL_BYTES:
        raise _fail(f"{len(data):,} bytes, over the limit of {MAX_MODEL_BYTES:,}")
    try:
        text = bytes(data).decode("ascii")
    except UnicodeDecodeError:
        raise _fail("not ASCII text") from None
    first, _, _ = text.partition("\n")
    n_chars, n_merges = _ints(first, 2, 1)
    if n_chars + n_merges + len(SPECIALS) > MAX_IDS:
        raise _fail(f"header declares {n_chars:,} characters and {n_merges:,} merges (limit {MAX_IDS:,} ids)")
    # Shortest possible lines: "c i\n" (4 bytes) and "x y z\n" (6): a header larger than the file is a lie.
    if 4 * n_chars + 6 * n_merges > len(data):
        raise _fail(
            f"header declares {n_chars:,} characters and {n_merges:,} merges, more than {len(data):,} bytes hold"
        )
    if not text.endswith("\n"):
        raise _fail("truncated (no final newline)")
    lines = text[:-1].split("\n")
    if len(lines) != n_chars + n_merges + 2:
        raise _fail(f"{len(lines)} lines where the header implies {n_chars + n_merges + 2}")
    return lines, n_chars, n_merges


def _chars(lines: list[str], n_chars: int, vocab: int) -> dict[int, int]:
    """id -> codepoint of the character lines; unique valid codepoints and ids, the space token among them."""
    id2char: dict[int, int] = {}
    seen: set[int] = set()
    for k in range(1, n_chars + 1):
        cp, i = _ints(lines[k], 2, k + 1)
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF or cp in _C_SPACES:
            raise _fail(f"line {k + 1}: codepoint {cp} is not a usable character")
        if cp in seen or i in id2char or not len(SPECIALS) <= i < vocab:
            raise _fail(f"line {k + 1}: character {cp} or id {i} repeated or out of range")
        seen.add(cp)
        id2char[i] = cp
    if SPACE_TOKEN not in seen:
        raise _fail("no space token (U+2581), which youtokentome needs for every word")
    return id2char


def _merges(lines: list[str], n_chars: int, n_merges: int, id2char: dict[int, int], vocab: int) -> int:
    """Checks every merge; returns the longest token's length in characters."""
    length = dict.fromkeys(id2char, 1)
    pairs: set[tuple[int, int]] = set()
    total = n_chars
    for k in range(n_chars + 1, n_chars + n_merges + 1):
        x, y, z = _ints(lines[k], 3, k + 1)
        if x not in length or y not in length:
            raise _fail(f"line {k + 1}: merge of {x} and {y} uses an id not defined before it")
        if z in length or not len(SPECIALS) <= z < vocab:
            raise _fail(f"line {k + 1}: merge makes id {z}, already taken, special or out of range")
        if (x, y) in pairs:
            raise _fail(f"line {k + 1}: merge of {x} and {y} repeated")
        pairs.add((x, y))
        length[z] = length[x] + length[y]
        total += length[z]
        if length[z] > MAX_TOKEN_CHARS or total > MAX_RECIPE_CHARS:
            raise _fail(f"line {k + 1}: tokens expand to more than {MAX_TOKEN_CHARS:,} characters")
    return max(length.values())


def check_model(data: bytes) -> BPEModelInfo:
    """Parse and check a youtokentome model file's bytes; raises BPEModelError naming the first problem."""
    lines, n_chars, n_merges = _header(data)
    vocab = n_chars + n_merges + len(SPECIALS)
    id2char = _chars(lines, n_chars, vocab)
    longest = _merges(lines, n_chars, n_merges, id2char, vocab)
    if tuple(_ints(lines[-1], 4, len(lines))) != SPECIALS:
        raise _fail(f"special ids (unk pad bos eos) must be {' '.join(map(str, SPECIALS))}")
    return BPEModelInfo(n_chars, n_merges, vocab, longest)
