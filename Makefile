# The two sacred commands: `make dev` runs the system locally, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
RUN := $(UV) run --frozen
export UV_LINK_MODE ?= copy

# The test cluster (never the dev one): the same defaults as tests/fixtures/db.py.
TEST_PG_DIR := $(or $(AVITO_SYNC_PG_DIR),$(CURDIR)/.local/pg-test)
TEST_PG_PORT := $(or $(AVITO_SYNC_PG_PORT),54331)
TEST_ENV := AVITO_SYNC_PG_DIR=$(TEST_PG_DIR) AVITO_SYNC_PG_PORT=$(TEST_PG_PORT)
# Schemas the migrations own (linted); everything else comes from Postgres or sql/local.
NOT_OURS := 'pg_catalog','information_schema','pg_toast','extensions','auth','vault','net','cron','supabase_migrations'
PGTAP_FILES := $(sort $(wildcard supabase/tests/database/*.sql))
# The Edge Function forwarders, checked with the pinned Deno (npm `deno`); Deno fetches nothing.
DENO := DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 NO_COLOR=1 node_modules/.bin/deno
FUNCTIONS_TS := $(sort $(wildcard supabase/functions/*/*.ts))

.PHONY: help dev demo bench test venv node lint typecheck sqlcheck pytest test-down

help:
	@echo "make dev   - run the whole system locally"
	@echo "make demo  - a guided walkthrough against it (another terminal)"
	@echo "make test  - run every test"
	@echo "make bench - run the benchmarks (bench/README.md)"

venv: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet --break-system-packages uv==0.13.8
	$(UV) sync --frozen
	@touch $@

node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

lint: venv node
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(DENO) fmt --no-config --line-width=100 --check supabase/functions
	$(DENO) lint --no-config supabase/functions
	$(DENO) check --no-config --no-lock --no-remote --no-npm $(FUNCTIONS_TS)

typecheck: venv
	$(RUN) mypy

# SQL checks on a fresh test cluster: the Supabase CLI applies every migration and lints them,
# then pg_prove runs the pgTAP files. The CLI gets a throw-away HOME and no telemetry.
sqlcheck: venv node
	$(TEST_ENV) $(RUN) avito-sync db reset --no-migrations >/dev/null
	@set -euo pipefail; \
	url="$$($(TEST_ENV) $(RUN) avito-sync db url)?sslmode=disable"; \
	home="$$(mktemp -d)"; trap 'rm -rf "$$home"' EXIT; \
	export HOME="$$home" SUPABASE_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1; \
	echo "+ supabase db push --db-url $$url --yes"; \
	npx --no-install supabase db push --db-url "$$url" --yes; \
	schemas="$$(psql -X -At "$$url" -c "select string_agg(nspname, ',' order by nspname) from pg_namespace where nspname not in ($(NOT_OURS)) and nspname not like 'pg\_%'")"; \
	echo "+ supabase db lint --db-url $$url --schema $$schemas --fail-on error"; \
	npx --no-install supabase db lint --db-url "$$url" --schema "$$schemas" --fail-on error
ifeq ($(PGTAP_FILES),)
	@echo "+ pg_prove: no files in supabase/tests/database, skipped"
else
	PGOPTIONS='-c search_path=public,extensions' pg_prove -h 127.0.0.1 -p $(TEST_PG_PORT) -U postgres -d postgres $(PGTAP_FILES)
endif

# The browser test drives Debian's chromium (installed here like Postgres); Playwright never
# downloads a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
pytest: venv node
	$(RUN) avito-sync db packages --browser
	$(RUN) pytest

test: lint typecheck sqlcheck pytest

# Stop the test cluster (CI calls this on exit so no server outlives the run).
test-down: venv
	$(TEST_ENV) $(RUN) avito-sync db down

# The dev stack in the foreground until Ctrl-C (its own cluster .local/pg on 54330, never the
# test one); ports and directories are overridable, see `avito-sync dev --help`.
dev: venv node
	$(RUN) avito-sync dev

# The guided walkthrough: reuses the running `make dev` (same variables), else starts one.
demo: venv
	$(RUN) avito-sync demo

# Benchmarks, never part of `make test`: their own cluster (.local/pg-bench on 54332, recreated
# each run; AVITO_SYNC_BENCH_PG_DIR/PORT move it) and a sandbox on a free port. BENCH picks
# some of "plan calls throughput"; BENCH_HOSTS sizes the throughput run.
BENCH ?=
BENCH_HOSTS ?= 40
bench: venv
	$(RUN) python -m bench $(BENCH) --hosts $(BENCH_HOSTS)
