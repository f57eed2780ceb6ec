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


def shrink_variant_entries(
    counts: dict, prec: tuple[dict, dict], prune: tuple[dict, dict], tok_bytes: int
) -> dict[str, dict]:
    """Shrink's precision and pruning variants of one model: (scores, table rows) of each, same parameter counts."""
    out = {}
    for name, s in prec[0].items():
        m = prec[1][name]
        extra = {k: m[k] for k in ("weights_bytes", "model_only_per_s")}
        out[f"precision: {name}"] = model_entry(counts["total"], counts["trainable"], m["size_bytes"], s, **extra)
    for name, s in prune[0].items():
        m = prune[1][name]
        stored = min(m["dense_bytes"], m["sparse_csr_bytes"]) + tok_bytes  # zeros pay only when stored sparsely
        extra = {k: m[k] for k in m if k not in ("val_auc", "test_auc")}
        out[name] = model_entry(counts["total"], counts["trainable"], stored, s, **extra)
    return out


def student_entries(
    study: dict, seed_scores: dict, students: dict, chosen: dict, speed, temperature: float
) -> dict[str, dict]:
    """Shrink's distilled students: '<student>: <teacher>' records of the first seed, with the seed spread."""
    from src.evaluation.compress import checkpoint_bytes

    out = {}
    for (sname, t), ss in seed_scores.items():
        first = next(iter(ss))
        run = study[sname][t]["runs"][first]
        e2e = speed.loc[sname, "comments_per_s"] if t == chosen[sname] and sname in speed.index else None
        c = run.params
        out[f"{sname}: {t}"] = model_entry(
            c["total"],
            c["trainable"],
            checkpoint_bytes(run.model, students[sname][1]),
            ss[first],
            alpha=study[sname][t]["alpha"],
            temperature=temperature,
            teacher=None if t == "plain" else t,
            config=asdict(students[sname][2]),
            comments_per_s=e2e,
            saved=bool(e2e),
            seeds=seed_record(ss),
        )
    return out
