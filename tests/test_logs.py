"""Logged exceptions never carry a guest's contact details or a token."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import structlog

from avito_sync.core.logs import configure_logging, get_logger
from tests.fixtures.db import create_user

Conn = psycopg.Connection[dict[str, Any]]

GUEST_PHONE = "+7 916 123-45-67"
GUEST_EMAIL = "guest.private@example.test"
GUEST_NAME = "Иван Гостев"


@pytest.fixture
def logged() -> Iterator[Any]:
    """The service's logging configuration, writing to a buffer instead of stderr."""
    buffer = io.StringIO()
    configure_logging(json=True)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        structlog.reset_defaults()


def test_a_database_error_about_a_guest_row_logs_no_guest_details(db: Conn, logged: Any) -> None:
    owner = create_user(db)
    prop = db.execute(
        "insert into public.properties (owner_id, name) values (%s, 'Flat') returning id",
        (owner,),
    ).fetchone()
    assert prop is not None
    try:
        db.execute(
            "insert into public.bookings (property_id, guest_name, guest_phone, guest_email,"
            " check_in, check_out, source, status)"
            " values (%s, %s, %s, %s, '2026-12-13', '2026-12-10', 'avito', 'confirmed')",
            (prop["id"], GUEST_NAME, GUEST_PHONE, GUEST_EMAIL),
        )
    except psycopg.Error:
        get_logger("test").exception("sync_database_error")
    else:
        pytest.fail("the database accepted a stay that ends before it starts")

    [entry] = logged()
    text = json.dumps(entry, ensure_ascii=False)
    assert "violates check constraint" in entry["exception"]
    assert GUEST_NAME not in text
    assert GUEST_PHONE not in text
    assert GUEST_EMAIL not in text


def test_contact_details_in_free_text_are_redacted(logged: Any) -> None:
    get_logger("test").warning(f"could not reach {GUEST_EMAIL} at {GUEST_PHONE}")
    [entry] = logged()
    assert GUEST_EMAIL not in entry["event"]
    assert GUEST_PHONE not in entry["event"]
    assert entry["event"].startswith("could not reach ")


def test_secret_keys_are_redacted_and_protocol_codes_are_kept(logged: Any) -> None:
    get_logger("test").info(
        "exchange",
        code="oauth-code-123",
        refresh_token="rt-456",
        guest_phone="+79161234567",
        status_code=503,
        exit_code=2,
    )
    (event,) = logged()
    assert event["code"] == event["refresh_token"] == event["guest_phone"] == "[redacted]"
    assert (event["status_code"], event["exit_code"]) == (503, 2)
