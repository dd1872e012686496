# syncd — every target sets up .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint check bench bench-full clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "syncd needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)          ## the main job on the embedded default: sandboxes + SQLite ledger
	$(BIN)/syncd demo

test: $(STAMP)          ## the whole test suite (add SYNCD_TEST_PG_URL=... for PostgreSQL too)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check syncd tests bench
	$(BIN)/ruff format --check syncd tests bench
	$(BIN)/mypy --strict syncd

check: lint test

bench: $(STAMP)         ## benchmark at 1k and 10k certificates (bench/RESULTS.md)
	$(BIN)/python -m bench.cycle --sizes 1000,10000

bench-full: $(STAMP)    ## the full benchmark, 1k / 10k / 100k (takes a while)
	$(BIN)/python -m bench.cycle --sizes 1000,10000,100000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
