# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test system-deps postgres lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,prod]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages (bpmn-js) come from the npm registry when the project declares them.
NPM_TARGET := $(if $(wildcard package.json),node_modules/.installed,)

install: $(VENV)/.installed $(NPM_TARGET)

# Debian's Chromium for the browser tests (never a browser downloaded by a test tool).
system-deps:
	@bash scripts/system-deps

postgres:
	@bash scripts/ensure-postgres

run: install
	$(BIN)/casework init
	$(BIN)/casework demo --if-empty
	$(BIN)/casework run

test: install system-deps postgres
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check engine workflows web tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
