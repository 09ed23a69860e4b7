"""Each package's SQL in one `queries.sql`, loaded once and fetched by name.

procrastinate's convention: statements stay in a SQL file a reviewer reads as SQL, with named
parameters (`%(integration_id)s`) rather than positional ones, and Python names what it runs.
The logic itself lives in SQL functions in the migrations; these are the calls and the few
plain reads and writes around them.

Format: a line `-- name: <query_name>` starts a query; comment lines right after it say why it
exists; the statement runs to the next `-- name:` line. Text before the first one is a preamble.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import LiteralString

_NAME = re.compile(r"^-- name: ([a-z_][a-z0-9_]*)[ \t]*$", re.MULTILINE)


class QueryFileError(ValueError):
    """A `queries.sql` that breaks the format (a bug in the package, found at import)."""


class Queries:
    """The named statements of one package's `queries.sql`."""

    def __init__(self, package: str) -> None:
        text = resources.files(package).joinpath("queries.sql").read_text("utf-8")
        self._queries = parse_queries(text, origin=f"{package}/queries.sql")

    def __getitem__(self, name: str) -> LiteralString:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no query named {name!r}") from None

    def names(self) -> frozenset[str]:
        return frozenset(self._queries)


def parse_queries(text: str, origin: str = "queries.sql") -> dict[str, LiteralString]:
    """Split a query file by its `-- name:` lines; empty or repeated names are refused."""
    parts = _NAME.split(text)
    queries: dict[str, LiteralString] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        statement = _strip(body)
        if not statement:
            raise QueryFileError(f"{origin}: query {name!r} has no statement")
        if name in queries:
            raise QueryFileError(f"{origin}: query {name!r} is defined twice")
        # The file ships inside our package: it is as trusted as a literal in the code.
        queries[name] = statement
    return queries


def _strip(body: str) -> LiteralString:
    lines = body.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";").strip()
