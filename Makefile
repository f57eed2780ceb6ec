# toxic-small: `make report` (set-up + all notebooks + REPORT.md), `make test`, `make fuzz`, `make lint`, `make bench`,
# `make scale` (the report at Jigsaw's size on a proxy), `make lab`.
SHELL := /bin/bash
PY := .venv/bin/python
DATASET ?= ghc
TOXIC_DATA_DIR ?= $(CURDIR)/data/raw
export TOXIC_DATA_DIR
# OpenBLAS picks its kernels per CPU, and AVX-512 ones round differently (PPMI+SVD, TF-IDF + LR moved by 1e-9..1e-7):
# pinning the AVX2 ones makes every x86-64 machine compute the committed results and checkpoints bit for bit.
ifeq ($(shell uname -m),x86_64)
OPENBLAS_CORETYPE ?= Haswell
export OPENBLAS_CORETYPE
endif
NOTEBOOKS ?= LookAtData baseline Teacher BaseAttention BestResult Shrink Behaviour Transfer
# GHC renders the committed notebooks/, results/, models/ and REPORT.md; any other dataset writes all of them
# under $(RUN_DIR) (git-ignored), so a Jigsaw run never overwrites what GHC committed.
RUN_DIR ?= runs/$(DATASET)
OUT_ARG := $(if $(filter ghc,$(DATASET)),,--out $(RUN_DIR))
# Notebook parameter profile (src/apps/profiles.py): full on ghc, hour (Jigsaw-size cuts) otherwise.
PROFILE ?=
PROFILE_ARG := $(if $(PROFILE),--profile $(PROFILE),)
# Time budget of a non-GHC report (minutes): the hour profile's sweep knobs are fitted to it, less a 25% margin,
# from a few seconds of measurement at the start (src/apps/budget.py). GHC never calibrates or shrinks.
BUDGET_MIN ?= 60
BUDGET_ARG := $(if $(filter ghc,$(DATASET)),,--budget-minutes $(BUDGET_MIN))
# `make scale`: proxy size (1.0 = Jigsaw's 159,571 + 153,164 rows), the proxy variants run one after the other
# (src/data/proxy.py), the folder holding one run folder per variant, and the summary file: SCALE_OUT for implied,
# SCALE_OUT with _<variant> before .json for the others.
SCALE ?= 1.0
SCALE_VARIANTS ?= implied conditional
SCALE_DIR ?= runs/scale_proxy
SCALE_OUT ?= results/scale_jigsaw_proxy.json

.PHONY: venv test fuzz report bench scale lint typecheck format lab clean-venv

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

# The fuzz suite with random examples and 20x make test's budget (TOXIC_FUZZ=deep), stopped at the first failure or
# after FUZZ_MINUTES; reaching the time box without a failure counts as a pass.
FUZZ_MINUTES ?= 30
fuzz: venv
	TOXIC_FUZZ=deep timeout --signal=INT $(FUZZ_MINUTES)m $(PY) -m pytest -q -x -p no:logging \
	  --hypothesis-show-statistics tests/test_fuzz_files.py tests/test_fuzz_inputs.py; rc=$$?; \
	if [ $$rc -eq 124 ]; then echo "fuzz: $(FUZZ_MINUTES) min time box reached, no failure found"; else exit $$rc; fi

# ruff, the import order of src (src.STAGES), notebook hygiene and thinness (cells <= 15 lines, no definitions), mypy.
lint: venv
	$(PY) -m ruff check src tests notebooks && $(PY) -m ruff format --check src tests notebooks
	$(PY) -m src.apps.check_imports
	$(PY) -m src.apps.notebooks check notebooks/*.ipynb
	$(PY) -m mypy src

typecheck: venv
	$(PY) -m mypy src

format: venv
	$(PY) -m ruff format src tests notebooks && $(PY) -m ruff check --fix src tests notebooks

# Executes every notebook top to bottom on $(DATASET), then regenerates the report's tables.
report: venv
	$(PY) -m src.apps.pipeline --dataset $(DATASET) $(OUT_ARG) --notebooks $(NOTEBOOKS) $(PROFILE_ARG) $(BUDGET_ARG)

# BENCH_ARGS, e.g. --dask-rows 1000000 (default 10,000,000) or --quick.
bench: venv
	$(PY) -m src.apps.bench --dataset $(DATASET) $(BENCH_ARGS)

# The whole report on each Jigsaw-shaped proxy variant built from GHC text, timed per notebook -> $(SCALE_OUT)[_v].
scale: venv
	set -e; for v in $(SCALE_VARIANTS); do \
	  dir=$(SCALE_DIR)/$$v; out=$(SCALE_OUT); [ $$v = implied ] || out=$${out%.json}_$$v.json; \
	  $(PY) -m src.data.proxy jigsaw $$dir/data/jigsaw --source $(TOXIC_DATA_DIR)/ghc --scale $(SCALE) \
	    --variant $$v --force; \
	  TOXIC_DATA_DIR=$(abspath $(SCALE_DIR))/$$v/data $(PY) -m src.apps.pipeline --dataset jigsaw \
	    --out $$dir --notebooks $(NOTEBOOKS) $(PROFILE_ARG) --budget-minutes $(BUDGET_MIN); \
	  $(PY) -m src.apps.scale summarize --results $$dir/results --data-root $$dir/data --variant $$v --out $$out; \
	done

# JupyterLab on the notebooks, with the project's kernel ("toxic-small (.venv)") selected.
lab: venv
	$(PY) -m jupyter lab notebooks

clean-venv:
	rm -rf .venv
