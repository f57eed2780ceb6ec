"""The hour profile's time budget: predict each notebook's time from a quick measurement, shrink the sweeps to fit.

A non-GHC `make report` (and `make scale`) is given BUDGET_MIN minutes (default 60). Before the first notebook,
`src.apps.calibrate` times two probes on this machine (seconds); each notebook's time is then predicted by scaling
its time in a committed `make scale` record (the reference) by how much slower this machine's probes are, by the
train rows, and by the sweep knobs (`predict`). `choose` keeps the hour profile's knobs when the prediction fits
the budget less a 25% margin; otherwise it shrinks `sweep_sample` (down to SWEEP_FLOOR rows), then the sweep
seeds (down to each notebook's floor), then the headline seeds (4 -> FINAL_FLOOR: one pair, both cores busy and a
sample std still defined). Saved models and headline seeds always train on every row; when even the floor does not
fit, the run says so loudly and runs at the floor. Epochs are not a knob: a notebook's `epochs` also sets its
sample-trained comparisons, and one epoch on the 8,000-row sample left a proxy run's sweep near chance on validation,
so the sweep could no longer rank its configurations.

The shares in COSTS (how much of a notebook's time each knob scales) are estimates from each notebook's code:
row-epochs of its sample-trained runs against those of its every-row runs at the hour profile's settings (e.g.
BaseAttention: the report setting, 10 configurations x 2 seeds and the init study on 20,000 rows, against 4 final
seeds on 127,657 rows, tokenizers and the per-run validation/test passes). They only need to be roughly right:
the reference record is remeasured by every `make scale`, so the fixed parts are measured, not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from src.apps.profiles import PROFILES

SWEEP_LADDER = (20_000, 16_000, 12_000, 10_000, 8_000)  # sweep_sample values tried, the hour profile's first
# The floor: below ~8,000 rows the rarest Jigsaw label (threat, 0.30%) has under ~25 positives in the sample, too
# few for the sample-trained comparisons to rank configurations by validation AUC.
SWEEP_FLOOR = SWEEP_LADDER[-1]
# Headline seeds train on every row, WORKERS at a time: 2 is one round with both cores busy (3 would leave one idle)
# and the fewest that give a sample std.
FINAL_FLOOR = 2
MARGIN = 0.25  # share of the budget left free for a slower-than-predicted machine or harder labels
WORKERS = 2  # processes the hour profile trains side by side (src/apps/profiles.py and the notebooks' defaults)


@dataclass(frozen=True)
class Rates:
    """Probe speeds of one machine (src.apps.calibrate)."""

    train_rows_per_s: float  # BaseAttention's recipe, one torch thread: train rows per second of one epoch
    tfidf_rows_per_s: float | None = None  # TF-IDF + LR fit on the probe sample (None: not measured)
    cores: int = 2  # CPU cores: the profile runs 2 workers side by side, which share a single core


@dataclass(frozen=True)
class Cost:
    """How a notebook's time depends on the knobs the budget may change."""

    sample_share: float = 0.0  # share of its time that scales with sweep_sample rows (the rest: with all rows)
    seed_share: float = 0.0  # share of that sample part that scales with the number of sweep seeds
    seeds_param: str | None = None  # its notebook parameter listing the sweep seeds (None: no such knob)
    seeds: tuple[int, ...] = ()  # that parameter's default (the notebook's parameters cell)
    seeds_floor: int = 1  # fewest sweep seeds the budget may leave
    rate: str = "train"  # which probe scales it: "train" (torch) or "tfidf"
    final_share: float = 0.0  # share of its every-row part spent in the headline seeds' runs (parameter `seeds`)
    final_seeds: int = 0  # headline seeds a reference ran with when its record does not say (the notebook's default)


