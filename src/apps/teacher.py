"""The teacher's command lines (GPU machine or a slow CPU run): fine-tune all-MiniLM-L6-v2 and cache its probabilities.

python -m src.apps.teacher finetune --out DIR [--variants plain,weighted]   # -> teacher_<dataset>_probs.npz + metrics
python -m src.apps.teacher oof --out models --folds 5 [--transfer]         # cross-fitted: out-of-fold train probabilities
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from src.data.corpora import all_transfer_texts
from src.studies.teacher import train_and_cache
from src.studies.teacher_oof import train_oof
from src.training.teacher_finetune import TeacherConfig


def _common(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--data-root", default=None, help="folder holding <dataset>/ (default: $TOXIC_DATA_DIR)")
    ap.add_argument("--model-dir", default=None, help="model folder (default: the gt package's)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=None, help="cap train rows (smoke test)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke test)")


def parser() -> argparse.ArgumentParser:
    """`finetune` (one cache per BCE variant) and `oof` (k-fold, out-of-fold train probabilities)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    ft = sub.add_parser("finetune", help="fine-tune on the whole train split, one run per variant")
    _common(ft)
    ft.add_argument("--variants", default="plain", help="comma list of plain,weighted (BCE pos_weight)")
    ft.add_argument("--lr", type=float, default=5e-5)
    ft.add_argument("--batch-size", type=int, default=32)
    ft.add_argument("--max-len", type=int, default=128)
    oof = sub.add_parser("oof", help="k teachers, each on (k-1)/k of the train split")
    _common(oof)
    oof.add_argument("--folds", type=int, default=5)
    oof.add_argument("--transfer", action="store_true", help="also label the extra corpora's transfer halves")
    return ap


def main(argv: list[str] | None = None) -> None:
    """Run one teacher command."""
    a = parser().parse_args(argv)
    if a.command == "oof":
        cfg = TeacherConfig(epochs=a.epochs, seed=a.seed, max_steps=a.max_steps)
        # the transfer halves only (unlabelled text); their evaluation halves stay unseen
        texts = all_transfer_texts(a.data_root) if a.transfer else None
        train_oof(a.dataset, a.out, cfg, a.folds, a.data_root, a.model_dir, a.sample, transfer=texts)
        return
    for v in a.variants.split(","):
        if v not in ("plain", "weighted"):
            raise SystemExit(f"error: unknown variant {v!r}: use plain and/or weighted")
        cfg = TeacherConfig(
            epochs=a.epochs, lr=a.lr, batch_size=a.batch_size, max_len=a.max_len, seed=a.seed, max_steps=a.max_steps
        )
        cfg = replace(cfg, pos_weight=v == "weighted")
        print(f"== variant {v}: {cfg}", flush=True)
        train_and_cache(a.dataset, a.out, cfg, a.data_root, a.model_dir, a.sample, tag=f"_{v}")


if __name__ == "__main__":
    main()
