"""Input caps of serving: bytes per input line (the CLI refuses longer lines) and characters per word (cut).

youtokentome holds ~32 bytes per character of the word it is merging, and the whole line as 4-byte codepoints, so
one 64 MB word once took 2.4 GB. With a line cap L and a word cap W, a chunk of input costs at most its 32 MB of
text plus a few copies of one line, and the tokenizer ~32 W bytes per word: bounded whatever the input holds.
Words are cut, not refused: the model reads at most `max_len` tokens, and a 1,000-character run without a space
is noise (a URL, a key mash) whose tail never changes a score much.
"""

from __future__ import annotations

import functools
import re

MAX_LINE_BYTES = 1 << 20  # predict CLI: longer input lines (or JSONL records) stop the run; --max-line-bytes
MAX_WORD_CHARS = 1_000  # every backend: longer runs of non-space characters are cut to this; --max-word-chars
_UNITS = {"": 1, "k": 1000, "kb": 1000, "kib": 1 << 10, "m": 10**6, "mb": 10**6, "mib": 1 << 20}
_UNITS |= {"g": 10**9, "gb": 10**9, "gib": 1 << 30}


@functools.lru_cache(maxsize=8)
def _long_word(limit: int) -> re.Pattern:
    # Anchored at word starts (no non-space before): each position is tried once, so the cut is linear in the text.
    return re.compile(rf"(?<!\S)(\S{{{limit}}})\S+")


def cap_words(text: str, limit: int = MAX_WORD_CHARS) -> str:
    """`text` with every run of more than `limit` non-space characters cut to its first `limit`."""
    if len(text) <= limit:
        return text
    return _long_word(limit).sub(r"\1", text)


def parse_size(value: str) -> int:
    """'1048576', '64M', '64MiB', '1g' -> bytes (decimal k/M/G, binary KiB/MiB/GiB); ValueError if not positive."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", value)
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS or int(m.group(1)) * _UNITS[unit] < 1:
        raise ValueError(f"{value!r} is not a positive size like 1048576, 64M or 64MiB")
    return int(m.group(1)) * _UNITS[unit]


def size_arg(value: str) -> int:
    """argparse `type=` for sizes: parse_size with argparse's error."""
    import argparse

    try:
        return parse_size(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
