# The two commands a new user runs (see README): `make setup` then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/acme

.PHONY: setup test lint typecheck example-check bench clean

setup: $(BIN)/.installed
	$(BIN)/isms-review validate $(EXAMPLE)/review.xlsx --evidence $(EXAMPLE)/evidence
	$(BIN)/isms-review validate $(EXAMPLE)/review-final.xlsx --evidence $(EXAMPLE)/evidence

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

test: $(BIN)/.installed lint typecheck
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check pipeline tests benchmarks

typecheck:
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/validate_large.py
	$(BIN)/python benchmarks/analyse_large.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
