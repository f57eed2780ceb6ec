"""BestResult part 1: the tokenizers, the four embedding variants (frozen, fine-tuned, own OOV rows, corpus columns),
training them on the same budget, and their records and table."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from src.data.glove import WordTokenizer
from src.models.encoder import ModelConfig
from src.studies.bestresult import GloveData, GloveJob, corpus_vectors, train_glove_many
from src.studies.runs import Run, train_part
from src.training.loop import TrainConfig

# variant -> (tokenizer, GloveEmbedding mode, whether frozen corpus columns are appended)
MODES: dict[str, tuple[str, str, bool]] = {
    "frozen": ("glove", "frozen", False),
    "finetune": ("glove", "finetune", False),
    "frozen+oov": ("glove+oov", "frozen+oov", False),
    "frozen+oov+ppmi": ("glove+oov", "frozen+oov", True),
}


def tokenizers(data: GloveData, oov_rows: int, max_len: int) -> dict[str, WordTokenizer]:
    """'glove': the training split's words that GloVe knows; 'glove+oov': plus own rows for frequent unknown words."""
    train, src = data.texts["train"], data.glove_source
    return {
        "glove": WordTokenizer.build(train, src, max_len=max_len),
        "glove+oov": WordTokenizer.build(train, src, oov_rows=oov_rows, max_len=max_len),
    }


def oov_table(toks: dict[str, WordTokenizer], texts: dict[str, list[str]]) -> pd.DataFrame:
    """Per tokenizer and split (val, test): share of tokens and of distinct words mapped to UNK, vocabulary sizes."""
    oov = {
        (name, split): {**tok.oov_rate(texts[split]), "vocab_size": tok.vocab_size, "own_oov_rows": tok.n_oov}
        for name, tok in toks.items()
        for split in ("val", "test")
    }
    return pd.DataFrame(oov).T.round(3)


@dataclass(frozen=True)
class Mode:
    """One embedding variant: its tokenizer and encoded splits, GloveEmbedding mode and frozen corpus columns."""

    name: str  # the variant, a key of MODES
    vocab: str  # "glove" or "glove+oov"
    tok: WordTokenizer
    ids: dict[str, list[list[int]]]  # "train", "val", "test" token ids
    embedding: str  # GloveEmbedding mode
    corpus_dim: int  # width of the corpus columns (0: none)
    corpus: np.ndarray | None  # (V, corpus_dim) PPMI+SVD vectors of the training split

    def job(
        self, mcfg: ModelConfig, tcfg: TrainConfig, y: dict, rows=None, teacher=None, alpha: float = 0.0, val_rows=None
    ) -> GloveJob:
        """The GloveJob of this variant, its train split cut to `rows` and validation to `val_rows` (None: all);
        `teacher` used when alpha > 0."""
        soft = train_part(teacher, rows)["train"] if alpha else None
        ids, y = train_part(self.ids, rows, val_rows), train_part(y, rows, val_rows)
        return GloveJob(self.tok, self.embedding, mcfg, tcfg, ids, y, corpus=self.corpus, teacher=soft, alpha=alpha)


def modes(toks: dict[str, WordTokenizer], texts: dict[str, list[str]], corpus_dim: int) -> dict[str, Mode]:
    """The four variants of `MODES`; corpus columns computed once per (tokenizer, width), from the train split only."""
    ids = {name: {k: tok.encode(v) for k, v in texts.items()} for name, tok in toks.items()}
    corpus: dict[tuple[str, int], np.ndarray] = {}
    out = {}
    for name, (vocab, emb, ppmi) in MODES.items():
        k = corpus_dim if ppmi else 0
        if k and (vocab, k) not in corpus:
            corpus[vocab, k] = corpus_vectors(ids[vocab]["train"], toks[vocab].vocab_size, k)
        out[name] = Mode(name, vocab, toks[vocab], ids[vocab], emb, k, corpus.get((vocab, k)))
    return out


def train_modes(
    variants: dict[str, Mode], mcfg: ModelConfig, tcfg: TrainConfig, data: GloveData, workers: int = 2
) -> dict[str, Run]:
    """Every variant with the same encoder and recipe, on the sweep rows, side by side."""
    jobs = [m.job(mcfg, tcfg, data.y, data.sweep_idx, val_rows=data.sweep_val_idx) for m in variants.values()]
    return dict(zip(variants, train_glove_many(jobs, workers), strict=True))


def mode_info(runs: dict[str, Run], variants: dict[str, Mode], tcfg: TrainConfig, data: GloveData) -> dict:
    """What each variant's results record keeps besides its scores: config, train rows, OOV rates, own OOV rows."""
    rows = len(data.texts["train"]) if data.sweep_idx is None else len(data.sweep_idx)
    return {
        m: {
            "config": {"model": asdict(r.model.cfg), "train": asdict(tcfg), "corpus_dim": variants[m].corpus_dim},
            "train_rows": rows,
            "oov_rate": {s: variants[m].tok.oov_rate(data.texts[s]) for s in ("val", "test")},
            "own_oov_rows": variants[m].tok.n_oov,
        }
        for m, r in runs.items()
    }


def mode_table(runs: dict[str, Run]) -> pd.DataFrame:
    """Per variant: parameters, best validation macro AUC, best epoch, seconds per epoch."""
    rows = {
        m: {
            **r.params,
            "val macro AUC": r.history.best_auc,
            "best epoch": r.history.best_epoch + 1,
            "s/epoch": r.history.seconds_per_epoch,
        }
        for m, r in runs.items()
    }
    return pd.DataFrame(rows).T.round(4)


def best_mode(runs: dict[str, Run]) -> str:
    """The variant with the best validation macro AUC (of its best epoch)."""
    return max(runs, key=lambda m: runs[m].history.best_auc)


def mode_summary(runs: dict[str, Run], mode_scores: dict[str, dict], info: dict) -> dict[str, dict]:
    """The results file's `modes`: each part-1 run's parameters, best epoch, macro AUCs, vocabulary facts and seed
    (kept apart from `models`, where the saved model's record may replace its variant's when they share a name)."""
    return {
        m: {
            "params": {k: int(r.params[k]) for k in ("total", "trainable")},
            "best_epoch": r.history.best_epoch + 1,
            "val_macro_auc": mode_scores[m]["validation"]["roc_auc"]["macro"],
            "test_macro_auc": mode_scores[m]["test"]["roc_auc"]["macro"],
            "train_rows": info[m]["train_rows"],
            "oov_rate": info[m]["oov_rate"],
            "own_oov_rows": info[m]["own_oov_rows"],
            "corpus_dim": info[m]["config"]["corpus_dim"],
            "seed": info[m]["config"]["train"]["seed"],
        }
        for m, r in runs.items()
    }
