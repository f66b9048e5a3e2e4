# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TUOYU_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-unit test-integration test-e2e test-browser screenshots bench setup services demo clean

# The embedded default: load the demo district into an empty store, keep an admin token for
# trying the API in $(TUOYU_DATA_DIR)/admin.token, and serve at http://127.0.0.1:8000.
run: setup
	@bash scripts/ensure-tools.sh --optional
	$(BIN)/tuoyu demo --if-empty
	@mkdir -p "$(TUOYU_DATA_DIR)"
	@test -s "$(TUOYU_DATA_DIR)/admin.token" || (umask 077; $(BIN)/tuoyu token create --role admin \
		--name make-run-admin-$$(date +%s) | tail -n 1 > "$(TUOYU_DATA_DIR)/admin.token")
	$(BIN)/tuoyu serve --alerting

test: setup services
	$(BIN)/python -m pytest -q tests

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit

test-integration: setup services
	$(BIN)/python -m pytest -q tests/integration

test-e2e: setup services
	$(BIN)/python -m pytest -q tests/e2e

# The wall page and the map in Debian's chromium (installed by `services` where missing).
test-browser: setup services
	$(BIN)/python -m pytest -q tests/browser

# docs/wall.png and docs/map.png, from the demo district served for real.
screenshots: setup services
	$(BIN)/python scripts/screenshots.py

bench: setup services
	$(BIN)/python bench/run.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The tests use the machine's PostgreSQL (127.0.0.1:5432, user postgres, database test), the
# real Prometheus and Alertmanager (Debian packages, installed where missing) and Apache Kafka
# (assembled from Maven Central into build/kafka; the tests start it).
services:
	@bash scripts/ensure-services.sh
	@bash scripts/ensure-tools.sh
	@bash scripts/ensure-kafka.sh

demo: setup
	$(BIN)/tuoyu demo --if-empty

clean:
	rm -rf $(VENV) var *.egg-info