COSTS: dict[str, Cost] = {
    "LookAtData": Cost(),
    "baseline": Cost(rate="tfidf"),  # every row, no knob: two TF-IDF + LR fits
    "Teacher": Cost(),
    # report setting (15 epochs, one process), 10 configurations x sweep seeds, init study: sample; headline seeds:
    # all rows, beside three BPE tokenizers trained on every row and each run's validation and test passes
    "BaseAttention": Cost(0.40, 0.65, "sweep_seeds", (0, 1), 1, final_share=0.4, final_seeds=4),
    # 4 modes, 2 alphas, 2 class weightings on the sample; its seeds on all rows (and their suite scoring)
    "BestResult": Cost(0.17, final_share=0.6, final_seeds=3),
    # fp32/fp64, pruning fine-tunes, each student's alpha grid on the sample; its seeds on all rows, besides the
    # teachers' labels of every row and each model's throughput on the test split
    "Shrink": Cost(0.16, final_share=0.5, final_seeds=3),
    # part 5: 4 augmentations x mitigation seeds on the sample (mean +- std needs 2 seeds); suite scoring: fixed
    "Behaviour": Cost(0.40, 1.0, "mitigation_seeds", (0, 1, 2), 2),
}


@dataclass(frozen=True)
class Reference:
    """A measured hour-profile run that predictions scale from (a `make scale` record)."""

    seconds: dict[str, float]  # wall seconds per notebook
    params: dict[str, dict]  # notebook parameters it ran with (sweep_sample, sweep seeds)
    train_rows: int  # rows of its train split
    rates: Rates  # its probe speeds
    name: str = ""  # where it came from, for the record
    measured: bool = True  # rates from the record's own probes (False: estimated from its BaseAttention throughput)


@dataclass(frozen=True)
class Knobs:
    """What the budget sets: one sweep sample, and sweep and headline seed counts per notebook."""

    sweep_sample: int  # train rows of the sample-trained comparisons
    seeds: dict[str, int] = field(default_factory=dict)  # notebook -> number of sweep seeds (first n of the default)
    final_seeds: dict[str, int] = field(default_factory=dict)  # notebook -> headline seeds (first n of the profile's)


@dataclass(frozen=True)
class Plan:
    """The chosen knobs and what they are predicted to cost."""

    knobs: Knobs  # the knobs to run with
    predicted: dict[str, float]  # notebook -> predicted wall seconds on this machine
    limit_s: float  # the budget less the margin, in seconds
    fits: bool  # predicted total (calibration included) <= limit_s
    at_floor: bool  # every knob is at its floor
    message: str  # one line for the log and the record


def hour_seeds(nb: str) -> list[int]:
    """The hour profile's headline seeds of notebook `nb` ([] where it sets none)."""
    return list(PROFILES["hour"].get(nb, {}).get("seeds", []))  # type: ignore[call-overload]


def full_knobs(notebooks: list[str]) -> Knobs:
    """The hour profile's knobs: its sweep sample, every notebook's default sweep seeds, its headline seeds."""
    seeds = {nb: len(COSTS[nb].seeds) for nb in notebooks if COSTS.get(nb, Cost()).seeds}
    final = {nb: len(hour_seeds(nb)) for nb in notebooks if COSTS.get(nb, Cost()).final_share}
    return Knobs(SWEEP_LADDER[0], seeds, final)


