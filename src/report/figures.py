"""REPORT.md's figures, drawn from the results files only (results/*.json), one PNG each.

Each figure is a public function taking the loaded results files ({name: doc}, `load_docs`), so a notebook can draw
it from its own run; `draw_all` writes every figure whose inputs exist and skips the others with a note naming the
missing file or key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from matplotlib.figure import Figure

from src import ROOT
from src.report.figures_common import MissingData, load_docs, save, style
from src.report.figures_compress import pareto, pruning_curve
from src.report.figures_data import headline_metrics, identity_fpr, label_rates_lengths, per_label_f1
from src.report.figures_models import learning_curve, size_answer, size_vs_auc

__all__ = ["FIGURES", "MissingData", "draw_all", "load_docs", "size_answer"]
__all__ += ["headline_metrics", "identity_fpr", "label_rates_lengths", "learning_curve", "pareto", "per_label_f1"]
__all__ += ["pruning_curve", "size_vs_auc"]

log = logging.getLogger(__name__)
FIGURES_DIR = ROOT / "reports" / "figures"
# Figure name (its file is <name>.png) -> the function drawing it, in the report's order.
FIGURES: dict[str, Callable[[Mapping[str, dict]], Figure]] = {
    "data": label_rates_lengths,
    "headline": headline_metrics,
    "size_vs_auc": size_vs_auc,
    "learning_curve": learning_curve,
    "per_label_f1": per_label_f1,
    "pareto": pareto,
    "pruning": pruning_curve,
    "identity_fpr": identity_fpr,
}


def draw_all(results: Path, out: Path) -> dict[str, Path]:
    """Draw every figure whose inputs are in `results` into `out`; {figure name: file written}."""
    docs, written = load_docs(Path(results)), {}
    for name, draw in FIGURES.items():
        try:
            with style():
                written[name] = save(draw(docs), Path(out) / f"{name}.png")
        except MissingData as e:
            log.warning("figure %s skipped: %s", name, e)
    return written
