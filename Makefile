# toxic-small: `make report` (set-up + all notebooks + REPORT.md), `make test`, `make lint`, `make bench`, `make lab`.
SHELL := /bin/bash
PY := .venv/bin/python
DATASET ?= ghc
TOXIC_DATA_DIR ?= $(CURDIR)/data/raw
export TOXIC_DATA_DIR
NOTEBOOKS ?= LookAtData baseline Teacher BaseAttention BestResult Shrink

.PHONY: venv test report bench lint format lab clean-venv

venv: .venv/.installed

# A stamp file makes set-up idempotent: a second run installs nothing unless requirements changed.
.venv/.installed: requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q Cython==3.3.1 numpy==2.4.6 setuptools wheel
	$(PY) -m pip install -q --no-build-isolation -r requirements.txt
	$(PY) -m pip install -q --no-build-isolation --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name toxic-small --display-name "toxic-small (.venv)" >/dev/null
	touch $@

test: venv
	$(PY) -m pytest -q tests

lint: venv
	$(PY) -m ruff check src tests notebooks && $(PY) -m ruff format --check src tests notebooks
	$(PY) -m src.experiments.notebooks check notebooks/*.ipynb

format: venv
	$(PY) -m ruff format src tests notebooks && $(PY) -m ruff check --fix src tests notebooks

# Executes every notebook top to bottom on $(DATASET), then regenerates REPORT.md's tables.
report: venv
	@start=$$(date +%s); \
	for nb in $(NOTEBOOKS); do \
	  echo "== $$nb ($(DATASET))"; \
	  $(PY) -m src.experiments.notebooks run notebooks/$$nb.ipynb -p dataset $(DATASET) || exit 1; \
	done; \
	$(PY) -m ruff format -q notebooks; \
	$(PY) -m src.experiments.report --wall-seconds $$(( $$(date +%s) - start ))

bench: venv
	$(PY) -m src.evaluation.bench --dataset $(DATASET)

# JupyterLab on the notebooks, with the project's kernel ("toxic-small (.venv)") selected.
lab: venv
	$(PY) -m jupyter lab notebooks

clean-venv:
	rm -rf .venv
