"""Shared fixtures: a real Postgres (tests/fixtures/db.py) and the Avito sandbox over HTTP
(tests/fixtures/sandbox.py)."""

pytest_plugins = ["tests.fixtures.db", "tests.fixtures.sandbox", "tests.fixtures.standins"]
