"""The time budget's knob chooser (a pure function of rates, references and the budget) and its reference records."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from src.apps.budget import (
    COSTS,
    FINAL_FLOOR,
    MARGIN,
    SWEEP_FLOOR,
    SWEEP_LADDER,
    Rates,
    Reference,
    candidates,
    choose,
    full_knobs,
    notebook_params,
    predict,
)
from src.apps.calibrate import reference, references

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = list(COSTS)
# A reference like the committed hour-profile record (seconds per notebook on the proxy, 127,657 train rows)
SECONDS = {
    "LookAtData": 7.0,
    "baseline": 511.0,
    "Teacher": 6.0,
    "BaseAttention": 714.0,
    "BestResult": 665.0,
    "Shrink": 1147.0,
    "Behaviour": 323.0,
}
ROWS = 127_657
REF = Reference(SECONDS, {nb: {"sweep_sample": 20_000} for nb in SECONDS}, ROWS, Rates(5000.0, 100.0), "test")


def _at(slowdown: float, tfidf_slowdown: float | None = None) -> Rates:
    """This machine's rates when it is `slowdown` times slower than the reference's."""
    return Rates(5000.0 / slowdown, 100.0 / (tfidf_slowdown or slowdown))


def test_same_machine_predicts_the_reference() -> None:
    predicted = predict([REF], _at(1.0), full_knobs(NOTEBOOKS), ROWS, NOTEBOOKS)
    assert predicted == pytest.approx(SECONDS)


def test_fast_machine_keeps_the_hour_profile() -> None:
    plan = choose([REF], _at(0.5), 60 * 60, ROWS, NOTEBOOKS, spent_s=20)
    assert plan.fits and not plan.at_floor and plan.knobs == full_knobs(NOTEBOOKS)
    assert plan.limit_s == 60 * 60 * (1 - MARGIN)
    assert notebook_params(plan.knobs, NOTEBOOKS)["BaseAttention"] == {"sweep_sample": 20_000, "sweep_seeds": [0, 1]}


def test_slower_machine_smaller_sweep_never_below_the_floor() -> None:
    """Slowdowns from 0.5x to 3x: the sweep never grows, the seeds never grow, nothing goes below the floor."""
    last_rows, last_seeds = SWEEP_LADDER[0], full_knobs(NOTEBOOKS).seeds
    shrunk = False
    for slowdown in [0.5 + 0.05 * i for i in range(51)]:
        plan = choose([REF], _at(slowdown), 60 * 60, ROWS, NOTEBOOKS)
        rows, seeds = plan.knobs.sweep_sample, plan.knobs.seeds
        assert SWEEP_FLOOR <= rows <= last_rows and all(seeds[nb] <= last_seeds[nb] for nb in seeds)
        assert all(seeds[nb] >= COSTS[nb].seeds_floor for nb in seeds)
        if plan.fits:
            assert sum(plan.predicted.values()) <= plan.limit_s
        shrunk |= plan.fits and rows < SWEEP_LADDER[0]
        last_rows, last_seeds = rows, seeds
    assert shrunk  # some slowdown fits only with a smaller sweep


def test_sample_first_then_seeds() -> None:
    """The seeds shrink only once the sweep sample is at its floor."""
    for slowdown in [0.5 + 0.01 * i for i in range(100)]:
        plan = choose([REF], _at(slowdown), 60 * 60, ROWS, NOTEBOOKS)
        if plan.knobs.seeds != full_knobs(NOTEBOOKS).seeds:
            assert plan.knobs.sweep_sample == SWEEP_FLOOR


def test_floor_does_not_fit_says_so_and_runs_at_the_floor() -> None:
    plan = choose([REF], _at(3.0), 60 * 60, ROWS, NOTEBOOKS)
    assert not plan.fits and plan.at_floor and plan.message.startswith("WARNING")
    assert plan.knobs.sweep_sample == SWEEP_FLOOR
    params = notebook_params(plan.knobs, NOTEBOOKS)
    assert params["BaseAttention"]["sweep_seeds"] == [0] and params["Behaviour"]["mitigation_seeds"] == [0, 1]
    assert params["BestResult"] == {"sweep_sample": SWEEP_FLOOR, "seeds": [0, 1]}
    assert "baseline" not in params


def test_rates_rows_and_references() -> None:
    knobs = full_knobs(NOTEBOOKS)
    slow_tfidf = predict([REF], _at(1.0, tfidf_slowdown=2.0), knobs, ROWS, NOTEBOOKS)
    assert slow_tfidf["baseline"] == pytest.approx(2 * SECONDS["baseline"])  # harder TF-IDF: only the baseline
    assert slow_tfidf["BaseAttention"] == pytest.approx(SECONDS["BaseAttention"])
    no_tfidf = Reference(SECONDS, REF.params, ROWS, Rates(5000.0), "old")
    assert predict([no_tfidf], _at(2.0, 1.0), knobs, ROWS, ["baseline"])["baseline"] == pytest.approx(1022.0)
    tiny = predict([REF], _at(1.0), knobs, ROWS // 100, NOTEBOOKS)  # every row part scales with rows
    assert all(tiny[nb] < 0.1 * SECONDS[nb] for nb in NOTEBOOKS)
    one_core = predict([REF], Rates(5000.0, 100.0, cores=1), knobs, ROWS, NOTEBOOKS)  # 2 workers share it
    assert one_core == pytest.approx({nb: 2 * s for nb, s in SECONDS.items()})
    assert predict([REF], Rates(5000.0, 100.0, cores=16), knobs, ROWS, NOTEBOOKS) == pytest.approx(SECONDS)
    harder = Reference({**SECONDS, "baseline": 900.0}, REF.params, ROWS, REF.rates, "conditional")
    assert predict([REF, harder], _at(1.0), knobs, ROWS, ["baseline"])["baseline"] == pytest.approx(900.0)


def test_sweep_seeds_match_the_notebooks() -> None:
    """COSTS' seed defaults are the notebooks' own parameters (read from their parameters cells)."""
    for nb, cost in COSTS.items():
        if not cost.seeds_param:
            continue
        cell = next(
            c
            for c in nbformat.read(ROOT / "notebooks" / f"{nb}.ipynb", 4).cells
            if "parameters" in c.metadata.get("tags", [])
        )
        values = {
            t.id: ast.literal_eval(n.value)
            for n in ast.parse(cell.source).body
            if isinstance(n, ast.Assign)
            for t in n.targets
        }
        assert tuple(values[cost.seeds_param]) == cost.seeds, nb


def test_committed_records_are_references(tmp_path: Path) -> None:
    refs = references()
    assert refs and all(r.train_rows > 0 and r.rates.train_rows_per_s > 0 for r in refs)
    assert set(SECONDS) <= set(refs[0].seconds)
    doc = json.loads((ROOT / "results" / "scale_jigsaw_proxy.json").read_text())
    doc["budget"] = {"rates": {"train_rows_per_s": 123.0, "tfidf_rows_per_s": 4.0}, "train_rows": 999}
    (tmp_path / "r.json").write_text(json.dumps(doc))
    ref = reference(tmp_path / "r.json")  # a record with its own calibration uses it
    assert ref.rates == Rates(123.0, 4.0) and ref.train_rows == 999 and ref.measured
    old = json.loads((ROOT / "results" / "scale_jigsaw_proxy.json").read_text()) | {"budget": None}
    (tmp_path / "scale_jigsaw_proxy.json").write_text(json.dumps(old))  # rates estimated from its BaseAttention
    assert not reference(tmp_path / "scale_jigsaw_proxy.json").measured
    assert [r.name for r in references(tmp_path)] == ["results/scale_jigsaw_proxy.json"]  # the only one: used
    (tmp_path / "scale_jigsaw_proxy_conditional.json").write_text(json.dumps(doc))
    assert [r.name for r in references(tmp_path)] == ["results/scale_jigsaw_proxy_conditional.json"]  # measured wins
    doc["notebooks"] = {}
    (tmp_path / "r.json").write_text(json.dumps(doc | {"budget": None}))
    assert reference(tmp_path / "r.json") is None


def test_pipeline_applies_the_budget_except_on_ghc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--budget-minutes plans a non-GHC hour run (its knobs reach run_all); GHC and the full profile never plan."""
    from src.apps.pipeline import main as pipeline_main

    seen, planned = {}, {"BaseAttention": {"sweep_sample": 8000}}
    monkeypatch.setattr("src.apps.pipeline.run_all", lambda *a, **k: seen.update(k) and 0)
    monkeypatch.setattr("src.apps.calibrate.plan_run", lambda *a: seen.setdefault("plan", a) and planned)
    monkeypatch.setattr("src.report.render.render", lambda *a: None)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "budget.json").write_text("{}")  # an earlier run's plan
    args = ["--out", str(tmp_path), "--notebooks", "LookAtData", "--budget-minutes", "60"]
    pipeline_main(["--dataset", "jigsaw", *args])
    assert seen.pop("overrides") == planned and seen.pop("plan")[2:] == (60.0, ["LookAtData"])
    pipeline_main(["--dataset", "jigsaw", *args, "--profile", "full"])
    assert seen.pop("overrides") is None and "plan" not in seen
    assert not (tmp_path / "results" / "budget.json").exists()  # not this run's plan: removed
    monkeypatch.setattr("src.apps.pipeline.ROOT", tmp_path)  # GHC renders in place: keep the checkout's REPORT.md
    monkeypatch.setattr("src.apps.pipeline.subprocess.run", lambda *a, **k: None)
    (tmp_path / "REPORT.md").write_text("")
    pipeline_main(["--dataset", "ghc", "--notebooks", "LookAtData", "--budget-minutes", "60"])
    assert seen.pop("overrides") is None and "plan" not in seen


