"""BaseAttention notebook code: BPE tokenizers, the report's setting, the size sweep, the embedding-start study,
the final seeds and candidates, and the report's own question (the smallest model that is good enough)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from src.data.datasets import Splits
from src.data.tokenizers import BPETokenizer
from src.evaluation.metrics import seed_summary
from src.models.encoder import ModelConfig
from src.studies.runs import (
    Encoded,
    Run,
    TrainJob,
    encode,
    in_processes,
    init_vectors,
    scores,
    sweep_rows,
    train_many,
)
from src.studies.tables import sweep_row
from src.training.loop import TrainConfig

REPORT_WIDTH = 16  # the report's width: "matrices smaller than 20 wide"


@dataclass
class Tokenized:
    """BPE tokenizers of three vocabulary sizes and the splits encoded by each (full and sweep rows)."""

    toks: dict[int, BPETokenizer]  # vocabulary size -> tokenizer trained on the train split
    data: dict[int, Encoded]  # every train row
    sweep: dict[int, Encoded]  # the rows sweeps and ablations train and validate on (all when sweep_sample is None)


def tokenize(
    splits: Splits, vocab_size: int, max_len: int, seed: int, sweep_sample: int | None, workers: int = 1
) -> Tokenized:
    """Train BPE at vocab_size / 4, / 2 and x1 on the train split (`workers` at a time, largest first, each on one
    thread in a spawned process); encode every split once; cut the sweep rows: `sweep_sample` train rows and as
    many validation rows (at Jigsaw's size a sample-trained run's validation passes over every row, one per epoch,
    took longer than its training); test stays whole."""
    texts = list(splits.train["text"])
    sizes = sorted({vocab_size // 4, vocab_size // 2, vocab_size}, reverse=True)
    jobs = [{"texts": texts, "vocab_size": v, "max_len": max_len, "seed": seed} for v in sizes]
    trained = dict(zip(sizes, in_processes(BPETokenizer.train, jobs, workers), strict=True))
    toks = {v: trained[v] for v in sorted(sizes)}
    data = {v: encode(t, splits) for v, t in toks.items()}
    idx = sweep_rows(data[vocab_size].y_train, sweep_sample, seed)
    return Tokenized(toks, data, {v: d.subset(idx, seed) for v, d in data.items()})


def length_summary(tk: Tokenized, vocab_size: int, max_len: int) -> str:
    """Rows the sweeps use, and token counts per training comment of the main vocabulary."""
    lengths = np.array([len(s) for s in tk.data[vocab_size].train])
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    val, val_all = len(tk.sweep[vocab_size].val), len(tk.data[vocab_size].val)
    return (
        f"sweeps and ablations train on {len(tk.sweep[vocab_size].train):,} of {len(lengths):,} rows "
        f"and validate on {val:,} of {val_all:,} (test: every row)\n"
        f"BPE {vocab_size}: train tokens per comment p50={p50:.0f}, p90={p90:.0f}, p99={p99:.0f}; "
        f"cut at {max_len}: {np.mean(lengths >= max_len):.2%} of comments"
    )


def report_setting(vocab: int, n_labels: int, max_len: int, epochs: int, seed: int) -> tuple[ModelConfig, TrainConfig]:
    """The report's recipe: width 16, one layer, dot score, mean pooling, random start, full class weights,
    LR 1e-4 -> 1e-6 linearly, no early stop."""
    d = REPORT_WIDTH
    model = ModelConfig(
        vocab_size=vocab, n_labels=n_labels, d_model=d, d_ff=2 * d, score="dot", pooling="mean", max_len=max_len
    )
    train = TrainConfig(
        epochs=epochs, lr_max=1e-4, lr_min=1e-6, warmup=0.0, pos_weight_power=1.0, patience=epochs, seed=seed
    )
    return model, train


def recipe(tok: BPETokenizer, n_labels: int, max_len: int, d: int, layers: int = 1, score="dot", heads=1):
    """Our recipe's encoder shape for one vocabulary: width d, d_ff = 2d."""
    return ModelConfig(
        vocab_size=tok.vocab_size, n_labels=n_labels, d_model=d, d_ff=2 * d, n_layers=layers, n_heads=heads,
        score=score, max_len=max_len,
    )  # fmt: skip


