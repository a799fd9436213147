# notebook-pipelines: set-up and checks from a fresh clone with only python3 on the machine.
#
#   make demo    set up, then run the examples (notebooks executed into build/examples/)
#   make lab     JupyterLab on the examples, with the run history of make demo
#   make test    set up, then ruff (lint + format check), mypy and pytest
#   make bench   set up (ours and the peers' environments), then run the benchmarks
#   make lint    ruff and mypy only          make fmt    reformat and autofix
#   make lock    re-resolve requirements/lock.txt after a dependency change, keeping the other pins
#   make upgrade refresh requirements/lock.txt to the newest releases (then make test, commit)
#   make test-latest   the tests against the newest releases, in .venv-latest (drift, on purpose)
#   make clean   remove .venv and caches     make distclean   also the peers' environments
#
# Every environment `make` sets up installs from requirements/lock.txt (pip constraints: the pinned
# versions, nothing newer), so a fresh clone is the same on any day; see CONTRIBUTING.md.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# the lock: every package of the extras below, and the set-up's tools (requirements/tools.in)
LOCK   := requirements/lock.txt
EXTRAS := test,dask,lab,postgres,s3
TOOLS  := .venv-tools
LATEST := .venv-latest
EXAMPLES := examples/hello_pipeline.py examples/notebook_solid.py examples/notebook_batch.py

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# the playwright wheel (test extra) must never download a browser: the tests use Debian's chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test lint fmt demo lab bench bench-peers clean distclean \
	lock upgrade test-latest

help:
	@echo "make demo   - set up and run the examples"
	@echo "make lab    - JupyterLab on the examples (after make demo: with its runs)"
	@echo "make test   - set up and run ruff, mypy and pytest"
	@echo "make bench  - set up (with the peers) and run the benchmarks"
	@echo "make lock   - re-resolve requirements/lock.txt after changing pyproject's dependencies"
	@echo "make upgrade     - refresh requirements/lock.txt to the newest releases"
	@echo "make test-latest - the tests against the newest releases (in $(LATEST))"
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

# Reinstall only when pyproject.toml or the lock changes (the install is editable, so code changes
# need nothing). Everything comes from the lock: pip itself, the packages (-c), the build backend of
# the editable install (--build-constraint); check_lock.py then fails if anything installed is not
# the lock's (pyproject.toml asking for a package the lock lacks: run make lock).
$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet -c $(LOCK) pip
	$(PY) -m pip install --quiet -c $(LOCK) --build-constraint $(LOCK) -e '.[$(EXTRAS)]'
	$(PY) requirements/check_lock.py $(LOCK)
	@touch $@

# System packages from Debian, installed when missing (as root, or with password-less sudo):
# graphviz provides the `dot` binary the graph display needs; chromium (with fonts-liberation, for
# legible text) is the headless browser of the real-browser widget test (tests/jupyter/), driven by
# the playwright wheel, which never downloads a browser of its own; postgresql provides the
# initdb/pg_ctl the PostgreSQL storage tests start a private server with (tests/storage/
# postgres_server.py; no server is left running). When nothing can be installed, warn and go on:
# graph rendering is then unavailable and the browser and PostgreSQL tests skip, saying why.
system-deps:
	@missing=""; why=""; \
	if ! command -v dot >/dev/null 2>&1; then \
		missing="graphviz"; why="'dot' not found"; \
	fi; \
	if [ ! -x /usr/bin/chromium ]; then \
		missing="$$missing chromium fonts-liberation"; why="$${why:+$$why, }/usr/bin/chromium not found"; \
	fi; \
	if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		missing="$$missing postgresql"; why="$${why:+$$why, }PostgreSQL's initdb not found"; \
	fi; \
	missing="$${missing# }"; \
	if [ -z "$$missing" ]; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "$$why: installing Debian's $$missing"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; } \
			|| echo "warning: could not install $$missing; graph rendering, the browser or the PostgreSQL tests will not work"; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		echo "$$why: installing Debian's $$missing (sudo)"; \
		{ sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; } \
			|| echo "warning: could not install $$missing; graph rendering, the browser or the PostgreSQL tests will not work"; \
	else \
		echo "note: $$why, and $$missing cannot be installed here (needs apt-get, and root or sudo);"; \
		echo "      install your system's packages for graph rendering (graphviz), the browser test"; \
		echo "      (chromium at /usr/bin/chromium) and the PostgreSQL tests (postgresql). Continuing without them."; \
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
	$(PY) bench/bench_import.py
	$(PY) bench/bench_engine.py $(BENCH_ARGS)
	$(PY) bench/bench_multiprocess.py
	$(PY) bench/bench_dask.py
	$(PY) bench/bench_widget.py
	$(PY) bench/bench_notebooks.py
	$(PY) bench/bench_memory.py

# --- the lock ---------------------------------------------------------------------------------
# uv resolves it (universal: one file, environment markers where Python versions or platforms need
# different pins), in a tools environment of its own at the lock's version of uv. `make lock` keeps
# every pin it can (the current file is uv's preference) and only adds or changes what pyproject.toml
# now asks for; `make upgrade` takes the newest release of everything. Both then check that every
# pin has a wheel for CPython 3.10-3.13 on manylinux x86_64 (what the lock's header promises).
LOCK_PYTHONS := 3.10 3.11 3.12 3.13
# the lowest Python the universal resolution covers: pyproject.toml's requires-python (uv pip
# compile would otherwise take the Python it runs on)
LOCK_MIN_PYTHON := 3.10
comma := ,
LOCK_EXTRAS  := $(foreach extra,$(subst $(comma), ,$(EXTRAS)),--extra $(extra))
UV_COMPILE = $(TOOLS)/bin/uv pip compile pyproject.toml requirements/tools.in $(LOCK_EXTRAS) \
	--universal --python-version $(LOCK_MIN_PYTHON) --no-header --quiet

$(TOOLS)/bin/uv: $(LOCK)
	@[ -x $(TOOLS)/bin/python ] || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -c $(LOCK) uv
	@touch $@

lock upgrade: $(TOOLS)/bin/uv
	@cp $(LOCK) $(LOCK).new.body  # uv keeps the pins of the file it writes (unless --upgrade)
	$(UV_COMPILE) $(if $(filter upgrade,$@),--upgrade) -o $(LOCK).new.body
	@for version in $(LOCK_PYTHONS); do \
		$(TOOLS)/bin/uv pip compile pyproject.toml requirements/tools.in $(LOCK_EXTRAS) --quiet \
			--no-header -c $(LOCK).new.body --only-binary :all: --python-version $$version \
			--python-platform x86_64-manylinux_2_28 -o /dev/null \
		|| { echo "error: the new lock has no wheels for CPython $$version (see above)"; \
			rm -f $(LOCK).new.body; exit 1; }; \
	done
	@{ cat requirements/lock-header.txt; cat $(LOCK).new.body; } > $(LOCK) && rm -f $(LOCK).new.body
	@git diff --stat -- $(LOCK) 2>/dev/null || true
	@echo "$(LOCK) $(if $(filter upgrade,$@),upgraded,re-resolved): now make test, and commit it"

# The same tests against whatever the package index serves today, in an environment of its own
# (never .venv): drift is seen here on purpose, not by a new user. Upgraded on every run.
test-latest: system-deps
	@[ -x $(LATEST)/bin/python ] || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[$(EXTRAS)]'
	$(LATEST)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) $(LATEST) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
	find . -path ./bench/peers -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf bench/peers/.venv-*
