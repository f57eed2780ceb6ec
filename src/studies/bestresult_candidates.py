"""BestResult's candidates: the saved single model, the seed ensemble, blends with TF-IDF + LR and with the saved
BaseAttention model; their parameter counts and records, the comparison rows, the saved checkpoint and the goals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from src.common.results import models_dir, read_results
from src.models.size import count_params, state_bytes
from src.models.tfidf import TfidfConfig, TfidfLR
from src.serving import checkpoint
from src.studies import baseline as baseline_model
from src.studies.bestresult import GloveData, pick_blend_weight
from src.studies.runs import Run
from src.studies.tables import REPORT_JIGSAW, summary_row
from src.training.loop import predict_proba

PAIR_WEIGHTS = (0.0, 0.3, 0.4, 0.5, 0.6)  # BaseAttention's weights tried in the GloVe + BaseAttention blend
REFERENCES = ("baseline", "BaseAttention", "Teacher")  # notebooks whose best model the comparison shows
# The goals this notebook set itself on GHC test, for its best model: name -> (metric, target).
GOALS = {"test_macro_auc_ge_0.86_best": ("test_macro_auc", 0.86), "test_hate_f1_ge_0.50_best": ("test_hate_f1", 0.50)}


@dataclass
class Candidates:
    """The candidates of part 2: record names by role, (validation, test) probabilities, parameters, extras."""

    names: dict[str, str]  # "single", "ensemble", "blend", "pair" -> record name (blend, pair: maybe not scored)
    probs: dict[str, tuple[np.ndarray, np.ndarray]]  # record name -> (validation, test) probabilities
    weights: dict[str, tuple[float, dict[float, float]]]  # "tfidf", "baseattention" -> (weight, val AUC by weight)
    ba_path: Path  # the saved BaseAttention checkpoint (a member of the pair)
    params: dict[str, dict[str, int]] = field(default_factory=dict)  # record name -> {"total", "trainable", ...}
    combos: dict[str, list] = field(default_factory=dict)  # combination -> [bytes (None: set on saving), extras]

    def describe(self) -> str:
        """The blend weights tried and picked on validation."""
        out = []
        for key, what in (("tfidf", "TF-IDF"), ("baseattention", "BaseAttention")):
            if key in self.weights:
                w, aucs = self.weights[key]
                out.append(f"validation macro AUC by {what} weight: { ({k: round(v, 4) for k, v in aucs.items()}) }")
                out[-1] += f" -> w = {w}"
        if "baseattention" not in self.weights:
            out.append(
                f"{self.ba_path.name} not found: run BaseAttention first for the GloVe + BaseAttention candidate"
            )
        return "\n".join(out)

    def record(self) -> dict:
        """The results file's `candidates`: the name of each role (None: not a candidate) and the blend weights."""
        names = {role: (n if n in self.probs else None) for role, n in self.names.items()}
        return names | {f"{k}_weight": w for k, (w, _) in self.weights.items()}


def tfidf_model(data: GloveData, quick: bool) -> tuple[TfidfLR, str]:
    """TF-IDF + LR: the baseline notebook's saved model when it matches these splits, else a fresh fit."""
    cfg = TfidfConfig(max_features=20_000 if quick else TfidfConfig.max_features)
    return baseline_model.fitted(data.splits, cfg)


def baseattention(dataset: str, labels: list[str]) -> tuple[Path, tuple | None]:
    """(path, (model, tokenizer) or None): the saved BaseAttention model, if that notebook has run."""
    path = models_dir() / f"baseattention_{dataset}.pt"
    return path, (checkpoint.load(path, labels=labels)[:2] if path.is_file() else None)


def candidates(single: Run, seed_runs: dict[int, Run], name: str, tfidf: TfidfLR, ba, data: GloveData) -> Candidates:
    """The saved model `single` (record `name`), the seed ensemble, its TF-IDF blend (if validation gives TF-IDF a
    weight), and `single` + BaseAttention (`ba` = (path, (model, tokenizer) or None)); weights picked on validation."""
    n, (ba_path, ba_model) = len(seed_runs), ba
    names = {"single": name, "ensemble": f"{name}_x{n}seeds", "blend": f"{name}_x{n}seeds+tfidf_lr"}
    names["pair"] = f"{name}+baseattention"
    p_tfidf = {k: tfidf.predict_proba(data.texts[k]) for k in ("val", "test")}
    ens = {k: np.mean([getattr(r, f"p_{k}") for r in seed_runs.values()], axis=0) for k in ("val", "test")}
    w, blend_aucs = pick_blend_weight(data.y["val"], ens["val"], p_tfidf["val"])
    probs = {name: (single.p_val, single.p_test), names["ensemble"]: (ens["val"], ens["test"])}
    if w > 0:  # weight 0 would make it the seed ensemble again, with TF-IDF's parameters counted for nothing
        blend = {k: (1 - w) * ens[k] + w * p_tfidf[k] for k in ("val", "test")}
        probs[names["blend"]] = (blend["val"], blend["test"])
    c = Candidates(names, probs, {"tfidf": (w, blend_aucs)}, ba_path)
    if ba_model is not None:  # a second small model of a different kind: BPE subwords, not GloVe words
        p_ba = {k: predict_proba(ba_model[0], ba_model[1].encode(data.texts[k])) for k in ("val", "test")}
        single_p = {"val": single.p_val, "test": single.p_test}
        w_ba, pair_aucs = pick_blend_weight(data.y["val"], single_p["val"], p_ba["val"], weights=PAIR_WEIGHTS)
        pair = {k: (1 - w_ba) * single_p[k] + w_ba * p_ba[k] for k in ("val", "test")}
        probs[names["pair"]] = (pair["val"], pair["test"])
        c.weights["baseattention"] = (w_ba, pair_aucs)
    _count(c, single, list(seed_runs.values()), tfidf, None if ba_model is None else ba_model[0], data.dataset)
    return c


