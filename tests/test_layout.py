"""The house rules that `make lint` enforces: imports follow src.STAGES, notebook cells stay short."""

from __future__ import annotations

from pathlib import Path

import nbformat

from src import STAGES
from src.apps.check_imports import violations
from src.apps.notebooks import MAX_CELL_LINES, style_problems

ROOT = Path(__file__).resolve().parent.parent


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_the_repository_follows_the_stage_order() -> None:
    assert violations(ROOT) == []
    assert {p.name for p in (ROOT / "src").iterdir() if p.is_dir() and (p / "__init__.py").is_file()} == set(STAGES)


def test_an_upward_import_is_caught_at_module_level_and_inside_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "src/data/a.py": "from src.studies import runs\n",
            "src/models/b.py": "def f():\n    import src.report.render\n",
            "src/training/c.py": "from src import evaluation\nfrom src import ROOT\n",
            "src/studies/ok.py": "from src.data import a\nfrom ..models import b\n",
        },
    )
    bad = violations(root)
    assert len(bad) == 3, bad
    assert any("src/data/a.py:1" in b and "src.studies" in b for b in bad)
    assert any("src/models/b.py:2" in b for b in bad) and any("src/training/c.py:1" in b for b in bad)


def test_long_cells_and_definitions_in_notebooks_are_caught(tmp_path: Path) -> None:
    long = nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(MAX_CELL_LINES + 1)))
    helper = nbformat.v4.new_code_cell("def helper():\n    return 1")
    ok = nbformat.v4.new_code_cell("y = 1")
    found = style_problems(tmp_path / "nb.ipynb", [ok, long, helper])
    assert len(found) == 2 and "cell 2" in found[0] and "cell 3" in found[1]
