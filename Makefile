# The two commands a new user runs (see README): `make setup` then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/acme

.PHONY: setup system-deps test test-slow lint typecheck bench clean wheel-smoke

setup: system-deps $(BIN)/.installed
	$(BIN)/isms-review validate $(EXAMPLE)/review.xlsx --evidence $(EXAMPLE)/evidence
	$(BIN)/isms-review build $(EXAMPLE)/review.xlsx --evidence $(EXAMPLE)/evidence --out output
	$(BIN)/isms-review build $(EXAMPLE)/review-final.xlsx --evidence $(EXAMPLE)/evidence --out output --stage final

system-deps:
	bash scripts/system-deps.sh

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# CI: everything but the long loops marked slow (a representative subset of them is unmarked)
test: $(BIN)/.installed lint typecheck
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(BIN)/.installed
	$(BIN)/python -m pytest -m slow

wheel-smoke: $(BIN)/.installed
	PYTHON=$(BIN)/python bash scripts/wheel-smoke.sh

lint:
	$(BIN)/ruff check pipeline tests benchmarks

typecheck:
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/validate_large.py
	$(BIN)/python benchmarks/analyse_large.py
	$(BIN)/python benchmarks/bundle_vs_qpdf.py
	$(BIN)/python benchmarks/pack.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
