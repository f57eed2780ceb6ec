"""`make report`: every notebook in pipeline order on one dataset, then REPORT.md's tables from the results files.

python -m src.apps.pipeline --dataset ghc                  # renders notebooks/, results/, models/, REPORT.md
python -m src.apps.pipeline --dataset jigsaw --out runs/jigsaw   # everything under runs/jigsaw/
python -m src.apps.pipeline --dataset jigsaw --out runs/jigsaw --profile full   # no cuts (hours)
python -m src.apps.pipeline --dataset jigsaw --out runs/jigsaw --budget-minutes 60   # hour profile fitted to 60 min

GHC renders the committed notebooks, results and models in place. Any other run names an --out folder (`make`
uses runs/<dataset>) that receives the executed notebooks, results, models and a filled copy of REPORT.md, so a
Jigsaw or proxy run never overwrites what GHC committed. Each notebook runs in its own process, so the peak
memory recorded for it (results/notebook_times.json) is its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from src import ROOT
from src.apps.profiles import PROFILES, params_for

NOTEBOOKS = ("LookAtData", "baseline", "Teacher", "BaseAttention", "BestResult", "Shrink", "Behaviour", "Transfer")


def run_all(
    dataset: str,
    out: Path | None,
    notebooks: list[str],
    params: list[tuple[str, str]],
    profile: str = "full",
    overrides: dict[str, dict] | None = None,
) -> int:
    """Run the notebooks in order (stop at the first failure) with `profile`'s parameters, `overrides` (the time
    budget's knobs) over them and `params` over both; returns wall seconds."""
    env = dict(os.environ)
    if out is not None:
        (out / "notebooks").mkdir(parents=True, exist_ok=True)
        env |= {"TOXIC_RESULTS_DIR": str(out.resolve() / "results"), "TOXIC_MODELS_DIR": str(out.resolve() / "models")}
    start = time.time()
    for nb in notebooks:
        print(f"== {nb} ({dataset})", flush=True)
        cmd = [
            sys.executable,
            "-m",
            "src.apps.notebooks",
            "run",
            f"notebooks/{nb}.ipynb",
            "-p",
            "dataset",
            dataset,
        ]
        cmd += [x for p in [*params_for(profile, nb, overrides), *params] for x in ("-p", *p)]  # -p given last wins
        if out is not None:
            cmd += ["-o", str(out / "notebooks" / f"{nb}.ipynb")]
        if subprocess.run(cmd, cwd=ROOT, env=env).returncode != 0:
            raise SystemExit(f"error: notebooks/{nb}.ipynb failed on {dataset}; its partial output shows where")
    return int(time.time() - start)


def main(argv: list[str] | None = None) -> None:
    """CLI: run the pipeline and regenerate the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="ghc")
    ap.add_argument("--out", type=Path, default=None, help="folder for a non-GHC run (required unless ghc)")
    ap.add_argument("--notebooks", nargs="+", default=list(NOTEBOOKS))
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="notebook parameter")
    ap.add_argument("--profile", choices=sorted(PROFILES), default=None, help="default: full on ghc, hour otherwise")
    ap.add_argument("--budget-minutes", type=float, default=None, help="fit the hour profile to this (not on ghc)")
    a = ap.parse_args(argv)
    if a.dataset != "ghc" and a.out is None:
        ap.error("a non-GHC run needs --out (make uses runs/<dataset>): the committed GHC outputs must stay")
    profile = a.profile or ("full" if a.dataset == "ghc" else "hour")
    print(f"profile {profile}: {PROFILES[profile] or 'every notebook as its parameters cell says'}", flush=True)
    overrides = None
    if a.budget_minutes is not None and a.dataset != "ghc" and profile == "hour":  # GHC never calibrates or shrinks
        from src.apps.calibrate import plan_run

        overrides = plan_run(a.dataset, a.out / "results", a.budget_minutes, a.notebooks)
    elif a.out is not None:  # no budget this time: an earlier run's plan must not be read as this one's
        (a.out / "results" / "budget.json").unlink(missing_ok=True)
    seconds = run_all(a.dataset, a.out, a.notebooks, a.p, profile, overrides=overrides)
    from src.common.results import results_dir
    from src.report.docs_example import refresh_docs
    from src.report.render import render

    if a.out is None:
        subprocess.run([sys.executable, "-m", "ruff", "format", "-q", "notebooks"], cwd=ROOT, check=False)
        report, results = ROOT / "REPORT.md", results_dir()
    else:  # the same template, every number and claim rendered from this run's results
        report, results = a.out / "REPORT.md", a.out / "results"
    missing = [nb for nb in NOTEBOOKS if not (results / f"{nb}.json").is_file()]
    if missing:  # a partial run into a fresh folder: the report needs every notebook's results
        print(f"{report} not rendered: no results yet for {', '.join(missing)} ({seconds} s)")
        return
    render(report, results, seconds if list(a.notebooks) == list(NOTEBOOKS) else None)  # a full run's time only
    print(f"updated {report} ({seconds} s)")
    if a.out is None and refresh_docs(ROOT):  # its command-line example shows the saved model's real output
        print("updated docs/serving.md's example output (rerun with the new model)")


if __name__ == "__main__":
    main()
