# notebook-pipelines: set-up and checks from a fresh clone with only python3 on the machine.
#
#   make demo    set up, then run the examples (notebooks executed into build/examples/)
#   make lab     JupyterLab on the examples, with the run history of make demo
#   make test    set up, then ruff (lint + format check), mypy and pytest
#   make bench   set up (ours and the peers' environments), then run the benchmarks
#   make lint    ruff and mypy only          make fmt    reformat and autofix
#   make clean   remove .venv and caches     make distclean   also the peers' environments

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
EXAMPLES := examples/hello_pipeline.py examples/notebook_solid.py examples/notebook_batch.py

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# the playwright wheel (test extra) must never download a browser: the tests use Debian's chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test lint fmt demo lab bench bench-peers clean distclean

help:
	@echo "make demo   - set up and run the examples"
	@echo "make lab    - JupyterLab on the examples (after make demo: with its runs)"
	@echo "make test   - set up and run ruff, mypy and pytest"
	@echo "make bench  - set up (with the peers) and run the benchmarks"
	@echo "make lint | fmt | clean | distclean"

# The virtual environment. Debian's own python3 needs python3-venv for `-m venv` to work: install it
# when we can, otherwise say what is missing.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "error: notebook-pipelines needs Python >= 3.10 ($(PYTHON) is $$($(PYTHON) -V 2>&1))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "python3 -m venv failed: installing Debian's python3-venv"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
				&& $(PYTHON) -m venv $(VENV); \
		else \
			echo "error: '$(PYTHON) -m venv' failed; install your system's venv package (e.g. python3-venv)"; \
			exit 1; \
		fi; }

# Reinstall only when pyproject.toml changes (the install is editable, so code changes need nothing).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dask]'
	@touch $@

# System packages from Debian, installed when missing (as root, or with password-less sudo):
# graphviz provides the `dot` binary the graph display needs; chromium (with fonts-liberation, for
# legible text) is the headless browser of the real-browser widget test (tests/jupyter/), driven by
# the playwright wheel, which never downloads a browser of its own. When nothing can be installed,
# warn and go on: graph rendering is then unavailable and the browser test skips, saying why.
system-deps:
	@missing=""; why=""; \
	if ! command -v dot >/dev/null 2>&1; then \
		missing="graphviz"; why="'dot' not found"; \
	fi; \
	if [ ! -x /usr/bin/chromium ]; then \
		missing="$$missing chromium fonts-liberation"; why="$${why:+$$why, }/usr/bin/chromium not found"; \
	fi; \
	missing="$${missing# }"; \
	if [ -z "$$missing" ]; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "$$why: installing Debian's $$missing"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; } \
			|| echo "warning: could not install $$missing; graph rendering or the browser test will not work"; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		echo "$$why: installing Debian's $$missing (sudo)"; \
		{ sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; } \
			|| echo "warning: could not install $$missing; graph rendering or the browser test will not work"; \
	else \
		echo "note: $$why, and $$missing cannot be installed here (needs apt-get, and root or sudo);"; \
		echo "      install your system's packages for graph rendering (graphviz) and the browser test"; \
		echo "      (chromium at /usr/bin/chromium). Continuing without them."; \
	fi

setup: $(STAMP) system-deps

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The examples keep their runs in a home of their own (not ~/.notebook_pipelines): make demo fills
# it, make lab opens JupyterLab with it, so the notebooks there see (and can re-execute) those runs.
DEMO_HOME := $(CURDIR)/build/home
DEMO_OUT  := build/examples
LAB_ARGS  ?=

demo: setup
	NOTEBOOK_PIPELINES_HOME=$(DEMO_HOME) $(PY) examples/run_all.py --out $(DEMO_OUT)
	@for example in $(EXAMPLES); do \
		echo "== $$example"; \
		NOTEBOOK_PIPELINES_HOME=$(DEMO_HOME) $(PY) $$example || exit 1; \
	done
	@echo
	@echo "Executed notebooks, with their outputs: $(CURDIR)/$(DEMO_OUT)/"
	@echo "Run history (NOTEBOOK_PIPELINES_HOME):   $(DEMO_HOME)"
	@echo "  NOTEBOOK_PIPELINES_HOME=$(DEMO_HOME) $(BIN)/notebook-pipelines runs list"
	@echo "Open them in JupyterLab:                 make lab"
	@echo "  (examples/ to run the notebooks yourself, build/examples/ for the executed copies)"

# JupyterLab at the repository's root, opened on examples/ (kernels start in the notebook's folder,
# so the examples find data/). LAB_ARGS passes more options, e.g. make lab LAB_ARGS=--no-browser.
lab: setup
	NOTEBOOK_PIPELINES_HOME=$(DEMO_HOME) $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/examples $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

bench-peers:
	bash bench/peers/setup.sh

bench: setup bench-peers
	$(PY) bench/bench_engine.py $(BENCH_ARGS)
	$(PY) bench/bench_multiprocess.py
	$(PY) bench/bench_dask.py
	$(PY) bench/bench_widget.py
	$(PY) bench/bench_notebooks.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
	find . -path ./bench/peers -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf bench/peers/.venv-*
