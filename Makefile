# Two commands do the whole set-up on a fresh Debian machine: `make demo` and `make test`.
# Both create .venv when it is missing, install gradtrace with what it needs, make sure
# Graphviz's `dot` is installed, and then run; only `make test` (and `make docs-check`)
# installs Chromium with chromedriver, which the browser tests need and the demo does not.
# Re-running them is fast and changes nothing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: setup dev graphviz-dot chromium axe demo test torch notebooks docs docs-check bench lint clean

setup: $(STAMP) graphviz-dot

$(PY):
	@sh scripts/ensure-venv.sh "$(PYTHON)"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# Reinstall only when the package metadata changes (the install is editable). setuptools
# prints a notice on every editable install with a package-dir map ("Editable installation.
# Please be careful with folders ... with the same name as your package"): no folder here is
# named gradtrace, so that one notice, and only it, is filtered out; every real warning shows.
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet -e ".[plots]"
	touch $(STAMP)

# What the tests, the linter and the notebooks' runs use (pytest, hypothesis, ruff, selenium,
# nbmake, ...): `make test` installs it, `make demo` does not need it.
$(DEV_STAMP): pyproject.toml | $(STAMP)
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet -e ".[dev,plots]"
	touch $(DEV_STAMP)

dev: setup $(DEV_STAMP)

graphviz-dot:
	@sh scripts/ensure-graphviz.sh

# Headless Chromium and chromedriver for tests/test_browser.py (the explorer page).
chromium:
	@sh scripts/ensure-chromium.sh

# axe-core (npm, 4.x) in .axe/ for the accessibility test of the explorer page.
axe:
	@sh scripts/ensure-axe.sh

demo: setup
	$(VENV)/bin/gradtrace demo

test: dev chromium axe
	$(PY) -m pytest -n auto --nbmake tests notebooks

# PyTorch is a reference in tests only (CI installs it; tests skip cleanly without it).
torch: setup
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet -e ".[torch]"

# JupyterLab (the `notebooks` extra) in .venv, opened on the notebooks folder.
notebooks: setup
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet -e ".[notebooks]"
	$(VENV)/bin/jupyter lab notebooks

# The documentation site (docs/, Sphinx + MyST-NB + furo), built offline from scratch with
# warnings as errors and nitpicky cross-references; docs-check looks at it in Chromium.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): pyproject.toml | $(STAMP)
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: dev $(DOCS_STAMP)
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -b html -n -W --keep-going -q -j 2 docs docs/_build/html
	@echo "the site: docs/_build/html/index.html"

docs-check: dev chromium
	GRADTRACE_DOCS_SITE=$(CURDIR)/docs/_build/html $(PY) -m pytest -q tests/test_docs_site.py

bench: setup
	$(PY) benchmarks/bench_scalar.py

# The linter is part of the build (CI runs it): ruff, pinned in pyproject.toml's dev extra.
LINTED := autograd nn viz cli tests benchmarks scripts notebooks/build_notebooks.py notebooks/conftest.py \
          docs/conf.py docs/_ext

lint: dev
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache gradtrace-demo .axe docs/_build docs/_generated docs/notebooks
