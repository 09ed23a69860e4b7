"""Benchmarks (never part of the test suite): `make bench` or `uv run --frozen python -m bench`."""
