# The two commands of the README: `make run` and `make test`.
# Everything happens in a local virtual environment, .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test lint typecheck pytest bench-compare screenshots clean

$(BIN)/python:
	sh scripts/bootstrap
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-stamp: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-stamp

run: $(VENV)/.run-stamp
	$(BIN)/chinwag server $(ARGS)

test: $(VENV)/.dev-stamp
	sh scripts/test-deps
	$(MAKE) lint typecheck pytest

lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(VENV)/.dev-stamp
	$(BIN)/mypy

pytest: $(VENV)/.dev-stamp
	$(BIN)/pytest $(PYTEST_ARGS)

bench-compare: $(VENV)/.run-stamp
	$(BIN)/python scripts/bench-compare $(ARGS)

screenshots: $(VENV)/.dev-stamp
	$(BIN)/python scripts/screenshot-client
	$(BIN)/python scripts/screenshot-client docs/client-dark.png --dark
	$(BIN)/python scripts/screenshot-admin
	$(BIN)/python scripts/screenshot-files
	$(BIN)/python scripts/screenshot-accounts
	$(BIN)/python scripts/screenshot-web

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
