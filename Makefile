# The README's two commands, `make demo` and `make test`, set everything up on a fresh machine
# with Python 3.11+, pip and make. The other targets are the daily habits.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := lepton-nb

.PHONY: install hooks demo test check-generated nbtest pytest fuzz lab export clean bench

$(STAMP): pyproject.toml requirements-nodeps.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lepton_nb needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name "Python (lepton-nb)" >/dev/null
	touch $(STAMP)

install: $(STAMP) hooks

# A pre-commit hook refuses notebooks with outputs and a lepton_nb/ out of step with nbs/; nbdev's
# merge driver resolves notebook conflicts cell by cell; nbdev's Jupyter hook cleans notebooks on save.
hooks: $(STAMP)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		git config core.hooksPath .githooks; \
		git config merge.jupyternotebook.name "resolve notebook conflicts with nbdev"; \
		git config merge.jupyternotebook.driver "$(CURDIR)/$(BIN)/nbdev-merge %O %A %B %P"; \
	fi
	@cd / && $(CURDIR)/$(BIN)/nbdev-install-hooks >/dev/null 2>&1 || true

# The main job: every demo client's report and the index over them.
demo: install
	$(BIN)/lepton-nb demo-data reports/customers/demo-bank-data
	$(BIN)/lepton-nb report-all reports/customers --out reports/_build

test: install check-generated nbtest pytest

# nbdev's CI contract: cleaning and exporting change nothing that is committed.
check-generated: $(STAMP)
	@bash .ci/check-generated

nbtest: $(STAMP)
	$(BIN)/nbdev-test --n-workers 2

pytest: $(STAMP)
	$(BIN)/python -m pytest tests

# The long checks: 600 random inputs per reader and checker (`make test` runs 15, the same each time), and every demo
# client built twice (2 and 4 workers, two folders) for identical metrics and weights. About 10 minutes on 2 cores.
fuzz: $(STAMP)
	LEPTON_NB_FUZZ=1 LEPTON_NB_LONG=1 $(BIN)/python -m pytest tests/test_properties.py tests/test_reproducible.py \
		-W ignore::UserWarning --hypothesis-show-statistics

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab --notebook-dir=nbs

export: $(STAMP)
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean

# Benchmarks are not tests: they compare lepton_nb with its peers and print ratios.
# torch==2.13.0 is the CPU build (other versions may download gigabytes of CUDA libraries). statsforecast
# gets its own environment: it needs pandas < 3, lepton_nb runs on pandas 3; so do scikit-surprise and implicit (the
# recommender peers), to keep their pins out of lepton_nb's.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0 keras==3.15.1
	$(BIN)/python benchmarks/mlp.py
	$(BIN)/python benchmarks/mlp.py --batch 1024
	$(BIN)/python benchmarks/warehouse.py
	$(BIN)/python benchmarks/stream.py
	$(BIN)/python benchmarks/logistic.py
	$(BIN)/python benchmarks/preprocess.py
	$(BIN)/python benchmarks/tabular.py
	$(BIN)/python benchmarks/cluster.py
	$(BIN)/python benchmarks/rules.py
	@test -x .venv-statsforecast/bin/python || { $(PYTHON) -m venv .venv-statsforecast && \
		.venv-statsforecast/bin/python -m pip install --quiet statsforecast pyarrow; }
	$(BIN)/python benchmarks/forecast.py
	$(BIN)/python benchmarks/text.py
	@test -x .venv-recsys/bin/python || { $(PYTHON) -m venv .venv-recsys && \
		.venv-recsys/bin/python -m pip install --quiet scikit-surprise==1.1.5 implicit==0.7.3; }
	$(BIN)/python benchmarks/recsys.py
	$(BIN)/python benchmarks/intervals.py
	$(BIN)/python benchmarks/report.py
	$(BIN)/python benchmarks/summary.py

clean:
	rm -rf $(VENV) .venv-statsforecast .venv-recsys build dist *.egg-info reports/_build _docs _proc .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