def sweep_configs(toks: dict[int, BPETokenizer], vocab_size: int, n_labels: int, max_len: int) -> dict:
    """{name: (vocabulary, ModelConfig)}: width, depth, vocabulary and score function from ~20K to ~200K params."""
    v4, v2, v1 = vocab_size // 4, vocab_size // 2, vocab_size

    def r(v: int, d: int, **kw) -> tuple[int, ModelConfig]:
        return v, recipe(toks[v], n_labels, max_len, d, **kw)

    return {
        f"V{v4} d8": r(v4, 8),
        f"V{v4} d16": r(v4, 16),
        f"V{v2} d16": r(v2, 16),
        f"V{v1} d12": r(v1, 12),
        f"V{v1} d16 dot": r(v1, 16),
        f"V{v1} d16 general": r(v1, 16, score="general"),
        f"V{v1} d16 scaled_dot 2h": r(v1, 16, score="scaled_dot", heads=2),
        f"V{v1} d16 2 layers": r(v1, 16, layers=2),
        f"V{v1} d20": r(v1, 20),
        f"V{v1} d24": r(v1, 24),
    }


@dataclass
class Sweep:
    """The size sweep: configurations, their PPMI starts and the shared training recipe."""

    configs: dict[str, tuple[int, ModelConfig]]  # name -> (vocabulary, shape)
    vectors: dict[tuple[int, int], np.ndarray | None]  # (vocabulary, width) -> PPMI + SVD start on the sweep rows
    train_cfg: TrainConfig  # our recipe; each job sets its seed

    def job(self, name: str, seed: int, data: dict[int, Encoded]) -> TrainJob:
        """The TrainJob of configuration `name` with `seed`, on `data` (sweep rows or every row)."""
        v, cfg = self.configs[name]
        vec = self.vectors[(v, cfg.d_model)]
        return TrainJob(data[v], cfg, replace(self.train_cfg, seed=seed), vec, desc=f"{name} s{seed}")


def make_sweep(tk: Tokenized, configs: dict, train_cfg: TrainConfig, seed: int) -> Sweep:
    """PPMI starts of every (vocabulary, width) in `configs`, computed once each on the sweep rows."""
    vectors: dict[tuple[int, int], np.ndarray | None] = {}
    for v, cfg in configs.values():
        if (v, cfg.d_model) not in vectors:
            vectors[(v, cfg.d_model)] = init_vectors("ppmi", tk.sweep[v], cfg.d_model, seed=seed)
    return Sweep(configs, vectors, train_cfg)


def run_sweep(sw: Sweep, data: dict[int, Encoded], seeds: list[int], workers: int) -> dict[str, list[Run]]:
    """{name: [run per seed]} of every configuration, trained `workers` at a time."""
    keys = [(name, s) for name in sw.configs for s in seeds]
    done = dict(zip(keys, train_many([sw.job(n, s, data) for n, s in keys], workers), strict=True))
    return {name: [done[(name, s)] for s in seeds] for name in sw.configs}


def sweep_table(runs: dict[str, list[Run]], seeds: list[int]) -> pd.DataFrame:
    """One row per configuration: params, mean and std of validation AUC over `seeds`, epochs, speed."""
    rows = {}
    for name, rs in runs.items():
        val = seed_summary({s: r.history.best_auc for s, r in zip(seeds, rs, strict=True)})
        rows[name] = {**sweep_row(rs[0]), "val_macro_auc": round(val["mean"], 4), "val_std": round(val["std"], 4)}
    return pd.DataFrame.from_dict(rows, orient="index").sort_values("params")


def more_seeds(sw: Sweep, tk: Tokenized, runs: dict[str, list[Run]], have: list[int], want: list[int], workers: int):
    """{name: [run per seed of `want`]} on the sweep rows: runs of `have` reused, the missing seeds trained."""
    new = [s for s in want if s not in have]
    keys = [(n, s) for n in sw.configs for s in new]
    done = dict(zip(keys, train_many([sw.job(n, s, tk.sweep) for n, s in keys], workers), strict=True))
    return {n: [runs[n][have.index(s)] if s in have else done[(n, s)] for s in want] for n in sw.configs}


def test_spread(runs: dict[str, list[Run]], sw: Sweep, tk: Tokenized, seeds: list[int], **ev) -> dict[str, dict]:
    """{name: seed_summary of test macro AUC over `seeds`}: the seed spread the report's question needs."""
    out = {}
    for n, rs in runs.items():
        data = tk.sweep[sw.configs[n][0]]  # the rows they validated on; test is whole
        auc = {
            s: scores([r], data, ev["labels"], ev["derived"])["test"]["roc_auc"]["macro"]
            for s, r in zip(seeds, rs, strict=True)
        }
        out[n] = seed_summary(auc)
    return out