def _count(c: Candidates, single: Run, members: list[Run], tfidf: TfidfLR, ba_model, dataset: str) -> None:
    """Every member's parameters counted (the teacher counts in none), and each combination's record extras."""
    single_name, ens, blend, pair = (c.names[k] for k in ("single", "ensemble", "blend", "pair"))
    ens_params = {k: sum(r.params[k] for r in members) for k in ("total", "trainable")}
    c.params = {single_name: single.params, ens: ens_params}
    nbytes = sum(state_bytes(r.model) for r in members)  # the seed ensemble's weights as checkpoints store them
    spe = float(np.mean([r.history.seconds_per_epoch for r in members]))
    w, aucs = c.weights["tfidf"]
    tfidf_aucs = {str(k): v for k, v in aucs.items()}  # the TF-IDF weights tried for the blend
    c.combos = {ens: [nbytes, {"seconds_per_epoch": spe, "members": len(members), "tfidf_blend_val_aucs": tfidf_aucs}]}
    if blend in c.probs:
        c.params[blend] = {k: v + tfidf.n_params() for k, v in ens_params.items()}
        info = {"seconds_per_epoch": spe, "members": len(members) + 1, "tfidf_weight": w, "blend_val_aucs": tfidf_aucs}
        c.combos[blend] = [nbytes + len(tfidf.to_bytes()), info]
    if pair in c.probs:  # bytes: the saved GloVe file + BaseAttention's, set once the GloVe model is saved
        ba_counts = count_params(ba_model)
        c.params[pair] = {k: single.params[k] + ba_counts[k] for k in ("total", "trainable")}
        w_ba, pair_aucs = c.weights["baseattention"]
        info = {
            "members": [f"models/bestresult_{dataset}.pt", f"models/{c.ba_path.name}"],
            "baseattention_weight": w_ba,
        }
        c.combos[pair] = [None, info | {"blend_val_aucs": {str(k): v for k, v in pair_aucs.items()}}]


def candidate_table(c: Candidates, scores: dict[str, dict]) -> pd.DataFrame:
    """Per candidate: parameters, validation and test macro AUC, test F1 of each derived label."""
    rows = {
        n: {
            **c.params[n],
            "val macro AUC": s["validation"]["roc_auc"]["macro"],
            "test macro AUC": s["test"]["roc_auc"]["macro"],
            **{f"test {k} F1 (derived)": d["f1_at_tuned"] for k, d in s["test"]["derived"].items()},
        }
        for n, s in scores.items()
    }
    return pd.DataFrame(rows).T.round(4)


def reference_rows() -> tuple[dict[str, dict | None], list[str]]:
    """({notebook: summary row of its best model with its name under "model", or None}, notes on what is missing)."""
    rows: dict[str, dict | None] = {}
    notes = []
    for nb in REFERENCES:
        try:
            doc = read_results(nb)
        except FileNotFoundError:
            rows[nb] = None
            notes.append(f"results/{nb}.json not found (notebook not run yet)")
            continue
        m = doc["models"][doc["best"]]
        rows[nb] = {"model": doc["best"], **summary_row(m, doc["dataset"])} if "test" in m else None
        if rows[nb] is None:
            notes.append(f"results/{nb}.json: {doc['best']} was not scored ({m.get('note', 'skipped')})")
    return rows, notes


def side_rows(reference: dict[str, dict | None], c: Candidates, scores: dict[str, dict], dataset: str) -> dict:
    """Rows of the side-by-side table: the report's Jigsaw row, the other notebooks' best models, the candidates."""
    rows = {"report (best model), Jigsaw": {"dataset": "jigsaw", **REPORT_JIGSAW}}
    for nb, row in reference.items():
        if row is not None:
            rows[f"{nb}: {row['model']}"] = {k: v for k, v in row.items() if k != "model"}
    for n in c.probs:
        rows[f"BestResult: {n}"] = summary_row({**scores[n], "params": {"total": c.params[n]["total"]}}, dataset)
    return rows
