# Ronghe (融和). Two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The floor of line coverage of the product code (.coveragerc): raise it, never lower it.
COVERAGE_FLOOR := 92

.PHONY: run test chaos mutate install install-dev migrate bench asyncapi clean

# Run time: what the image installs. Tests and tools come on top (requirements-dev.txt).
$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## Whole stack locally: migrate, then four services + gateway under one supervisor.
run: $(STAMP)
	$(PY) -m common.cli run

## The test suite (needs RabbitMQ with its management plugin, and PostgreSQL), run as
## TEST_SHARDS pytest processes side by side (tests/shards.py), then one coverage report of
## the product code and its floor, and each share's fifteen slowest tests. One process:
## `.venv/bin/python -m pytest -q`.
TEST_SHARDS ?= 3
test: $(DEV_STAMP)
	$(PY) -m tests.shards --shards=$(TEST_SHARDS) --fail-under=$(COVERAGE_FLOOR) -q --cov --cov-report= --durations=15

## Chaos tests that start their own private RabbitMQ cluster (three Erlang VMs, about two
## minutes): a node SIGKILLed while facts flow. Not part of `make test`; CI runs both.
chaos: $(DEV_STAMP)
	$(PY) -m pytest -q -s -m cluster tests/chaos/test_broker_cluster.py

## Mutation testing of the rule modules (mutmut, tests/mutate.py): one module at a time in
## a scratch copy under var/mutate, each within MUTATE_TIME_BOX seconds, killed/survived and
## the score per module. Long: not part of `make test`. One module:
## `make mutate MUTATE_MODULES=services/reports/catalogue.py`.
MUTATE_TIME_BOX ?= 1200
MUTATE_MODULES ?=
mutate: $(DEV_STAMP)
	$(PY) -m tests.mutate --time-box $(MUTATE_TIME_BOX) --survivors $(MUTATE_MODULES)
	@cat tests/mutation_equivalents.txt

migrate: $(STAMP)
	$(PY) -m common.cli migrate all

asyncapi: $(STAMP)
	$(PY) -m common.cli asyncapi

# Ours beside the DRF monolith and the plain nameko stack (bench/peers), interleaved;
# writes docs/performance.md's table. BENCH_ROUNDS (3), BENCH_SECONDS (30), BENCH_SKIP:
# see bench/run.py. A quick run: BENCH_ROUNDS=1 BENCH_SECONDS=5 make bench
bench: $(DEV_STAMP)
	$(PY) -m bench.run --write-docs

clean:
	rm -rf var/data
