"""Results-file model records built from runs, so each notebook's results cell stays a few lines long."""

from __future__ import annotations

from dataclasses import asdict

from src.evaluation.records import model_entry, seed_record
from src.models.encoder import ModelConfig
from src.models.size import state_bytes
from src.studies.runs import Run, entry, scores


def ensemble_entry(run: Run, s: dict, size: int, k: int, **extra) -> dict:
    """Record of a k-member ensemble of same-size models: one member's entry with params and bytes times k."""
    e = entry(run, s, k * size, **extra)
    e["params"] = {key: k * v for key, v in e["params"].items()}
    return e


def sweep_entries(
    runs: dict[str, list[Run]], sweep: dict[str, tuple[int, ModelConfig]], data: dict, labels: list[str], derived: dict
) -> dict[str, dict]:
    """'sweep: <name>' records: the first sweep seed's scores, its config, every sweep seed's validation AUC."""
    out = {}
    for n, rs in runs.items():
        v, cfg = sweep[n]
        s = scores(rs[:1], data[v], labels, derived)
        out[f"sweep: {n}"] = entry(
            rs[0], s, config=asdict(cfg), val_macro_auc_over_sweep_seeds=[r.history.best_auc for r in rs]
        )
    return out


def final_entries(
    main: Run, group_scores: dict[str, dict[tuple, dict]], size: int, config: ModelConfig, **extra
) -> dict[str, dict]:
    """BaseAttention's final models: the saved single model and, if scored, the 2-seed ensemble, with seed records.

    `extra` holds the single model's train config, sweep name and checkpoint path.
    """
    single = group_scores["single"]
    out = {
        "best_single": entry(
            main, single[next(iter(single))], size, config=asdict(config), **extra, seeds=seed_record(single)
        )
    }
    if "2-seed ensemble" in group_scores:
        pairs = group_scores["2-seed ensemble"]
        pair = next(iter(pairs))
        out["best_2seed_ensemble"] = ensemble_entry(
            main,
            pairs[pair],
            size,
            2,
            config=asdict(config),
            sweep_name=extra.get("sweep_name"),
            members=list(pair),
            seeds=seed_record(pairs),
            note="mean of two seeds' probabilities; rebuilt by this notebook, not saved",
        )
    return out


def glove_mode_entries(
    runs: dict[str, Run], mode_scores: dict[str, dict], saved: tuple[str, int], info: dict
) -> dict[str, dict]:
    """BestResult part 1: a 'glove_<mode>' record per embedding mode (`info[mode]`: config, OOV rates, ...).

    `saved` = (record name, bytes) of the saved checkpoint: that record gets the file's size, others their weights'.
    """
    out = {}
    for mode, r in runs.items():
        name = f"glove_{mode}"
        out[name] = model_entry(
            r.params["total"],
            r.params["trainable"],
            saved[1] if name == saved[0] else state_bytes(r.model),
            mode_scores[mode],
            seconds_per_epoch=r.history.seconds_per_epoch,
            best_epoch=r.history.best_epoch + 1,
            **info[mode],
        )
    return out


def combo_entry(params: dict, nbytes: int, s: dict, **extra) -> dict:
    """Record of a combination of models (ensemble, blend): summed params and bytes."""
    return model_entry(params["total"], params["trainable"], nbytes, s, **extra)
