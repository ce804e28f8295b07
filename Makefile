# Two entry points: `make demo` and `make test`. Both (re)create .venv only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/phonofilm demo --out demo.mp4

test: $(STAMP)
	@$(BIN)/ruff check src tests benchmarks tools
	@$(BIN)/python -m pytest -q

lint: $(STAMP)
	@$(BIN)/ruff check src tests benchmarks tools
	@$(BIN)/ruff format --check src tests benchmarks

bench: $(STAMP)
	@$(BIN)/python benchmarks/world.py

clean:
	rm -rf $(VENV) demo.mp4 demo.json
