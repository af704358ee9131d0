# Two commands for a new machine: `make run` (install + start on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test typecheck lint lock bench clean-data

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required: apt-get install python3.11 python3.11-venv"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: install
	$(BIN)/fluxori serve

# The browser and checkov are installed on first use (Debian's Chromium via apt, checkov in its own venv because its
# pins clash with ours); where that is impossible the tests that need them skip and say why.
test: install
	@bash scripts/install-browser.sh || echo "note: the browser end-to-end tests will be skipped (no /usr/bin/chromium)"
	@bash scripts/install-checkov.sh || echo "note: the checkov test will be skipped"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

# mypy --strict on the product packages ([tool.mypy] in pyproject.toml); `make test` runs it after ruff.
typecheck: install
	$(BIN)/python -m mypy

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Re-resolve the direct dependencies of pyproject.toml and write the exact versions to requirements.lock.
lock:
	rm -rf /tmp/fluxori-lock && $(PYTHON) -m venv /tmp/fluxori-lock
	/tmp/fluxori-lock/bin/pip install --quiet --upgrade pip setuptools wheel
	/tmp/fluxori-lock/bin/pip install --quiet -e '.[test]'
	{ echo "# Exact versions of every dependency, installed by 'make install'. Regenerate with 'make lock'."; \
	  /tmp/fluxori-lock/bin/pip freeze --exclude-editable | grep -v '^fluxori'; } > requirements.lock

clean-data:
	rm -rf .fluxori
