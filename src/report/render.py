"""REPORT.md from the results files: a Jinja2 template (templates/REPORT.md) whose every number is a reference into
results/*.json or the report's published numbers, its tables built here, its figures drawn by src.report.figures.

The entry point is `make report` (src/apps/pipeline.py); `python -m src.apps.report` re-renders without running
the notebooks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from src.common.results import write_json
from src.report import published
from src.report.bench_tables import table_bench
from src.report.figures import draw_all, size_answer
from src.report.figures_common import load_docs
from src.report.markdown import md_table
from src.report.side_tables import table_behaviour, table_scale
from src.report.tables import saved_entry, table_data, table_headline, table_models, table_per_label, table_time
from src.report.template import render as render_template

TEMPLATE = "REPORT.md"
FIGURES = Path("reports") / "figures"  # beside REPORT.md, so the relative links work wherever it is rendered
APPENDIX = "## Appendix"  # where the main body ends (its words are counted)
OTHER_FILES = (
    "bench",
    "scale_jigsaw_proxy",
    "scale_jigsaw_proxy_conditional",
    "notebook_times",
    "report_time",
    "Transfer",
)


def load_all(directory: Path) -> dict[str, dict]:
    """Every results file the report reads ({name: doc}); a missing or unreadable file is simply absent."""
    docs: dict[str, Any] = dict(load_docs(directory))
    for name in OTHER_FILES:
        path = directory / f"{name}.json"
        try:
            docs[name] = json.loads(path.read_text()) if path.is_file() else docs.get(name)
        except json.JSONDecodeError:
            docs.pop(name, None)
    return {k: v for k, v in docs.items() if v}


def published_table() -> str:
    """The report's own Jigsaw numbers (src.report.published), one row per notebook."""
    return md_table(["notebook", "what the report published (Jigsaw)"], [list(r) for r in published.published_rows()])


def tables(docs: dict, directory: Path) -> dict[str, str]:
    """Every Markdown table of the report, by name."""
    model_docs = {
        k: docs.get(k) for k in ("LookAtData", "baseline", "Teacher", "BaseAttention", "BestResult", "Shrink")
    }
    return {
        "headline": table_headline(docs),
        "published": published_table(),
        "data": table_data(docs.get("LookAtData")),
        "models": table_models(model_docs),
        "per_label": table_per_label(model_docs),
        "bench": table_bench(directory),
        "behaviour": table_behaviour(directory),
        "scale": table_scale(directory),
        "time": table_time(directory, None),
    }


def context(docs: dict, directory: Path, figures: dict[str, Path], out_dir: Path) -> dict:
    """What the template may reference: results docs, published numbers, tables, figure links, derived answers."""
    saved = {nb: saved_entry(docs, nb) for nb in ("baseline", "BaseAttention", "BestResult") if docs.get(nb)}
    return {
        "d": docs,
        "pub": published,
        "t": tables(docs, directory),
        "fig": {name: path.relative_to(out_dir).as_posix() for name, path in figures.items()},
        "answer": size_answer(docs) if docs.get("baseline") else None,
        "saved": {nb: {"name": s[0], "m": s[1]} for nb, s in saved.items() if s},
    }


def render(report: Path, directory: Path, wall_seconds: int | None = None) -> str:
    """Draw the figures and write `report` from the results in `directory`; returns the text."""
    if wall_seconds is not None:
        write_json(directory / "report_time.json", {"wall_seconds": int(wall_seconds)}, indent=None)
    out_dir = report.resolve().parent
    figures = draw_all(directory, out_dir / FIGURES)
    docs = load_all(directory)
    text = render_template(TEMPLATE, **context(docs, directory, figures, out_dir))
    text = re.sub(r"[ \t]+\n", "\n", text)  # inline tags keep a space before their line break
    text = re.sub(r"([^\n])\n(#{1,6} |!\[)", r"\1\n\n\2", text)  # headings and figures stand apart
    text = re.sub(r"\n{3,}", "\n\n", text)  # template blocks leave blank runs behind
    report.write_text(text)
    return text


def main_body_words(text: str) -> int:
    """Words before the appendix, tables and image links excluded (what a reader reads as prose)."""
    body = text.split(APPENDIX, 1)[0]
    prose = [line for line in body.splitlines() if not line.lstrip().startswith(("|", "!["))]
    return len(re.findall(r"\S+", "\n".join(prose)))
