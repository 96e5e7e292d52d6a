# qualquant: two commands for a fresh machine.
#   make demo   installs the project into .venv and runs the demo study
#   make test   installs the project, the Label Studio server (.venv-labelstudio)
#               and Chromium when missing, runs the linters, then the test suite
#   make lint   the linters alone: ruff (lint and format check), mypy, import-linter
PYTHON ?= python3
VENV := .venv
LS_VENV := .venv-labelstudio
LS_VERSION := 1.23.2
PIP := $(VENV)/bin/python -m pip

.PHONY: demo test lint typecheck imports package-tree install labelstudio chromium bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

labelstudio: $(LS_VENV)/.installed

$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet label-studio==$(LS_VERSION)
	touch $@

chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium || command -v chromium-browser)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the report tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "WARNING: chromium is not installed and cannot be installed here (need root and apt-get);"; \
		echo "WARNING: the browser tests will skip locally and fail in CI."; \
	fi

demo: install
	$(VENV)/bin/qualquant demo --out qualquant-demo

# mypy and import-linter read the package under its installed names (qualquant.corpus,
# ...); neither follows setuptools' package-dir mapping, so both run on a tree of links
# shaped like the installed package: build/package-tree/qualquant/{corpus,coding,...}.
TREE := build/package-tree

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory imports

package-tree:
	rm -rf $(TREE) && mkdir -p $(TREE)/qualquant
	for f in qualquant/*; do [ "$${f##*/}" = __pycache__ ] || ln -s ../../../$$f $(TREE)/qualquant/; done
	for d in corpus coding quant pipelines; do ln -s ../../../$$d $(TREE)/qualquant/$$d; done

typecheck: install package-tree
	$(VENV)/bin/mypy

imports: install package-tree
	cd $(TREE) && PYTHONPATH=$(CURDIR)/$(TREE) $(CURDIR)/$(VENV)/bin/lint-imports \
		--config $(CURDIR)/pyproject.toml --no-cache

test: install labelstudio chromium lint
	QUALQUANT_LABEL_STUDIO=$(CURDIR)/$(LS_VENV)/bin/label-studio \
		$(VENV)/bin/python -m pytest -q

bench: install
	for b in bench/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(LS_VENV) qualquant-demo .pytest_cache build *.egg-info
