# Every routine command of WiseMind. `make run` and `make test` set up all
# they need (virtual environment, pinned dependencies, database, model).

SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
# Python 3.10 exactly (Rasa 3.6 refuses 3.11); .python-version selects it under pyenv.
PYTHON310 ?= $(shell command -v python3.10 2>/dev/null || ls -1 $(HOME)/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | tail -n 1)

.PHONY: run test lint typecheck validate train bench chat clean install

# pip's notices about this machine's extra package indexes are noise, not errors.
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

$(BIN)/wisemind: requirements.lock pyproject.toml
	@if [ -z "$(PYTHON310)" ]; then echo "Python 3.10 is required (Rasa 3.6 does not run on 3.11): install it or set PYTHON310=/path/to/python3.10" >&2; exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON310) -m venv $(VENV)
	@echo "Installing the pinned dependencies into $(VENV) (about 3 GB, a few minutes the first time)..."
	@set -o pipefail; $(PIP) install "pip==24.3.1" $(QUIET_PIP)
	@set -o pipefail; $(PIP) install -r requirements.lock $(QUIET_PIP)
	@set -o pipefail; $(PIP) install --no-deps --no-build-isolation -e . $(QUIET_PIP)
	@touch $@

install: $(BIN)/wisemind

## Start WiseMind on its embedded defaults (SQLite, local chat channel, demo clinic).
run: install
	$(BIN)/wisemind run

## Talk to the running bot as the demo client.
chat: install
	$(BIN)/wisemind chat

## Lint, type-check, and run the whole suite (which validates the Rasa data,
## runs the Rasa test stories and starts the real servers).
test: install lint typecheck
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check bot channels tests benchmarks
	$(BIN)/ruff format --check bot channels tests benchmarks

typecheck: install
	$(BIN)/mypy bot channels

validate: install
	RASA_TELEMETRY_ENABLED=false $(BIN)/rasa data validate --domain domain --fail-on-warnings

train: install
	$(BIN)/wisemind train

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) models .rasa var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache
