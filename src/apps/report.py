"""Re-render REPORT.md and its figures from the results files, without running any notebook.

python -m src.apps.report [--results DIR] [--report PATH]   (make report does this after the notebooks)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from src import ROOT
from src.common.results import results_dir
from src.report.docs_example import refresh_docs
from src.report.render import main_body_words, render


def main(argv: list[str] | None = None) -> None:
    """Render the report and say how long its main body is."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--results", type=Path, default=None, help="results folder (default: $TOXIC_RESULTS_DIR or results/)"
    )
    ap.add_argument("--report", type=Path, default=ROOT / "REPORT.md")
    a = ap.parse_args(argv)
    text = render(a.report, a.results or results_dir())
    print(f"updated {a.report}: main body {main_body_words(text):,} words")
    if a.results is None and refresh_docs(ROOT):  # its command-line example shows the saved model's real output
        print("updated docs/serving.md's example output")


if __name__ == "__main__":
    main()
