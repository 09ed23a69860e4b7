"""The query-file convention (`core.queries`): parsing, and every package file well formed."""

from __future__ import annotations

from pathlib import Path

import pytest

from avito_sync.core.queries import Queries, QueryFileError, parse_queries

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "avito_sync"


def test_queries_are_split_by_name_without_their_comments() -> None:
    text = (
        "-- preamble\n"
        "-- name: first\n-- why it exists\nselect 1;\n\n"
        "-- name: second\nselect %(a)s\n  from t -- trailing\n"
    )
    assert parse_queries(text) == {
        "first": "select 1",
        "second": "select %(a)s\n  from t -- trailing",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-- name: a\nselect 1\n-- name: a\nselect 2\n", "defined twice"),
        ("-- name: a\n-- only a comment\n", "has no statement"),
    ],
)
def test_malformed_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(QueryFileError, match=message):
        parse_queries(text)


@pytest.mark.parametrize(
    "package",
    sorted(
        ".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("queries.sql")
    ),
)
def test_every_query_file_parses_and_each_query_is_used(package: str) -> None:
    queries = Queries(package)
    assert queries.names()
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (PACKAGE.parent / package.replace(".", "/")).rglob("*.py")
    )
    unused = sorted(n for n in queries.names() if f'"{n}"' not in source)
    assert unused == []