def test_headline_seeds_after_the_sweep_floor() -> None:
    """Past the sweep floor the headline seeds drop to one pair; each step predicts less, and the notebooks get the
    cut seeds (the hour profile's own when uncut)."""
    options = candidates(NOTEBOOKS)
    full = full_knobs(NOTEBOOKS)
    assert full.final_seeds == {"BaseAttention": 4, "BestResult": 4, "Shrink": 4}
    last = options[-1]
    assert last.final_seeds == dict.fromkeys(full.final_seeds, FINAL_FLOOR) and last.sweep_sample == SWEEP_FLOOR
    assert all(k.final_seeds == full.final_seeds for k in options[:-1])
    totals = [sum(predict([REF], _at(1.0), k, ROWS, NOTEBOOKS).values()) for k in options]
    assert all(b < a for a, b in zip(totals, totals[1:], strict=False))
    assert "seeds" not in notebook_params(full, NOTEBOOKS)["BestResult"]  # uncut: the profile's own
    params = notebook_params(last, NOTEBOOKS)
    assert all(params[nb]["seeds"] == [0, 1] for nb in full.final_seeds)
    assert "seeds" not in params["Behaviour"] and "baseline" not in params
    slower = next(x / 10 for x in range(10, 30) if not choose([REF], _at(x / 10), 3600, ROWS, NOTEBOOKS).fits)
    plan = choose([REF], _at(slower - 0.1), 3600, ROWS, NOTEBOOKS)  # the slowest that fits: cut headline seeds
    assert plan.fits and plan.knobs.final_seeds == dict.fromkeys(full.final_seeds, FINAL_FLOOR)


def test_headline_seeds_scale_by_rounds_of_workers() -> None:
    """Two workers: 3 and 4 seeds are both two rounds, 2 seeds one; a reference's own seeds count."""
    knobs = full_knobs(NOTEBOOKS)
    three = Reference(SECONDS, {nb: {"sweep_sample": 20_000, "seeds": [0, 1, 2]} for nb in SECONDS}, ROWS, REF.rates)
    assert predict([three], _at(1.0), knobs, ROWS, NOTEBOOKS) == pytest.approx(SECONDS)
    two = Reference(SECONDS, {nb: {"sweep_sample": 20_000, "seeds": [0, 1]} for nb in SECONDS}, ROWS, REF.rates)
    more = predict([two], _at(1.0), knobs, ROWS, NOTEBOOKS)  # the profile's 4 seeds: two rounds, not one
    assert more["BestResult"] > SECONDS["BestResult"] and more["baseline"] == pytest.approx(SECONDS["baseline"])
