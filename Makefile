# Two commands do the whole set-up on a fresh Debian machine: `make demo` and `make test`.
# Both create .venv when it is missing, install gradtrace with what it needs, make sure
# Graphviz's `dot` (and, for the browser tests, Chromium with chromedriver) is installed, and
# then run. Re-running them is fast and changes nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup graphviz-dot chromium demo test torch notebooks bench lint clean

setup: $(STAMP) graphviz-dot chromium

$(PY):
	@sh scripts/ensure-venv.sh "$(PYTHON)"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# Reinstall only when the package metadata changes (the install is editable).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,plots]"
	touch $(STAMP)

graphviz-dot:
	@sh scripts/ensure-graphviz.sh

# Headless Chromium and chromedriver for tests/test_browser.py (the explorer page).
chromium:
	@sh scripts/ensure-chromium.sh

demo: setup
	$(VENV)/bin/gradtrace demo

test: setup
	$(PY) -m pytest -n auto --nbmake tests notebooks

# PyTorch is a reference in tests only (CI installs it; tests skip cleanly without it).
torch: setup
	$(PY) -m pip install --quiet -e ".[torch]"

# JupyterLab (the `notebooks` extra) in .venv, opened on the notebooks folder.
notebooks: setup
	$(PY) -m pip install --quiet -e ".[notebooks]"
	$(VENV)/bin/jupyter lab notebooks

bench: setup
	$(PY) benchmarks/bench_scalar.py

# The linter is part of the build (CI runs it): ruff, pinned in pyproject.toml's dev extra.
LINTED := autograd nn viz cli tests benchmarks scripts notebooks/build_notebooks.py notebooks/conftest.py

lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache gradtrace-demo
