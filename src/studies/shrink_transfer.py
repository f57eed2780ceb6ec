"""Shrink notebook code, the transfer set: other communities' unlabelled text (the transfer halves of the two extra
corpora, never their labels or evaluation halves) labelled by saved models, added to a student's training rows."""

from __future__ import annotations

import numpy as np

from src.common.results import models_dir
from src.data.corpora import CORPORA, all_transfer_texts
from src.serving import checkpoint
from src.studies.runs import Encoded, predict_texts
from src.training.teacher_cache import StaleCacheError, load_transfer, transfer_cache_name

TEACHER = "minilm_l6"  # the teacher whose train-row probabilities the transfer teacher keeps
# Saved models whose mean probabilities label the transfer texts: BestResult's alone (a scratch comparison on GHC
# validation, three seeds of the 200K GloVe student, preferred it to its mean with baseattention's; not recorded).
BLEND = ("bestresult",)


def transfer_set(dataset: str, labels: list[str], rows: int | None = None) -> tuple[list[str], np.ndarray | None, str]:
    """(texts, (N, L) teacher probabilities, note) or ([], None, why it is skipped).

    The texts: the transfer halves of every extra corpus in turn, the first `rows` of them (None: all; 0: none).
    Their labels: MiniLM's fold teachers' when a teacher run cached them for these very texts
    (`python -m src.apps.teacher oof --transfer`), else the mean probabilities of the BLEND checkpoints.
    A missing corpus file or checkpoint skips the transfer set (the note says which); a malformed one still raises.
    """
    if rows == 0:
        return [], None, "no transfer set: none asked for"
    try:
        texts = all_transfer_texts()  # the transfer halves only: the evaluation halves stay unseen
    except FileNotFoundError as e:  # the extra corpora are optional: without them, no transfer teacher
        return [], None, f"no transfer set: {str(e).splitlines()[0]}"
    probs, why = minilm_transfer(dataset, labels, texts)
    n = len(texts) if rows is None else min(rows, len(texts))
    if probs is not None:
        return texts[:n], probs[:n], f"{n:,} transfer-half texts of {', '.join(CORPORA)}, {why}"
    texts = texts[:n]
    paths = [models_dir() / f"{m}_{dataset}.pt" for m in BLEND]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        return [], None, f"no transfer set: {', '.join(missing)} not found"
    probs_by = []
    for p in paths:
        model, tok, _ = checkpoint.load(p, labels=labels)
        probs_by.append(predict_texts(model, tok, texts))
    note = f"{n:,} transfer-half texts of {', '.join(CORPORA)}, labelled by {' + '.join(BLEND)} ({why})"
    return texts, np.mean(probs_by, axis=0).astype(np.float32), note


def minilm_transfer(dataset: str, labels: list[str], texts: list[str]) -> tuple[np.ndarray | None, str]:
    """MiniLM's cached probabilities of exactly these transfer texts, or (None, why not)."""
    path = models_dir() / transfer_cache_name(dataset)
    if not path.is_file():
        return None, f"no MiniLM transfer cache {path.name}"
    try:
        probs, meta = load_transfer(path, labels, texts)
    except StaleCacheError:
        return None, f"{path.name} scored other texts"
    return probs, f"labelled by MiniLM-L6 ({meta.get('kind', 'cached')}, {path.name})"


def with_transfer(teacher: dict[str, np.ndarray], texts: list[str], probs: np.ndarray) -> dict:
    """`teacher` ({train, val, test} probabilities) that also teaches the transfer texts (keys "extra_*")."""
    if probs.shape != (len(texts), teacher["train"].shape[1]):
        raise ValueError(f"transfer probabilities have shape {probs.shape}, expected ({len(texts)}, L)")
    return {**teacher, "extra_texts": texts, "extra_probs": probs}


def extended(data: Encoded, soft: np.ndarray, teacher: dict) -> tuple[Encoded, np.ndarray]:
    """(data, soft targets) with a teacher's transfer rows appended to the train split (their labels: its
    probabilities, so the hard and soft terms agree there); unchanged for a teacher without them."""
    if "extra_texts" not in teacher:
        return data, soft
    ids = data.tokenizer.encode(teacher["extra_texts"])
    extra = teacher["extra_probs"].astype(np.float32)
    y = np.vstack([data.y_train, extra]).astype(np.float32)
    grown = Encoded(data.tokenizer, data.train + ids, data.val, data.test, y, data.y_val, data.y_test)
    return grown, np.vstack([soft, extra]).astype(np.float32)


def transfer_teachers(
    teachers: dict[str, dict], texts: list[str], probs: np.ndarray | None, note: str
) -> tuple[dict[str, dict], dict[str, str]]:
    """({"<TEACHER>+transfer": teacher}, {same: note}): TEACHER's probabilities on the train rows plus the transfer
    set; ({}, {same: why not}) when TEACHER does not teach here or there is no transfer set."""
    key = f"{TEACHER}+transfer"
    if probs is None:
        return {}, {key: note}
    if TEACHER not in teachers:
        return {}, {key: f"{TEACHER} does not teach here"}
    return {key: with_transfer(teachers[TEACHER], texts, probs)}, {key: f"{TEACHER} on the train rows; {note}"}
