"""REPORT.md and the notebooks' conclusions come from the results files: every number a reference, none typed."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import nbformat
import pytest

from src.report.render import main_body_words, render
from src.report.template import TEMPLATES, conclusions, typed_numbers
from src.report.template import render as render_template

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_TEMPLATES = sorted((TEMPLATES / "notebooks").glob("*.md"))


def test_a_typed_number_is_caught() -> None:
    """The check fails on a hand-typed result and passes the same sentence written with a reference."""
    typed = "The baseline scores 0.826 on 5,510 posts, 45% of them\nhateful, in 2018."
    assert typed_numbers(typed) == [(1, "0.826"), (1, "5,510"), (1, "45%")]
    assert typed_numbers("The baseline scores {{ r.auc | f3 }} on {{ n | int }} posts, `0.5` in code.") == []
    assert typed_numbers("F1 at 0.5, 3 seeds, fp32, MiniLM-L6, 200K parameters, 1e-4, the 90th percentile") == []


@pytest.mark.parametrize("path", [TEMPLATES / "REPORT.md", *NOTEBOOK_TEMPLATES], ids=lambda p: p.name)
def test_templates_have_no_typed_number(path: Path) -> None:
    assert typed_numbers(path.read_text()) == []


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_markdown_has_no_typed_number(nb: Path) -> None:
    cells = nbformat.read(nb, as_version=4).cells
    found = {i: typed_numbers(c.source) for i, c in enumerate(cells) if c.cell_type == "markdown"}
    assert not {i: f for i, f in found.items() if f}


def test_a_missing_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text("AUC {{ r.models.nope.test | f3 }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render_template("t.md", tmp_path, r={"models": {}})


def test_committed_report_is_what_the_results_render(tmp_path: Path) -> None:
    """`make report`'s last step on the committed results writes the committed REPORT.md again, word for word."""
    text = render(tmp_path / "REPORT.md", ROOT / "results")
    assert text == (ROOT / "REPORT.md").read_text(), (
        "REPORT.md differs from its rendering: run `python -m src.apps.report`"
    )
    figures = sorted((tmp_path / "reports" / "figures").glob("*.png"))
    assert len(figures) >= 7 and all(f.stat().st_size < 200_000 for f in figures)
    for f in figures:  # linked from the report and committed beside it
        assert f"reports/figures/{f.name}" in text and (ROOT / "reports" / "figures" / f.name).is_file()
    assert main_body_words(text) < 3500


@pytest.mark.parametrize("template", NOTEBOOK_TEMPLATES, ids=lambda p: p.stem)
def test_notebook_conclusions_agree_with_results(template: Path) -> None:
    """The committed notebook's conclusions output is its template rendered from the committed results file."""
    nb = nbformat.read(ROOT / "notebooks" / f"{template.stem}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("conclusions("))
    shown = "".join(o["data"]["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {}))
    assert shown == conclusions(template.stem, ROOT / "results").data


def _committed_results(tmp_path: Path) -> Path:
    """A copy of the committed results/*.json in tmp_path/results, for a test to change one of them."""
    results = tmp_path / "results"
    results.mkdir()
    for f in (ROOT / "results").glob("*.json"):
        (results / f.name).write_text(f.read_text())
    return results


def test_every_report_number_reads_a_results_file(tmp_path: Path) -> None:
    """Change one stored metric and the rendered report changes with it (nothing is copied in by hand)."""
    results = _committed_results(tmp_path)
    doc = json.loads((results / "baseline.json").read_text())
    doc["models"][doc["best"]]["test"]["roc_auc"]["macro"] = 0.123456
    (results / "baseline.json").write_text(json.dumps(doc))
    assert "0.123" in render(tmp_path / "REPORT.md", results)


def test_serving_example_refresh_needs_the_documented_command(tmp_path: Path) -> None:
    """docs/serving.md's example is rerun by `make report`: no example is an error, no model leaves it alone."""
    from src.report.docs_example import refresh_serving_example

    doc = tmp_path / "serving.md"
    doc.write_text("# Serving\n\nno example here\n")
    with pytest.raises(ValueError, match="predict example"):
        refresh_serving_example(doc, tmp_path)
    example = (
        "```bash\nprintf 'hi\\n' \\\n  | python -m src.apps.predict --model models/none.pt\n```\n\n```text\nold\n```\n"
    )
    doc.write_text(example)
    assert refresh_serving_example(doc, tmp_path) is False and doc.read_text() == example


def test_scale_item_shows_each_variant_and_its_budget(tmp_path: Path) -> None:
    """A conditional-proxy record and a budget in the scale record both reach the 'At Jigsaw's size' finding."""
    results = _committed_results(tmp_path)
    doc = json.loads((results / "scale_jigsaw_proxy.json").read_text())
    knobs = {"sweep_sample": 12345, "seeds": {}, "final_seeds": {"BestResult": 2}}
    rates = {"train_rows_per_s": 2274.1, "tfidf_rows_per_s": 408.6, "cores": 2}
    budget = {"budget_minutes": 60, "knobs": knobs, "rates": rates, "predicted_total_seconds": 2600}
    doc |= {"variant": "implied", "cpu_per_wall": 1.87, "budget": budget | {"fits": True, "limit_seconds": 2700}}
    doc |= {"peak_added_mb": 9728}
    (results / "scale_jigsaw_proxy.json").write_text(json.dumps(doc))
    (results / "scale_jigsaw_proxy_conditional.json").write_text(json.dumps(doc | {"variant": "conditional"}))
    text = render(tmp_path / "REPORT.md", results)
    assert "on the `implied` proxy" in text and "on the `conditional` proxy" in text
    assert "12,345" in text and "1.87 cores busy" in text and "fits the 2,700 s limit" in text
    flat = " ".join(text.split())  # the finding wraps its lines
    assert "9.5 GiB for a notebook's processes together" in flat
    assert "headline seeds 2 per model," in flat and "probes of 2,274 train rows/s and 409 TF-IDF rows/s" in flat
