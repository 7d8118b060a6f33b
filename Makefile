# Ronghe (融和). Two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate bench asyncapi clean

$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## Whole stack locally: migrate, then four services + gateway under one supervisor.
run: $(STAMP)
	$(PY) -m common.cli run

## The test suite (needs RabbitMQ with its management plugin, and PostgreSQL).
test: $(STAMP)
	$(PY) -m pytest -q

migrate: $(STAMP)
	$(PY) -m common.cli migrate all

asyncapi: $(STAMP)
	$(PY) -m common.cli asyncapi

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf var/data
