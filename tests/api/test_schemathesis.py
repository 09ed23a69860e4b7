"""Schemathesis fuzzes every operation of the service's own OpenAPI schema over real HTTP,
authenticated as a real user: no input may produce a server error, and every answer must match
the schema the document gives for its status."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api.jwt_tools import JwksServer, SigningKey, claims, sign
from tests.api.process import serve_env, start_service
from tests.fixtures.db import Conn, create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_property

POLL_SECRET = "poll-secret-for-the-fuzz-run-" + "z" * 16


@pytest.fixture
def fuzz_target(
    database_url: str, db: Conn, jwks_server: JwksServer, sandbox: Sandbox
) -> Iterator[str]:
    env = serve_env(database_url, jwks_server, sandbox)
    # Redirects must never leave the machine, even if a client followed them.
    env["AVITO_SYNC_APP_REDIRECT_URL"] = "http://127.0.0.1:9/app"
    env["AVITO_SYNC_POLL_SECRET"] = POLL_SECRET
    env["AVITO_SYNC_DOCS"] = "true"  # the schema is opt-in
    process, base = start_service(env, "--no-worker")
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


@pytest.fixture
def auth_headers(db: Conn, jwks_server: JwksServer, signing_key: SigningKey) -> dict[str, str]:
    user = create_user(db)
    create_property(db, user, name="Дом", base_price=2500)
    return {"Authorization": f"Bearer {sign(signing_key, claims(jwks_server.issuer, user))}"}


def test_no_input_causes_a_server_error(fuzz_target: str, auth_headers: dict[str, str]) -> None:
    """Every operation, valid and invalid inputs alike (schemathesis' pytest plugin does not
    run under pytest 9, so the operations are driven through its strategies directly)."""
    operations = [
        result.ok()
        for result in schemathesis.openapi.from_url(
            f"{fuzz_target}/openapi.json"
        ).get_all_operations()
    ]
    assert {op.path for op in operations} >= {"/functions/v1/avito-sync", "/readyz"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers=auth_headers, allow_redirects=False, timeout=30)
            case.validate_response(
                response, checks=(not_a_server_error, response_schema_conformance)
            )

        no_server_error()
