# Every target installs what it needs into .venv first, so each works on a fresh clone. The
# demo needs the library alone (structlog, orjson, rich); the test tools, the SDKs and the
# browser that `make test` uses go on top of it, in the same .venv, only when tests run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: demo test lint bench bench-concurrency
demo: $(BIN)/.installed  ## run the multi-agent example
	$(BIN)/python examples/multi_agent.py

test: $(BIN)/.dev-installed  ## lint, type-check, check the layers' imports, run the test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

# The peers measured (python-json-logger, loguru) come from the benchmark's own dependency group.
# `--group` (PEP 735) takes pip 25.1 or later, newer than many a Python ships in its venvs.
$(BIN)/.bench-installed: $(BIN)/.dev-installed
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --group bench
	touch $@

bench: $(BIN)/.bench-installed  ## every target of issue 7 in one table (by hand, not in CI)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

bench-concurrency: $(BIN)/.bench-installed  ## threads and processes into one file, in detail
	$(BIN)/python benchmarks/concurrency.py $(BENCH_ARGS)

# Arize Phoenix in a venv of its own (about 850 MB: it brings pandas, pyarrow and its own
# OpenTelemetry), started offline on 127.0.0.1; by hand, not in `make test`.
PHOENIX_VENV := .venv-phoenix
$(PHOENIX_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/pip install --quiet --upgrade pip
	$(PHOENIX_VENV)/bin/pip install --quiet arize-phoenix -e '.[otel,openai]'
	touch $@

.PHONY: phoenix
phoenix: $(PHOENIX_VENV)/.installed  ## check what Arize Phoenix shows of a run (spans, messages, tokens)
	$(PHOENIX_VENV)/bin/python examples/phoenix_check.py
