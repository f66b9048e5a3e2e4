# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TUOYU_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint test-unit test-integration test-e2e test-browser screenshots bench setup services demo clean generate
# Two at a time: most tests wait on servers (PostgreSQL, Kafka, Prometheus, a browser), not on the CPU.
PYTEST := $(BIN)/python -m pytest -q -n 2 --durations=10

# The embedded default: load the demo district into an empty store, keep an admin token for
# trying the API in $(TUOYU_DATA_DIR)/admin.token, and serve at http://127.0.0.1:8000.
run: setup
	@bash scripts/ensure-tools.sh --optional
	$(BIN)/tuoyu demo --if-empty
	@mkdir -p "$(TUOYU_DATA_DIR)"
	@test -s "$(TUOYU_DATA_DIR)/admin.token" || (umask 077; $(BIN)/tuoyu token create --role admin \
		--name make-run-admin-$$(date +%s) | tail -n 1 > "$(TUOYU_DATA_DIR)/admin.token")
	$(BIN)/tuoyu serve --alerting

test: setup services lint
	$(PYTEST) tests

# ruff (lint and format) on all Python; mypy and the layers contract (import-linter) on tuoyu/.
lint: setup
	$(BIN)/ruff check tuoyu tests bench scripts
	$(BIN)/ruff format --check tuoyu tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test-unit: setup
	$(PYTEST) tests/unit

test-integration: setup services
	$(PYTEST) tests/integration

test-e2e: setup services
	$(PYTEST) tests/e2e

# The wall page and the map in Debian's chromium (installed by `services` where missing).
test-browser: setup services
	$(PYTEST) tests/browser

# docs/wall.png and docs/map.png, from the demo district served for real.
screenshots: setup services
	$(BIN)/python scripts/screenshots.py

bench: setup services
	$(BIN)/python -m bench.run

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The tests use the machine's PostgreSQL (127.0.0.1:5432, role and database tuoyu_test), the
# real Prometheus and Alertmanager (Debian packages, installed where missing) and Apache Kafka
# (assembled from Maven Central into build/kafka; the tests start it).
services:
	@bash scripts/ensure-services.sh
	@bash scripts/ensure-tools.sh
	@bash scripts/ensure-kafka.sh

demo: setup
	$(BIN)/tuoyu demo --if-empty

# Alert rules, Alertmanager configurations, dashboards (and the packaged copies of the tunables
# and the runbook) from alerts/tunables.yaml and tuoyu/dashboards/subsystems/ (docs/alerting.md).
generate: setup
	$(BIN)/tuoyu generate

clean:
	rm -rf $(VENV) var *.egg-info
