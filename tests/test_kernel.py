"""The project's Jupyter kernel: `make venv` installs it into .venv, and notebooks execute through it."""

from __future__ import annotations

import sys

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from src import ROOT
from src.apps.notebooks import KERNEL, KERNELSPEC, kernel_name


def test_project_kernel_is_installed_in_this_environment() -> None:
    specs = KernelSpecManager().find_kernel_specs()
    assert KERNEL in specs, "run `make venv`: it installs the 'toxic-small' kernel into .venv"
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == KERNELSPEC["display_name"] and spec.language == "python"
    assert specs[KERNEL].startswith(sys.prefix), "the kernel spec lives in this environment (ipykernel --sys-prefix)"
    assert kernel_name() == KERNEL  # what `make report` and the notebook tests run in


def test_a_notebook_executes_in_the_project_kernel() -> None:
    """The kernel runs this environment's Python, so `import src` and the pinned packages are there."""
    cell = "import sys\nimport src\nimport seaborn\nprint(sys.prefix)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    NotebookClient(nb, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(ROOT)}}).execute()
    out = nb.cells[0].outputs
    assert out and out[0]["output_type"] == "stream" and out[0]["text"].strip() == sys.prefix
