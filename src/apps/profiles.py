"""Notebook parameter profiles of `make report`: what a run at Jigsaw's size cuts to fit one hour on 2 cores.

"full" changes nothing: every notebook's own parameters cell (what GHC renders). "hour" is the default for
DATASET=jigsaw (`make report DATASET=jigsaw PROFILE=full` gives the full settings). Every cut is a notebook
parameter, only comparisons between configurations use the sample, and every saved model trains on every row.
With a time budget (`make report` passes BUDGET_MIN on non-GHC data) the sweep sample, the sweep seeds and then the
headline seeds may shrink further to fit it on the machine at hand (src/apps/budget.py).
"""

from __future__ import annotations

SWEEP_ROWS = 20_000  # of Jigsaw's 127,657 train-split rows: ~1.1x GHC's train split, where sweeps take minutes

PROFILES: dict[str, dict[str, dict[str, object]]] = {
    "full": {},
    "hour": {
        # 10 sweep configurations x 2 seeds, the report setting (15 epochs) and the init study on the sample;
        # the final model's seeds on every row, 4 of them as on GHC: two at a time, a third alone would leave a core
        # idle for a whole every-row run, and a fourth beside it costs no wall time. The report's question
        # scores the sweep's own two seeds on test (no third seed: ten more runs do not fit the hour).
        "BaseAttention": {"sweep_sample": SWEEP_ROWS, "seeds": [0, 1, 2, 3], "question_seeds": [0, 1]},
        # 4 embedding modes, the distillation alphas and the class-weight ablation on the sample; 3 epochs (GHC: up
        # to 10 with early stopping), which at 7x GHC's rows is still more steps than GHC's 10.
        # Its seeds: 4, so the every-row runs go two at a time (Jigsaw has no teacher cache, so alpha is 0 and each
        # seed is one run: with 3, the third trained alone for minutes with a core idle).
        "BestResult": {"sweep_sample": SWEEP_ROWS, "epochs": 3, "seeds": [0, 1, 2, 3]},
        # fp32/fp64 training, pruning fine-tunes and each teacher's alpha grid on the sample; two runs side by side.
        # 4 student seeds: with 3, each student's every-row distillation round ended with one run alone (the
        # conditional proxy's record: 124 s and 200 s with a core idle, its cell 10).
        # The GloVe-started students and their transfer set are GHC's study (two more 10-epoch recipes on every row
        # would not fit the hour).
        "Shrink": {
            "sweep_sample": SWEEP_ROWS,
            "workers": 2,
            "seeds": [0, 1, 2, 3],
            "glove_students": {},
        },
        # the augmentation study (4 variants x 3 seeds of BaseAttention's recipe) on the sample; its `balance`
        # variant and the GloVe recipe's study (its section 5b) are left out: the measured hour (`make scale`: 3,538 of
        # 3,600 s, with these four variants) has no room for them.
        "Behaviour": {
            "sweep_sample": SWEEP_ROWS,
            "augment": ["plain", "suite", "noise", "suite+noise"],
            "augment_glove": [],
        },
    },
}


def params_for(profile: str, notebook: str, overrides: dict[str, dict] | None = None) -> list[tuple[str, str]]:
    """(name, value) pairs for `notebooks run -p`: values as Python literals, which the runner parses back.

    `overrides` (notebook -> parameters: the time budget's knobs, src.apps.budget) replace the profile's values.
    """
    if profile not in PROFILES:
        raise SystemExit(f"error: unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    params = PROFILES[profile].get(notebook, {}) | (overrides or {}).get(notebook, {})
    return [(k, repr(v)) for k, v in params.items()]
