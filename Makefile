# kapclinic — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_LINK_MODE := copy
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := $(UV) run --locked --no-sync python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PATIENTS ?= 500
DEMO_SEED ?= 2026
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: help run test test-sqlite test-pg lint fmt types imports migrations-check browser-deps bench bench-planner bench-ledger bench-monitoring \
        demo worker static clean rules

help:
	@echo "make run     - set up everything, load the demo clinic and serve on http://$(HOST):$(PORT)"
	@echo "make test    - lint, type-check and run the whole suite on SQLite and PostgreSQL"
	@echo "make bench   - build a 100,000-patient clinic on PostgreSQL and load-test it (not in CI)"
	@echo "other: test-sqlite test-pg lint fmt types imports migrations-check worker static clean"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	touch $@

# --- make run ---------------------------------------------------------------------------
run: .venv/.synced
	@mkdir -p var
	DEBUG=1 KAPCLINIC_DEMO=1 $(PY) manage.py migrate --noinput -v0
	DEBUG=1 KAPCLINIC_DEMO=1 $(PY) manage.py generate_demo --if-empty --patients $(DEMO_PATIENTS) --seed $(DEMO_SEED)
	@echo ""
	@echo "Serving kapclinic on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	DEBUG=1 KAPCLINIC_DEMO=1 $(PY) manage.py runserver --noreload $(HOST):$(PORT)

worker: .venv/.synced
	DEBUG=1 $(PY) manage.py db_worker

# --- make test --------------------------------------------------------------------------
# The two legs run side by side (each output printed whole when its leg ends): together they
# take about the time of the longer one, which keeps `make test` well inside CI's budget.
test: .venv/.synced browser-deps lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-pg

# The SQLite leg runs under branch coverage; the gate then fails on a service, selector or pure
# rule module below its figure (tests/architecture/coverage_gate.py).
test-sqlite: .venv/.synced
	@echo "=== test suite on SQLite (with branch coverage) ==="
	rm -f .coverage
	$(UV) run --locked --no-sync pytest -q -p no:cacheprovider --cov --cov-report=
	$(PY) -m tests.architecture.coverage_gate

test-pg: .venv/.synced
	@echo "=== test suite on PostgreSQL ==="
	PG_TEST_URL=$(PG_TEST_URL) scripts/test-pg.sh $(UV) run --locked --no-sync pytest -q -p no:cacheprovider

lint: .venv/.synced fmt-check types imports migrations-check
	$(UV) run --locked --no-sync ruff check .

fmt-check: .venv/.synced
	$(UV) run --locked --no-sync ruff format --check .

fmt: .venv/.synced
	$(UV) run --locked --no-sync ruff format .
	$(UV) run --locked --no-sync ruff check --fix .

types: .venv/.synced
	$(UV) run --locked --no-sync mypy config kapclinic tests bench conftest.py

imports: .venv/.synced
	$(UV) run --locked --no-sync lint-imports

migrations-check: .venv/.synced
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run -v0

# The catalogue of the clinical rules the code encodes (docs/rules.md), regenerated from the code.
rules: .venv/.synced
	$(PY) -m tests.architecture.rules_catalogue

# Debian's Chromium for the Playwright tests (Playwright cannot download its own browser here).
browser-deps:
	@scripts/ensure-chromium.sh

# --- make bench -------------------------------------------------------------------------
bench: .venv/.synced
	scripts/bench.sh
	$(PY) -m bench.planner

# The course planner's figures alone (issue 13.3; in-process, no database): bench/README.md.
bench-planner: .venv/.synced
	$(PY) -m bench.planner

# The ledger's figures (issue 14; in-process on PostgreSQL, about 5 minutes): bench/README.md.
bench-ledger: .venv/.synced
	$(PY) -m bench.ledger

# The monitoring console's figures (issue 15; in-process on PostgreSQL): bench/README.md.
bench-monitoring: .venv/.synced
	$(PY) -m bench.monitoring

static: .venv/.synced
	$(PY) manage.py collectstatic --noinput -v0

clean:
	rm -rf .venv .tools var
