# Rainforest: `make run` and `make test` are the two set-up commands (README).
SHELL := /bin/bash
VENV := .venv
RF := $(VENV)/bin/rainforest
PYTEST := $(VENV)/bin/pytest
START ?= 2026-11-01
DAYS ?= 3
RUN_DATE ?= 2026-11-03
ORDERS_PER_DAY ?= 2000
SODA_SPARK_DF := soda-core-spark-df==3.5.6

export PREFECT_HOME ?= $(CURDIR)/.state/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export OTEL_SDK_DISABLED ?= true
export PREFECT_LOGGING_LEVEL ?= INFO

.PHONY: install stack-up stack-down stack-status prefect-up deploy worker cluster-up cluster-down cluster-test \
	run test ui-check lint unit-test datagen bench clean
PREFECT_ENV = eval "$$($(RF) stack env)" && export RAINFOREST_REPO_DIR=$(CURDIR) &&

$(VENV)/.installed: pyproject.toml
	bash infra/local/system-deps.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	PYTHONWARNINGS=ignore $(VENV)/bin/pip install -q -e '.[test]'  # no setuptools build chatter
	$(VENV)/bin/pip install -q --no-deps $(SODA_SPARK_DF)  # its pyspark<4 pin overridden (pyproject.toml)
	touch $@

install: $(VENV)/.installed

stack-up: install
	$(RF) stack up

stack-down: install
	$(RF) stack down

stack-status: install
	$(RF) stack status

prefect-up: install
	$(RF) stack up prefect

deploy: stack-up
	$(PREFECT_ENV) ($(VENV)/bin/prefect work-pool inspect rainforest >/dev/null 2>&1 \
		|| $(VENV)/bin/prefect work-pool create rainforest --type process) \
		&& $(VENV)/bin/prefect --no-prompt deploy --all && $(RF) alerts

worker: stack-up
	$(PREFECT_ENV) $(VENV)/bin/prefect worker start --pool rainforest --type process

cluster-up: install
	$(RF) cluster up

cluster-down: install
	$(RF) cluster down

cluster-test: stack-up
	$(PYTEST) tests/integration/test_deployments.py -k standalone_cluster

datagen: stack-up
	$(RF) datagen --start $(START) --days $(DAYS) --orders-per-day $(ORDERS_PER_DAY) --seed 42 --replace

run: datagen
	$(RF) run --date $(RUN_DATE)
	$(RF) report orders --from $(START) --to $(RUN_DATE)
	$(RF) report categories --from $(START) --to $(RUN_DATE)

test: stack-up lint
	$(PYTEST) tests -m "not ui"

ui-check: deploy run
	bash infra/local/system-deps.sh browser
	$(PYTEST) tests/ui -m ui

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy tables flows infra datagen bench tests

unit-test: install  # transforms run on a session of the stack's Spark Connect server
	$(RF) stack up spark
	$(PYTEST) tests -m "not integration"

BENCH_ARGS ?= --orders-per-day 100000 --days 8 --full-rebuild --restatement
bench: stack-up
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
