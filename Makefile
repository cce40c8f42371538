# The two commands a new user runs (see README): `make setup` then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/acme
# The example's own chronology, so its pack reads true on any day it is built: the pre-read
# dated the day it was due (Thu 19 Nov 2026 09:00 UTC), the final minutes the day they were
# approved (Mon 30 Nov 2026 17:00 UTC), after the meeting of Thu 26 Nov 2026.
PRE_READ_EPOCH := 1795078800
FINAL_EPOCH    := 1796058000

.PHONY: setup system-deps test test-slow lint typecheck bench clean wheel-smoke

setup: system-deps $(BIN)/.installed
	$(BIN)/isms-review validate $(EXAMPLE)/review.xlsx --evidence $(EXAMPLE)/evidence
	SOURCE_DATE_EPOCH=$(PRE_READ_EPOCH) $(BIN)/isms-review build $(EXAMPLE)/review.xlsx --evidence $(EXAMPLE)/evidence --out output
	SOURCE_DATE_EPOCH=$(FINAL_EPOCH) $(BIN)/isms-review build $(EXAMPLE)/review-final.xlsx --evidence $(EXAMPLE)/evidence --out output --stage final

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
	$(BIN)/python benchmarks/verify_large.py
	$(BIN)/python benchmarks/pack.py
	$(BIN)/python benchmarks/robustness.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
