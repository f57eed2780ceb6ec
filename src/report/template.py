"""Prose whose every number comes from a results file: Jinja2 templates, their number filters, and the check that
no number in a template (or a notebook's markdown) was typed by hand.

A template names values (`{{ r.models.tfidf_lr.test.roc_auc.macro | f3 }}`); a missing key is an error, never a
blank. Claims that depend on numbers are rendered from them too (`{% if a > b %}beats{% else %}trails{% endif %}`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import jinja2

from src.common.results import read_results

TEMPLATES = Path(__file__).resolve().parent / "templates"
DASH = "–"  # what a metric without a value (null in JSON) renders as

# Numbers a reader would take for results: decimals, percentages, thousands-grouped, and integers of 3+ digits
# (years excepted). Small counts that describe the design ("6 labels", "3 seeds") may be typed.
_NUMBER = re.compile(r"(?<![\w.\-/])(\d+\.\d+|\d+(?:\.\d+)?\s?%|\d{1,3}(?:,\d{3})+|(?!(?:19|20)\d\d\b)\d{3,})(?![\w/])")
_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`|\]\([^)\s]*\)")  # inline code and link targets are names, not claims
_NAMES = re.compile(r"\bat 0\.5\b")  # "F1 at 0.5": the report's fixed cut names a metric, it is not a result


def _num(x, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    return f"{float(x):.{digits}f}"


def _pct(x, digits: int = 1) -> str:
    return DASH if x is None else f"{100 * float(x):.{digits}f}%"


def _int(x) -> str:
    return DASH if x is None else f"{round(float(x)):,}"


def _pm(summary: Mapping | None, digits: int = 3) -> str:
    """'mean ± std' of a seed summary ({"mean", "std", ...})."""
    if not summary or summary.get("mean") is None:
        return DASH
    return f"{_num(summary['mean'], digits)} ± {_num(summary.get('std'), digits)}"


def _size(nbytes, unit: str = "MB") -> str:
    scale = {"kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
    return DASH if nbytes is None else f"{float(nbytes) / scale:.1f} {unit}"


def environment(directory: Path = TEMPLATES) -> jinja2.Environment:
    """Strict Jinja2 environment (an undefined name raises) with the number filters every template uses."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.filters |= {
        "f1": lambda x: _num(x, 1),
        "f2": lambda x: _num(x, 2),
        "f3": lambda x: _num(x, 3),
        "f4": lambda x: _num(x, 4),
        "pct": _pct,
        "int": _int,
        "pm": _pm,
        "size": _size,
        "times": lambda x, base: DASH if x is None or not base else f"{float(x) / float(base):.1f}x",
    }
    return env


def render(name: str, directory: Path = TEMPLATES, **context) -> str:
    """Render template `name` (a file under `directory`) with `context`; a missing key raises UndefinedError."""
    return environment(directory).get_template(name).render(**context)


def typed_numbers(text: str) -> list[tuple[int, str]]:
    """(line, number) of every result-like number in `text` outside references, code spans and link targets."""
    prose = _MARKUP.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)  # keep line numbers
    out = []
    for i, line in enumerate(prose.splitlines(), 1):
        line = _NAMES.sub(" ", _CODE.sub(" ", line))
        out += [(i, m.group(1)) for m in _NUMBER.finditer(line)]
    return out


def conclusions(notebook: str, directory: Path | None = None, **context):
    """A notebook's conclusions as Markdown, rendered from its results file by templates/notebooks/<notebook>.md."""
    from IPython.display import Markdown  # the notebooks' display; nothing else here needs IPython

    doc = read_results(notebook, directory)
    return Markdown(render(f"notebooks/{notebook}.md", r=doc, **context))
