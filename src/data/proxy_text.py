"""Comment text for the Jigsaw-shaped proxy: real GHC posts concatenated to lognormal lengths, with label evidence.

See src/data/proxy.py for the distribution, the label scheme and where their parameters come from.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from src.data.datasets import GHC

# GHC label bits (hd, cv, vo in GHC.labels order); a post's or a comment's evidence is an OR of them.
HD, CV, VO = 1, 2, 4
SEPARATORS = (" ", "\n", "\n\n")  # how a post is joined to the one before it


@dataclass(frozen=True)
class TextConfig:
    """Comment length and layout parameters of the proxy."""

    median_words: float = 36.0  # lognormal median: Jigsaw's median comment has ~36 words
    sigma: float = 1.1  # lognormal sigma: mean = median * exp(sigma^2 / 2) ~ 66 words, Jigsaw's published ~67
    max_chars: int = 5000  # Kaggle cut every comment at 5,000 characters
    p_newline: float = 0.15  # a post starts on a new line: Jigsaw comments are often multi-line
    p_blank_line: float = 0.10  # a post starts a new paragraph ("\n\n")
    p_quote: float = 0.05  # a post is wrapped in double quotes, as when quoting another user


@dataclass(frozen=True)
class PostBank:
    """GHC posts of one split, as the comment builder needs them."""

    texts: list[str]  # post text, unchanged
    words: list[list[str]]  # whitespace tokens, for cutting a post to a word count
    n_words: np.ndarray  # (P,) tokens per post
    mask: np.ndarray  # (P,) OR of the post's GHC label bits


def post_bank(df: pd.DataFrame) -> PostBank:
    """Posts with at least one word from a GHC frame (text + hd, cv, vo as loaded by load_files)."""
    df = df[df["text"].str.split().str.len() > 0]
    texts = df["text"].tolist()
    words = [t.split() for t in texts]
    mask = df[list(GHC.labels)].to_numpy() @ np.array([HD, CV, VO])
    return PostBank(texts, words, np.array([len(w) for w in words], dtype=np.int64), mask.astype(np.int64))


def evidence(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N,) GHC label bits each comment must contain to justify its Jigsaw label vector y (N, 6)."""
    toxic, severe, obscene, threat, insult, hate = (y[:, j] > 0 for j in range(6))
    ev = np.where(hate, HD, 0) | np.where(obscene, VO, 0) | np.where(threat, CV, 0)
    coin = np.where(rng.random(len(y)) < 0.5, HD, VO)  # insult / plain toxic: a hateful or a vulgar post
    ev |= np.where(insult & (ev & (HD | VO) == 0), coin, 0)
    n_bits = (ev & HD > 0).astype(int) + (ev & CV > 0) + (ev & VO > 0)
    weak = severe & (n_bits < 2) & (ev & CV == 0)  # severe: two kinds of evidence, or a call for violence
    ev |= np.where(weak, (HD | VO) & ~ev, 0)
    ev |= np.where(toxic & (ev == 0), coin, 0)
    return ev


def _pools(bank: PostBank, source: str) -> dict[tuple[int, int], np.ndarray]:
    """(bit, evidence) -> posts carrying `bit` and no label outside `evidence` (any post with `bit` if none)."""
    if not (bank.mask == 0).any():
        raise ValueError(f"{source}: no unlabelled post; the proxy fills its comments with unlabelled posts.")
    pools = {}
    for bit, name in zip((HD, CV, VO), GHC.labels, strict=True):
        has = bank.mask & bit > 0
        if not has.any():
            raise ValueError(f"{source}: no post is labelled {name!r}; the proxy needs at least one per GHC label.")
        for ev in range(1, 8):
            if ev & bit:
                clean = np.flatnonzero(has & (bank.mask & ~ev == 0))
                pools[bit, ev] = clean if len(clean) else np.flatnonzero(has)
    return pools


def evidence_posts(bank: PostBank, ev: np.ndarray, rng: np.random.Generator, source: str) -> list[list[int]]:
    """Per comment, labelled posts that together carry every bit of its evidence (one post per missing bit)."""
    pools = _pools(bank, source)
    u = rng.random((len(ev), 3)).tolist()
    out: list[list[int]] = [[] for _ in range(len(ev))]
    for i in np.flatnonzero(ev).tolist():
        e, covered = int(ev[i]), 0
        for k, bit in enumerate((HD, CV, VO)):
            if e & bit and not covered & bit:
                pool = pools[bit, e]
                p = int(pool[int(u[i][k] * len(pool))])
                out[i].append(p)
                covered |= int(bank.mask[p])
    return out


