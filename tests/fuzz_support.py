"""Hypothesis profiles and strategies for the fuzz suite (tests/test_fuzz_*.py).

`make test` runs the `ci` profile: derandomized (the same examples every run) and a fixed example budget per test.
`make fuzz` sets TOXIC_FUZZ=deep: random examples, FACTOR times as many. Most examples call the validation gates
in-process; models the gates accept go to a child process wherever a native library (youtokentome, onnxruntime)
reads them, so a gap in a gate shows up as a child killed by a signal, not as a crashed test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.hostile_files import SPACE, bpe_bytes, crafted_bpe

PROFILE = os.environ.get("TOXIC_FUZZ", "ci")
FACTOR = 20 if PROFILE == "deep" else 1
_COMMON = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("deep", derandomize=False, print_blob=True, **_COMMON)
settings.load_profile(PROFILE)


def examples(n: int) -> settings:
    """Settings with this test's example budget (times FACTOR under `make fuzz`)."""
    return settings(max_examples=n * FACTOR)


_NOT_CHAR = {9, 10, 11, 12, 13, 32, SPACE}
codepoints = st.integers(1, 0x2FFFF).filter(lambda c: c not in _NOT_CHAR and not 0xD800 <= c <= 0xDFFF)


@st.composite
def bpe_parts(draw) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """A well-formed model: the space token and some characters, merges of earlier tokens, ids in any order."""
    cps = draw(st.permutations([SPACE, *draw(st.lists(codepoints, unique=True, max_size=12))]))
    pairs: list[tuple[int, int]] = []  # token k < len(cps) is a character, token len(cps) + j is merge j
    for _ in range(draw(st.integers(0, 25))):
        n = len(cps) + len(pairs)
        pair = (draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)))
        if pair not in pairs:
            pairs.append(pair)
    ids = draw(st.permutations(range(4, 4 + len(cps) + len(pairs))))
    chars = [(cp, ids[k]) for k, cp in enumerate(cps)]
    merges = [(ids[x], ids[y], ids[len(cps) + j]) for j, (x, y) in enumerate(pairs)]
    return chars, merges


@st.composite
def mutated_lines(draw, data: bytes) -> bytes:
    """`data` with one line-level change: a number replaced, a line dropped, doubled or swapped, or cut short."""
    lines = data.decode("latin-1").split("\n")
    k = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["number", "drop", "double", "swap", "cut", "junk"]))
    if how == "number":
        parts = lines[k].split(" ")
        j = draw(st.integers(0, len(parts) - 1))
        parts[j] = str(draw(st.one_of(st.integers(-5, 70), st.integers(-(2**40), 2**40))))
        lines[k] = " ".join(parts)
    elif how in ("drop", "double"):
        lines[k : k + 1] = [] if how == "drop" else [lines[k], lines[k]]
    elif how == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[k], lines[j] = lines[j], lines[k]
    elif how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    else:
        lines[k] = draw(st.text(max_size=12)).encode("utf-8", "surrogatepass").decode("latin-1")
    return "\n".join(lines).encode("latin-1")


@st.composite
def bpe_models(draw) -> bytes:
    """Well-formed models, the same with one mutation, the table's crafted ones, or random bytes."""
    kind = draw(st.sampled_from(["valid", "mutated", "mutated", "crafted", "random"]))
    if kind == "crafted":
        return crafted_bpe(draw(st.sampled_from(["no space", "merge to 0", "doubling", "huge header"])))
    if kind == "random":
        return draw(st.binary(max_size=200))
    data = bpe_bytes(*draw(bpe_parts()))
    return data if kind == "valid" else draw(mutated_lines(data))


_YTTM_CHILD = """
import sys
import youtokentome as yttm
bpe = yttm.BPE(sys.argv[1], n_threads=1)
texts = sys.stdin.read().split("\\n")
vocab = bpe.vocab()
assert len(vocab) == bpe.vocab_size()
for out in (yttm.OutputType.ID, yttm.OutputType.SUBWORD):
    bpe.encode(texts, output_type=out)
    bpe.encode(texts, output_type=out, dropout_prob=0.5)
bpe.decode(bpe.encode(texts, output_type=yttm.OutputType.ID))
"""


def yttm_child(data: bytes, texts: list[str]) -> subprocess.CompletedProcess:
    """Load a model youtokentome should accept and use it, in a child that imports only youtokentome."""
    with tempfile.NamedTemporaryFile(suffix=".yttm") as f:
        f.write(data)
        f.flush()
        return subprocess.run(
            [sys.executable, "-c", _YTTM_CHILD, f.name],
            input="\n".join(texts).encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=60,
            check=False,
        )


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
