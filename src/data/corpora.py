"""The corpora beyond GHC: validated loaders and one fixed, seeded split of each into two halves.

- **transfer half**: text only (`TransferHalf` holds ids and texts, no labels): allowed as unlabelled text, e.g.
  for distillation (`transfer_texts`);
- **evaluation half**: texts with labels (`EvaluationHalf`): for measuring how far a model travels, never for
  training, tuning or choosing a model.

Duplicates: a text that occurs more than once (after lower-casing and collapsing white space) forms one group, and a
group lands in one half whole, so no evaluation text is ever seen as transfer text. Every row is kept (nothing is
dropped); duplicate and conflicting-label groups are counted in `notes`. The split is stratified by the set of
classes in each group and depends only on the file and `SPLIT_SEED`: the same rows in every process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from src.data.datasets import data_dir, stratified_split

SPLIT_SEED = 0  # fixed for good: another seed moves rows between the halves and voids every recorded number
EVAL_FRAC = 0.5  # share of groups (~ rows) in the evaluation half


@dataclass(frozen=True)
class CorpusSpec:
    """One corpus file: where it is, its columns, its classes and the contrasts scored on it."""

    name: str  # folder under $TOXIC_DATA_DIR and the corpus' key in results files
    file: str  # tab-separated file inside that folder
    text_col: str  # column holding the text
    label_col: str  # column holding the class
    classes: dict[str, str]  # raw label value -> class name; any other value is an error
    contrasts: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # name -> (positive, negative classes); first: hate
    negative: str  # the harmless class, whose share flagged by a model is reported
    how_to_get: str  # told to the user when the file is missing


STORMFRONT = CorpusSpec(
    name="stormfront",
    file="stormfront.tsv",
    text_col="text",
    label_col="label",
    classes={"0": "not_hate", "1": "hate"},
    contrasts={"hate": (("hate",), ("not_hate",))},
    negative="not_hate",
    how_to_get="de Gibert et al. (2018), CC BY-SA 3.0: stormfront.tsv (columns text, label 0/1); see data/README.",
)
IMPLICIT_HATE = CorpusSpec(
    name="implicit_hate",
    file="implicit_hate_v1_stg1_posts.tsv",
    text_col="post",
    label_col="class",
    classes={c: c for c in ("not_hate", "implicit_hate", "explicit_hate")},
    contrasts={
        "hate": (("implicit_hate", "explicit_hate"), ("not_hate",)),  # both kinds of hate count as hate
        "explicit": (("explicit_hate",), ("not_hate",)),
        "implicit": (("implicit_hate",), ("not_hate",)),
    },
    negative="not_hate",
    how_to_get="ElSherief et al. (2021), CC BY 4.0: implicit_hate_v1_stg1_posts.tsv (columns post, class).",
)
CORPORA: dict[str, CorpusSpec] = {s.name: s for s in (STORMFRONT, IMPLICIT_HATE)}


@dataclass(frozen=True)
class TransferHalf:
    """The transfer half of a corpus: ids (data rows of the file) and texts, deliberately without labels."""

    corpus: str  # corpus name
    ids: tuple[int, ...]  # 0-based data row of each text in the file
    texts: tuple[str, ...]  # the texts, in file order
    fingerprint: str  # sha256 of ids and texts


@dataclass(frozen=True)
class EvaluationHalf:
    """The evaluation half: frame with columns id, text, label (class name); never trained or tuned on."""

    corpus: str  # corpus name
    frame: pd.DataFrame  # id, text, label
    fingerprint: str  # sha256 of ids, texts and labels


@dataclass(frozen=True)
class CorpusSplit:
    """A loaded corpus split into its two halves, with what the loader counted."""

    spec: CorpusSpec  # the corpus
    transfer: TransferHalf  # text only
    evaluation: EvaluationHalf  # labelled
    notes: dict  # rows, duplicate groups, conflicting-label groups, letterless texts, file sha256

    def info(self) -> dict:
        """Sizes, class counts (whole corpus, evaluation half) and fingerprints, for results files."""
        ev = self.evaluation.frame["label"]
        return {
            "file": self.spec.file,
            "sizes": {"all": self.notes["rows"], "transfer": len(self.transfer.ids), "evaluation": len(ev)},
            "label_counts": {"all": self.notes["label_counts"], "evaluation": _counts(ev, self.spec)},
            "fingerprint": {"transfer": self.transfer.fingerprint, "evaluation": self.evaluation.fingerprint},
            "split": {"seed": SPLIT_SEED, "eval_frac": EVAL_FRAC, "group": "lower-cased, white space collapsed"},
            "notes": {k: v for k, v in self.notes.items() if k not in ("rows", "label_counts")},
        }


def get_corpus_spec(name: str) -> CorpusSpec:
    """The spec of a corpus by name, with a clear error for unknown names."""
    if name not in CORPORA:
        raise ValueError(f"Unknown corpus {name!r}; choose one of {sorted(CORPORA)}.")
    return CORPORA[name]


def _counts(labels: pd.Series, spec: CorpusSpec) -> dict[str, int]:
    return {c: int((labels == c).sum()) for c in dict.fromkeys(spec.classes.values())}


def read_corpus(name: str, root: str | os.PathLike | None = None) -> tuple[pd.DataFrame, dict]:
    """(frame with id, text, label; notes) of a corpus file, validated: any bad row raises, naming file and row."""
    spec = get_corpus_spec(name)
    path = data_dir(name, root) / spec.file
    if not path.is_file():
        raise FileNotFoundError(
            f"Corpus file not found: {path}\n{spec.how_to_get}\n"
            "Point TOXIC_DATA_DIR at the folder that holds <corpus>/ (e.g. TOXIC_DATA_DIR=../shared/data)."
        )
    try:  # everything as str, no NA parsing: we decide what counts as missing; default quoting (see data/README)
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=0)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot be parsed as a tab-separated {name} file ({e}).") from e
    needed = [spec.text_col, spec.label_col]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; found {list(df.columns)}; expected {needed}.")
    raw = df[spec.label_col].str.strip()
    bad = np.flatnonzero(~raw.isin(list(spec.classes)).to_numpy())
    if len(bad):
        raise ValueError(
            f"{path}: {spec.label_col!r} at data row {bad[0]} (0-based, header excluded) is {raw.iat[bad[0]]!r} "
            f"({len(bad)} bad row(s) in all); it must be one of {sorted(spec.classes)}. Fix or remove that row."
        )
    text = df[spec.text_col]
    empty = np.flatnonzero((text.str.strip() == "").to_numpy())
    if len(empty):
        raise ValueError(
            f"{path}: empty or white-space-only {spec.text_col!r} at data rows {empty[:5].tolist()} (0-based, "
            f"{len(empty)} in all). Fill or remove them: an empty text cannot be scored or split."
        )
    frame = pd.DataFrame({"id": np.arange(len(df)), "text": text.to_numpy(), "label": raw.map(spec.classes)})
    notes = {"rows": len(frame), "label_counts": _counts(frame["label"], spec), "file_sha256": _sha256_file(path)}
    notes["no_letter_texts"] = int((~text.str.contains("[A-Za-z]")).sum())  # kept: e.g. number codes are content
    return frame, notes


def _sha256_file(path: os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def group_ids(texts: pd.Series) -> np.ndarray:
    """Group id per row (order of first occurrence): rows whose lower-cased, space-collapsed texts are equal."""
    keys = texts.str.lower().str.split().str.join(" ")
    return pd.factorize(keys)[0]


def split_mask(frame: pd.DataFrame, spec: CorpusSpec, frac: float = EVAL_FRAC, seed: int = SPLIT_SEED) -> np.ndarray:
    """Boolean evaluation mask: whole duplicate groups, stratified by the set of classes in each group."""
    groups = group_ids(frame["text"])
    classes = list(dict.fromkeys(spec.classes.values()))
    member = np.zeros((groups.max() + 1, len(classes)), dtype=np.int8)  # (G, C): class present in group
    member[groups, frame["label"].map(classes.index).to_numpy()] = 1
    return stratified_split(member, frac=frac, seed=seed)[groups]


def _fingerprint(*columns) -> str:
    h = hashlib.sha256()
    for row in zip(*columns, strict=True):
        h.update("\t".join(map(str, row)).encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


def load_corpus_split(name: str, root: str | os.PathLike | None = None) -> CorpusSplit:
    """Load, validate and split a corpus into its fixed transfer and evaluation halves."""
    spec = get_corpus_spec(name)
    frame, notes = read_corpus(name, root)
    groups = group_ids(frame["text"])
    sizes = np.bincount(groups)
    notes["duplicate_groups"], notes["duplicate_rows"] = int((sizes > 1).sum()), int(sizes[sizes > 1].sum())
    n_classes = frame.groupby(groups)["label"].nunique()
    notes["conflicting_label_groups"] = int(
        (n_classes > 1).sum()
    )  # kept whole, each row with its own label, in one half
    ev = split_mask(frame, spec)
    tr, te = frame[~ev], frame[ev].reset_index(drop=True)
    transfer = TransferHalf(name, tuple(tr["id"].tolist()), tuple(tr["text"]), _fingerprint(tr["id"], tr["text"]))
    evaluation = EvaluationHalf(name, te, _fingerprint(te["id"], te["text"], te["label"]))
    return CorpusSplit(spec, transfer, evaluation, notes)


def transfer_texts(name: str, root: str | os.PathLike | None = None) -> list[str]:
    """The transfer half's texts only: the one door for training code (unlabelled text, e.g. distillation)."""
    return list(load_corpus_split(name, root).transfer.texts)


def all_transfer_texts(root: str | os.PathLike | None = None) -> list[str]:
    """Every corpus's transfer-half texts, in CORPORA's order: the texts a teacher labels and Shrink distils on (one
    order, so a cache's text fingerprint matches); FileNotFoundError naming the first missing corpus."""
    return [t for name in CORPORA for t in transfer_texts(name, root)]


def hate_labels(evaluation: EvaluationHalf, spec: CorpusSpec, contrast: str = "hate") -> tuple[np.ndarray, np.ndarray]:
    """(row mask, 0/1 label) of a contrast on an evaluation half: rows of its positive or negative classes."""
    pos, neg = spec.contrasts[contrast]
    label = evaluation.frame["label"]
    keep = label.isin(pos + neg).to_numpy()
    return keep, label[keep].isin(pos).to_numpy().astype(np.int8)
