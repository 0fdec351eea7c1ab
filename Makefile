# CCER offset registries simulator. `make run` and `make test` are all a newcomer needs.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint format token topology clean replay bench

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required (python3.11 not found); set PY=..."; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Start all four services on the embedded default (SQLite per service + local RabbitMQ).
run: $(STAMP)
	$(BIN)/ccer run

## Unit, integration (real PostgreSQL + RabbitMQ) and end-to-end tests. The service-layer unit tests
## run on in-memory SQLite and again on PostgreSQL (one suite, two backends).
test: $(STAMP)
	CCER_UNIT_BACKENDS=$${CCER_UNIT_BACKENDS:-sqlite,postgresql} $(BIN)/pytest -q $(PYTEST_ARGS)

## Unit tests only: no database server, no broker (service layer on in-memory SQLite).
test-fast: $(STAMP)
	CCER_UNIT_BACKENDS=sqlite $(BIN)/pytest -q tests/unit

## Replay scenarios/*.yaml against the running stack (`make run` in another terminal); resets its data.
replay: $(STAMP)
	$(BIN)/ccer replay scenarios/*.yaml

## The full 2024 cycle for UNITS units over REST on a stack of its own (needs RabbitMQ; PostgreSQL for
## DB=postgres and the insert baseline): prints per-phase figures, same-run baselines and one summary line.
UNITS ?= 200
DB ?= postgres
REPLICAS ?= 1
bench: $(STAMP)
	$(BIN)/python -m benchmarks --units $(UNITS) --db $(DB) --replicas $(REPLICAS) $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services ccer_tools benchmarks

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make token ROLE=enterprise ARGS="--org 91110000100000000X"
token: $(STAMP)
	@$(BIN)/ccer token --role $(ROLE) $(ARGS)

topology: $(STAMP)
	$(BIN)/ccer topology

clean:
	rm -rf var .pytest_cache
