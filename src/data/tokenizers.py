"""BPE tokenizer (youtokentome) trained on the training split only, storable inside a checkpoint."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Protocol

import youtokentome as yttm

from src.data.bpe_check import check_model
from src.data.datasets import clean_text

PAD, UNK, BOS, EOS = 0, 1, 2, 3  # youtokentome's special ids, PAD first so masks are `ids != 0`


@contextlib.contextmanager
def _quiet_fds():
    """Silence C-level stdout/stderr: youtokentome logs its training there, past Python's sys.stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _check_model(data: bytes) -> None:
    """Validate youtokentome's model file before its C++ loader sees it (a crafted one can crash the process)."""
    check_model(data)


class Tokenizer(Protocol):
    """What models, checkpoints and serving need from a tokenizer (BPETokenizer, glove.WordTokenizer)."""

    kind: str  # "bpe" | "word": checkpoint.py rebuilds the right class from state()["kind"]
    max_len: int  # ids per text are cut here

    @property
    def vocab_size(self) -> int:
        """Number of ids, PAD (0) and UNK included."""
        ...

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Ids per text, cut at max_len, never empty."""
        ...

    def tokens(self, text: str) -> list[str]:
        """Token strings of one text (attention plots)."""
        ...

    def state(self) -> dict:
        """Plain values that rebuild the tokenizer (stored in checkpoints)."""
        ...


def _load(model_bytes: bytes, n_threads: int = -1) -> yttm.BPE:
    """A youtokentome model from its bytes (it reads models from files only)."""
    with tempfile.NamedTemporaryFile(suffix=".yttm", delete=False) as f:
        f.write(model_bytes)
    try:
        return yttm.BPE(f.name, n_threads=n_threads)
    finally:
        Path(f.name).unlink(missing_ok=True)


class BPETokenizer:
    """Byte-pair encoding over (optionally cleaned) text; ids truncated to `max_len`."""

    kind = "bpe"
    pad_id = PAD

    def __init__(self, model_bytes: bytes, max_len: int = 200, clean: bool = True):
        self.model_bytes, self.max_len, self.clean = model_bytes, max_len, clean
        _check_model(model_bytes)
        self.bpe = _load(model_bytes)

    def __getstate__(self) -> dict:
        return self.state()  # the yttm object cannot be pickled; its model bytes can (runs in worker processes)

    def __setstate__(self, state: dict) -> None:
        type(self).__init__(self, state["model_bytes"], max_len=state["max_len"], clean=state["clean"])

    @classmethod
    def train(
        cls, texts: list[str], vocab_size: int, max_len: int = 200, clean: bool = True, seed: int = 0
    ) -> BPETokenizer:
        """Learn merges on `texts` (the training split only, never validation/test).

        `seed` is accepted for symmetry with the other builders; it does not make training reproducible:
        youtokentome orders (and, at the vocabulary cut-off, picks) equally frequent merges differently from
        run to run, so the model bytes can differ. Results are reproduced from the tokenizer saved with each
        checkpoint, never from a retrained one.
        """
        with tempfile.TemporaryDirectory() as d:
            corpus, model = Path(d) / "train.txt", Path(d) / "bpe.model"
            lines = (clean_text(t) if clean else " ".join(t.split()) for t in texts)
            corpus.write_text("\n".join(lines) + "\n")
            # One thread: youtokentome's multi-threaded counting is not bit-for-bit reproducible.
            with _quiet_fds():
                yttm.BPE.train(
                    data=str(corpus),
                    model=str(model),
                    vocab_size=vocab_size,
                    n_threads=1,
                    pad_id=PAD,
                    unk_id=UNK,
                    bos_id=BOS,
                    eos_id=EOS,
                )
            return cls(model.read_bytes(), max_len=max_len, clean=clean)

    @property
    def vocab_size(self) -> int:
        """Number of ids (specials included)."""
        return self.bpe.vocab_size()

    def encode(self, texts: list[str], dropout: float = 0.0) -> list[list[int]]:
        """Token ids per text, cut at max_len; an empty text becomes [UNK] so no sequence is empty.

        `dropout` > 0: BPE-dropout (Provilkov et al. 2020), each merge skipped with that probability, so words
        split into smaller pieces; for training-set augmentation only. youtokentome draws the skips from one
        process-wide generator with a fixed start, shared by its threads, so these calls run on one thread: the
        same calls in the same order in a fresh process give the same ids.
        """
        bpe = self.bpe if not dropout else _load(self.model_bytes, n_threads=1)
        ids = bpe.encode(self._prep(texts), output_type=yttm.OutputType.ID, dropout_prob=dropout)
        return [(s[: self.max_len] or [UNK]) for s in ids]

    def tokens(self, text: str) -> list[str]:
        """Subword strings of one text (for attention plots)."""
        return self.bpe.encode(self._prep([text]), output_type=yttm.OutputType.SUBWORD)[0][: self.max_len] or ["<UNK>"]

    def _prep(self, texts: list[str]) -> list[str]:
        """Cleaned (or whitespace-normalised) texts cut to `max_len` words.

        BPE never merges across a space, so every word gives at least one id: the first `max_len` words hold the
        first `max_len` ids, and the rest of a long comment is never encoded (same ids, less work).
        """
        n = self.max_len
        if self.clean:
            return [clean_text(t, max_words=n) for t in texts]
        return [" ".join(str(t).split(None, n)[:n]) for t in texts]

    def vocab(self) -> list[str]:
        """Subword string of each id."""
        return self.bpe.vocab()

    def state(self) -> dict:
        """Everything needed to rebuild it, as plain values (stored in checkpoints)."""
        return {"kind": self.kind, "model_bytes": self.model_bytes, "max_len": self.max_len, "clean": self.clean}

    @classmethod
    def from_state(cls, state: dict) -> BPETokenizer:
        """Inverse of `state()`."""
        return cls(state["model_bytes"], max_len=state["max_len"], clean=state["clean"])
