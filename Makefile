# Two commands matter (see README, Quick start): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint app install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

## Install, then run the coverage job on the embedded offline demo (Saint-Brieuc – Loudéac); outputs in out/.
demo: $(STAMP)
	$(BIN)/access30 demo --out-dir out

## Install, lint (ruff, and the layers of the stages with import-linter; both configured in pyproject.toml), then run the whole test suite on two processes
## (browser tests need chromium and chromium-driver; .ci/run installs them).
test: lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## The map interface (http://localhost:8501).
app: $(STAMP)
	$(BIN)/streamlit run app.py

clean:
	rm -rf $(VENV) out .pytest_cache
