"""Crafted model files and inputs for the hostile-input tests and the fuzz suite, and a CLI runner that checks the
one-line `error:` contract (exit 2, one stderr line, no traceback, never killed by a signal)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import torch

from src.data.tokenizers import BPETokenizer
from src.models.encoder import Encoder, ModelConfig
from src.serving import bundle, checkpoint

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["hd", "cv", "vo"]
THRESHOLDS = {"hd": 0.3, "cv": 0.5, "vo": 0.7}
SPACE = 0x2581
MEMORY_CAP = 8 << 30  # address space of every child: a regression fails fast instead of stalling the machine
TEXTS = [f"{a} {b} weather park idiot" for a in ("nice", "stupid", "calm", "burn") for b in ("day", "crap", "hate")]


def bpe_bytes(
    chars: list[tuple[int, int]], merges: list[tuple[int, int, int]], specials=(1, 0, 2, 3), header=None
) -> bytes:
    """A youtokentome model file: "n m", "codepoint id" lines, "x y z" merge lines, "unk pad bos eos"."""
    head = header or f"{len(chars)} {len(merges)}"
    lines = [
        head,
        *(f"{c} {i}" for c, i in chars),
        *(f"{x} {y} {z}" for x, y, z in merges),
        " ".join(map(str, specials)),
    ]
    return ("\n".join(lines) + "\n").encode()


def alphabet(space: bool = True) -> list[tuple[int, int]]:
    """(codepoint, id) of the space token (if `space`) and a-z, ids from 4 on."""
    cps = ([SPACE] if space else []) + list(range(ord("a"), ord("z") + 1))
    return [(cp, 4 + k) for k, cp in enumerate(cps)]


def crafted_bpe(how: str) -> bytes:
    """The table's hostile BPE models: 'no space', 'merge to 0', 'doubling', 'huge header'."""
    chars = alphabet(space=how != "no space")
    a, nxt = chars[1][1] if how != "no space" else chars[0][1], 4 + len(chars)
    if how == "no space":
        return bpe_bytes(chars, [(a, a + 1, nxt)])
    if how == "merge to 0":
        return bpe_bytes(chars, [(4, a, 0)])  # "▁a" -> id 0 (PAD): youtokentome's marker of a dead token
    if how == "doubling":  # a, aa, aaaa, ...: 40 merges, a token of 2^40 characters
        merges, left = [], a
        for k in range(40):
            merges.append((left, left, nxt + k))
            left = nxt + k
        return bpe_bytes(chars, merges)
    assert how == "huge header"
    return bpe_bytes(chars, [], header="3000000000 1")


def tiny_checkpoint(path: Path, vocab: int = 40, max_len: int = 16) -> Path:
    """An untrained tiny BPE encoder checkpoint (weights random, seeded) with GHC's derived labels."""
    tok = BPETokenizer.train(TEXTS * 3, vocab_size=vocab, max_len=max_len)
    torch.manual_seed(0)
    model = Encoder(ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=8, d_ff=16, max_len=max_len)).eval()
    derived = {"hate": ["hd", "cv"], "any": ["hd", "cv", "vo"]}
    checkpoint.save(path, model, tok, LABELS, THRESHOLDS, derived=derived, derived_thresholds={"hate": 0.4})
    return path


def doc_of(path: Path) -> dict:
    """A checkpoint's plain dict, to be altered and saved again with `torch.save`."""
    return torch.load(path, weights_only=True)


def write_doc(doc: dict, path: Path) -> Path:
    torch.save(doc, path)
    return path


def rewrite_bundle_file(folder: Path, name: str, data: bytes) -> None:
    """Replace one listed file of a bundle and its sha256 in the manifest: a consistent, crafted bundle."""
    (folder / name).write_bytes(data)
    man = folder / bundle.MANIFEST
    doc = json.loads(man.read_text())
    doc["files"][name] = bundle.sha256(data)
    man.write_text(json.dumps(doc))


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_module(module: str, *args, stdin: bytes = b"", timeout: int = 180) -> subprocess.CompletedProcess:
    """`python -m <module> args` in a fresh interpreter, as a user runs it (address space capped)."""
    cmd = [sys.executable, "-m", module, *map(str, args)]
    return subprocess.run(
        cmd, input=stdin, capture_output=True, cwd=ROOT, timeout=timeout, preexec_fn=_cap_memory, check=False
    )


def predict_cli(*args, stdin: bytes = b"hello there\n", timeout: int = 180) -> subprocess.CompletedProcess:
    """The predict CLI on one thread, quiet."""
    return run_module("src.apps.predict", "--threads", 1, "--quiet", *args, stdin=stdin, timeout=timeout)


def assert_refused(res: subprocess.CompletedProcess, *phrases: str) -> str:
    """Exit 2 with exactly one stderr line `error: ...` holding every phrase; never a signal or a traceback."""
    err = res.stderr.decode("utf-8", "replace")
    assert res.returncode >= 0, f"killed by signal {-res.returncode}: {err[-500:]}"
    assert res.returncode == 2, f"exit {res.returncode}: {err[-800:]}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-800:]
    for phrase in phrases:
        assert phrase in err, (phrase, err)
    return err