def target_words(rng: np.random.Generator, n: int, cfg: TextConfig) -> np.ndarray:
    """(n,) words per comment: round(LogNormal(ln median, sigma)), at least 1, never beyond what the cap can hold."""
    w = np.rint(rng.lognormal(np.log(cfg.median_words), cfg.sigma, size=n)).astype(np.int64)
    # A comment of max_chars // 2 + 1 words already has more than max_chars characters, so this clip is a no-op.
    return np.clip(w, 1, cfg.max_chars // 2 + 1)


def _decorations(rng: np.random.Generator, n: int, cfg: TextConfig) -> tuple[list[str], list[bool]]:
    """n separators (joining a post to the one before it) and n quote flags."""
    p = [1 - cfg.p_newline - cfg.p_blank_line, cfg.p_newline, cfg.p_blank_line]
    seps = [SEPARATORS[c] for c in rng.choice(len(SEPARATORS), size=n, p=p).tolist()]
    return seps, (rng.random(n) < cfg.p_quote).tolist()


class _Filler:
    """Unlabelled posts drawn with replacement into one stream, each with its own decoration; grown on demand."""

    def __init__(self, bank: PostBank, rng: np.random.Generator, cfg: TextConfig, size: int) -> None:
        self.bank, self.rng, self.cfg = bank, rng, cfg
        self.plain = np.flatnonzero(bank.mask == 0)
        self.posts: list[int] = []
        self.cum: list[int] = []  # words up to and including each stream position
        self.seps: list[str] = []
        self.quoted: list[bool] = []
        self.ptr, self.base = 0, 0  # next unused stream position, and the words before it
        self._grow(size)

    def _grow(self, size: int) -> None:
        posts = self.plain[self.rng.integers(0, len(self.plain), size=size)]
        start = self.cum[-1] if self.cum else 0
        self.cum += (start + np.cumsum(self.bank.n_words[posts])).tolist()
        self.posts += posts.tolist()
        seps, quoted = _decorations(self.rng, size, self.cfg)
        self.seps += seps
        self.quoted += quoted

    def take(self, n_words: int) -> list[tuple[str, str]]:
        """(separator, text) pieces holding exactly n_words words; the last post is cut, its rest discarded."""
        goal = self.base + n_words
        while self.cum[-1] < goal:
            self._grow(len(self.posts) // 2 + 1000)
        end = bisect.bisect_left(self.cum, goal, self.ptr)
        used = goal - (self.cum[end - 1] if end > 0 else 0)
        texts, last = self.bank.texts, self.posts[end]
        bodies = [texts[p] for p in self.posts[self.ptr : end]]
        bodies.append(texts[last] if used == self.bank.n_words[last] else " ".join(self.bank.words[last][:used]))
        out = [
            (self.seps[k], '"' + b + '"' if self.quoted[k] else b)
            for k, b in zip(range(self.ptr, end + 1), bodies, strict=True)
        ]
        self.ptr, self.base = end + 1, self.cum[end]
        return out


def _join(pieces: list[tuple[str, str]]) -> str:
    """The pieces joined by their separators, the first one's dropped."""
    return pieces[0][1] + "".join(s + t for s, t in pieces[1:])


def _cut(text: str, max_chars: int) -> str:
    """Text cut at the last word boundary before max_chars (mid-word only if it is one long word)."""
    cut = max(text.rfind(c, 0, max_chars + 1) for c in (" ", "\n", "\t"))
    return (text[:cut] if cut > 0 else text[:max_chars]).rstrip()


def comments(bank: PostBank, y: np.ndarray, rng: np.random.Generator, cfg: TextConfig, source: str) -> list[str]:
    """Comment texts for Jigsaw label vectors y (N, 6), each holding the GHC evidence its labels need."""
    n = len(y)
    labelled = evidence_posts(bank, evidence(y, rng), rng, source)
    nw = bank.n_words.tolist()
    n_lab = np.array([sum(nw[p] for p in posts) for posts in labelled], dtype=np.int64)
    target = target_words(rng, n, cfg)
    budget = np.maximum(target - n_lab, 0).tolist()  # filler words; labelled posts stay whole even if longer
    filler = _Filler(bank, rng, cfg, int(sum(budget) / bank.n_words[bank.mask == 0].mean()) + n)
    seps, quoted = _decorations(rng, 3 * n, cfg)  # for the (at most 3) labelled posts of each comment
    slot = rng.random(n).tolist()  # where the labelled posts go among the filler
    texts, out = bank.texts, []
    for i in range(n):
        pieces = filler.take(budget[i]) if budget[i] > 0 else []
        lab = [
            (seps[3 * i + j], '"' + texts[p] + '"' if quoted[3 * i + j] else texts[p])
            for j, p in enumerate(labelled[i])
        ]
        at = int(slot[i] * (len(pieces) + 1))
        text = _join(pieces[:at] + lab + pieces[at:])
        if len(text) > cfg.max_chars:
            text = _cut(_join(lab + pieces), cfg.max_chars)  # labelled posts first, so the cut loses none
        out.append(text)
    return out
