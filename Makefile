# The two sacred commands: `make dev` runs the system locally, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
RUN := $(UV) run --frozen
export UV_LINK_MODE ?= copy

.PHONY: help dev test venv node lint typecheck pytest

help:
	@echo "make dev   - run the whole system locally"
	@echo "make test  - run every test"

venv: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv==0.13.8
	$(UV) sync --frozen
	@touch $@

node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

lint: venv
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: venv
	$(RUN) mypy

pytest: venv
	$(RUN) pytest

test: lint typecheck pytest

dev: venv
	$(RUN) avito-sync --help