def _rounds(n: int) -> int:
    """Rounds of WORKERS side-by-side runs that n seeds take."""
    return -(-max(1, n) // WORKERS)


def _ratio(ref: Rates, now: Rates, kind: str) -> float:
    """How many times slower this machine is than the reference one, for one probe (the train probe if missing);
    fewer cores than the 2 the profile keeps busy count too (more never help: the profile runs 2 workers)."""
    cores = min(WORKERS, ref.cores) / min(WORKERS, max(1, now.cores))
    if kind == "tfidf" and ref.tfidf_rows_per_s and now.tfidf_rows_per_s:
        return cores * ref.tfidf_rows_per_s / now.tfidf_rows_per_s
    return cores * ref.train_rows_per_s / now.train_rows_per_s


def predict_one(nb: str, ref: Reference, rates: Rates, knobs: Knobs, train_rows: int) -> float:
    """Predicted wall seconds of notebook `nb` with `knobs` on a machine with `rates` and `train_rows` rows."""
    if nb not in ref.seconds:
        return 0.0
    cost, params = COSTS.get(nb, Cost()), ref.params.get(nb, {})
    ref_sample = min(params.get("sweep_sample") or ref.train_rows, ref.train_rows)
    sample = min(knobs.sweep_sample, train_rows) / ref_sample
    seeds = 1.0
    if cost.seeds_param:
        ref_seeds = len(params.get(cost.seeds_param, cost.seeds))
        seeds = 1 - cost.seed_share + cost.seed_share * knobs.seeds.get(nb, ref_seeds) / ref_seeds
    final = 1.0
    if cost.final_share:
        ref_final = len(params.get("seeds") or ()) or cost.final_seeds
        now = knobs.final_seeds.get(nb, ref_final)
        final = 1 - cost.final_share + cost.final_share * _rounds(now) / _rounds(ref_final)
    every_row = (1 - cost.sample_share) * train_rows / ref.train_rows * final
    share = every_row + cost.sample_share * sample * seeds
    return ref.seconds[nb] * _ratio(ref.rates, rates, cost.rate) * share


def predict(refs: list[Reference], rates: Rates, knobs: Knobs, train_rows: int, notebooks: list[str]) -> dict:
    """Notebook -> predicted wall seconds: the largest prediction over the references (the harder proxy wins)."""
    return {nb: max(predict_one(nb, r, rates, knobs, train_rows) for r in refs) for nb in notebooks}


def candidates(notebooks: list[str]) -> list[Knobs]:
    """Knobs from the hour profile's to the floor: the sweep sample shrinks first, then the sweep seeds, then the
    headline seeds."""
    full = full_knobs(notebooks)
    out = [Knobs(rows, full.seeds, full.final_seeds) for rows in SWEEP_LADDER]
    floor = {nb: min(n, COSTS[nb].seeds_floor) for nb, n in full.seeds.items()}
    if floor != full.seeds:
        out.append(Knobs(SWEEP_FLOOR, floor, full.final_seeds))
    final = {nb: min(n, FINAL_FLOOR) for nb, n in full.final_seeds.items()}
    if final != full.final_seeds:
        out.append(Knobs(SWEEP_FLOOR, floor, final))
    return out


def describe(knobs: Knobs) -> str:
    """The knobs in one line for the log and the record."""
    return f"sweep_sample {knobs.sweep_sample:,}, sweep seeds {knobs.seeds}, headline seeds {knobs.final_seeds}"


def choose(
    refs: list[Reference], rates: Rates, budget_s: float, train_rows: int, notebooks: list[str], spent_s: float = 0.0
) -> Plan:
    """The first candidate whose predicted total (plus `spent_s`, the calibration) fits the budget less MARGIN."""
    limit = budget_s * (1 - MARGIN)
    options = candidates(notebooks)
    for i, knobs in enumerate(options):
        predicted = predict(refs, rates, knobs, train_rows, notebooks)
        total = spent_s + sum(predicted.values())
        if total <= limit:
            how = "the hour profile's knobs" if i == 0 else describe(knobs)
            msg = f"predicted {total / 60:.1f} min <= {limit / 60:.1f} min (budget less {MARGIN:.0%}) with {how}"
            return Plan(knobs, predicted, limit, True, i == len(options) - 1, msg)
    msg = (
        f"WARNING: predicted {total / 60:.1f} min > {limit / 60:.1f} min (budget less {MARGIN:.0%}) even at the floor "
        f"({describe(knobs)}): the every-row parts alone are too slow "
        "on this machine; running at the floor anyway"
    )
    return Plan(knobs, predicted, limit, False, True, msg)


def notebook_params(knobs: Knobs, notebooks: list[str]) -> dict[str, dict[str, object]]:
    """Notebook -> parameters that set `knobs` (merged over the hour profile's by src.apps.profiles.params_for)."""
    out: dict[str, dict[str, object]] = {}
    for nb in notebooks:
        cost = COSTS.get(nb, Cost())
        if cost.sample_share > 0:
            out[nb] = {"sweep_sample": knobs.sweep_sample}
        if cost.seeds_param and nb in knobs.seeds:
            out[nb][cost.seeds_param] = list(cost.seeds[: knobs.seeds[nb]])
        if nb in knobs.final_seeds and knobs.final_seeds[nb] < len(hour_seeds(nb)):
            out.setdefault(nb, {})["seeds"] = hour_seeds(nb)[: knobs.final_seeds[nb]]
    return out
