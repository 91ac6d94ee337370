# Both targets bootstrap .venv on a fresh clone; nothing else needs installing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The workflow sandbox re-imports each workflow module for every run; with bytecode on disk
# that import does not compile the source again (PYTHONDONTWRITEBYTECODE would stop Python
# writing it itself).
BYTECODE := $(BIN)/python -m compileall -q workflows

.PHONY: run test test-replay test-faults screenshots lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m starter dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The suite again with the worker's workflow cache off, so every workflow task is a replay of
# its history (SQLite only). The load tests (50 signups at once, 20 simultaneous updates at one
# workflow) outlast their time budgets when every task and every local step's result replays
# the whole history; the fault tests (which `make test` runs) kill and restart processes. Both
# are left out here.
test-replay: $(STAMP)
	TEST_DATABASE_URL= TEST_MAX_CACHED_WORKFLOWS=0 $(BIN)/pytest -q -m "not faults and not load"

# Only the fault tests: killed workers, a restarted Temporal server, Stripe and the database down.
test-faults: $(STAMP)
	$(BIN)/pytest -q -m faults

# Only the browser tests (Debian's Chromium at /usr/bin/chromium), writing the customer pages'
# screenshots to docs/screenshots/ (SQLite only).
screenshots: $(STAMP)
	TEST_DATABASE_URL= UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

# Figures, never assertions: starts its own dev server, workers and API (see bench/README.md).
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .data .mypy_cache .pytest_cache .ruff_cache
