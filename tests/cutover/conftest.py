"""The app's production database as the old app left it, and the commands run against it.

`legacy_database` builds a scratch database from the adoption fixture (tests/db/fixtures/
existing_schema.sql), the old app's real pgcrypto encryption (fixtures/old_app_encryption.sql)
and one connection of each kind the old app produced, then pushes every migration, as
`supabase db push` would. Tokens go through the old app's own paths: its trigger on insert and
on every update, its encrypt function for refresh tokens.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from avito_sync.cli import app
from tests.fixtures.db import Conn, apply_migrations, connect
from tests.support.net import answer, serving

FIXTURES = Path(__file__).parent / "fixtures"
EXISTING_SCHEMA = Path(__file__).parents[1] / "db" / "fixtures" / "existing_schema.sql"
HOST_ONE = uuid.UUID("00000000-0000-4000-8000-000000000001")
HOST_TWO = uuid.UUID("00000000-0000-4000-8000-000000000002")
OLD_KEY = "old-app-encryption-key-0123456789"
LOST_KEY = "a-key-nobody-has-any-more-0123456"
POLL_SECRET = "p" * 40
# The adoption fixture's own rows: d1 (plain refresh token), d2 (no refresh token, and its
# listing is d1's), d3 (only a messenger_token_json).
FIXTURE_TOKENS = (
    "legacy-access-token-d1",
    "legacy-refresh-token-d1",
    "already-encrypted-d2",
    "legacy-messenger-token-d3",
)
D1 = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
D2 = uuid.UUID("00000000-0000-4000-8000-0000000000d2")
D3 = uuid.UUID("00000000-0000-4000-8000-0000000000d3")


@dataclass(frozen=True)
class Legacy:
    """One connection as the old app stored it."""

    kind: str  # plain | once | twice | undecryptable
    owner_id: uuid.UUID
    avito_user_id: int
    avito_item_id: int
    access_token: str
    refresh_token: str
    property_id: uuid.UUID = field(default_factory=uuid.uuid4)
    integration_id: uuid.UUID = field(default_factory=uuid.uuid4)


def standard_connections() -> list[Legacy]:
    return [
        Legacy("plain", HOST_ONE, 5550001, 5550001001, "AT-plain-8f2e", "RT-plain-7a1c"),
        Legacy("once", HOST_ONE, 5550002, 5550002001, "AT-once-5d9b", "RT-once-c3e0"),
        Legacy("twice", HOST_TWO, 5550003, 5550003001, "AT-twice-91aa", "RT-twice-0b7f"),
        Legacy("undecryptable", HOST_TWO, 5550004, 5550004001, "AT-lost-44d2", "RT-lost-e5f6"),
    ]


def stored_values(conn: Conn, legacy: Legacy) -> tuple[str, str]:
    row = conn.execute(
        "select access_token_encrypted as a, refresh_token_encrypted as r"
        " from public.integrations where id = %s",
        (legacy.integration_id,),
    ).fetchone()
    assert row is not None
    return row["a"], row["r"]


def _write(conn: Conn, legacy: Legacy) -> None:
    """The old connect flow: the callback writes both tokens (refresh through the old encrypt
    function), the trigger encrypts the access token; a later sync writes the row again."""
    conn.execute(
        "insert into public.properties (id, owner_id, name, base_price) values (%s, %s, %s, 4000)",
        (legacy.property_id, legacy.owner_id, f"Flat {legacy.kind}"),
    )
    conn.execute(
        "insert into public.integrations (id, property_id, platform, avito_user_id,"
        " avito_item_id, avito_markup, access_token_encrypted, refresh_token_encrypted,"
        " token_expires_at, scope, is_active, external_id)"
        " values (%s, %s, 'avito', %s, %s, 10, %s, public.encrypt_avito_token(%s),"
        " now() at time zone 'utc' + interval '1 day',"
        " 'user:read,short_term_rent:read,short_term_rent:write', true, %s)",
        (
            legacy.integration_id,
            legacy.property_id,
            legacy.avito_user_id,
            legacy.avito_item_id,
            legacy.access_token,
            legacy.refresh_token,
            str(legacy.avito_item_id),
        ),
    )
    if legacy.kind == "twice":
        conn.execute(
            "update public.integrations set last_sync_at = now() where id = %s",
            (legacy.integration_id,),
        )
    conn.execute(
        "insert into public.avito_sync_queue (property_id, integration_id) values (%s, %s)",
        (legacy.property_id, legacy.integration_id),
    )


def build_legacy_database(url: str, connections: list[Legacy]) -> None:
    """The old app's database with `connections`, then every migration."""
    with connect(url) as conn:
        with conn.transaction():
            conn.execute(EXISTING_SCHEMA.read_text(encoding="utf-8").encode())
            conn.execute((FIXTURES / "old_app_encryption.sql").read_text(encoding="utf-8").encode())
        for legacy in (c for c in connections if c.kind == "plain"):
            _write(conn, legacy)  # before the app had a key: stored as is
        conn.execute("select vault.create_secret(%s, 'AVITO_TOKEN_ENCRYPTION_KEY')", (OLD_KEY,))
        for legacy in connections:
            if legacy.kind in ("once", "twice"):
                _write(conn, legacy)
            elif legacy.kind == "undecryptable":
                with conn.transaction():  # encrypted with a key that is gone since
                    conn.execute(
                        "select set_config('app.settings.avito_token_encryption_key', %s, true)",
                        (LOST_KEY,),
                    )
                    _write(conn, legacy)
    apply_migrations(url)


@pytest.fixture
def legacy_database(scratch_database: Callable[..., str]) -> Callable[..., str]:
    """Factory: `make(connections=None) -> url` of a pushed legacy database."""

    def make(connections: list[Legacy] | None = None) -> str:
        url = scratch_database(local_layer=True)
        build_legacy_database(url, standard_connections() if connections is None else connections)
        return url

    return make


class _Health(BaseHTTPRequestHandler):
    """The service as the database sees it: /healthz and /v1/poll."""

    def do_GET(self) -> None:
        answer(self, 200 if self.path == "/healthz" else 404, b'{"status": "ok"}')

    def do_POST(self) -> None:
        answer(self, 202 if self.path == "/v1/poll" else 404, b'{"accepted": true}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def service_url() -> Iterator[str]:
    with serving(_Health) as url:
        yield url


def functions_handler(modes: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    """A Supabase functions host: each named function answers as `ours` (forwarder header) or
    `old`; other names 404 like Supabase's gateway. Requests are recorded."""

    class Handler(BaseHTTPRequestHandler):
        calls: list[tuple[str, str]] = []  # noqa: RUF012 - one handler class per server

        def do_OPTIONS(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._answer()

        def _answer(self) -> None:
            name = self.path.removeprefix("/functions/v1/")
            Handler.calls.append((self.command, name))
            mode = modes.get(name)
            status = 404 if mode is None else 200 if self.command == "OPTIONS" else 400
            forwarder = {"x-avito-sync-forwarder": "1"} if mode == "ours" else {}
            answer(self, status, b'{"error": "x"}', forwarder)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass(frozen=True)
class Ran:
    exit_code: int
    output: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.output)
        return data

    def finding(self, fid: str) -> dict[str, Any]:
        found = [f for f in self.json()["findings"] if f["id"] == fid]
        assert len(found) == 1, fid
        return found[0]


def run_cutover(*args: str, database_url: str, service_url: str | None = None, **env: str) -> Ran:
    """`avito-sync cutover …` in process, with only the variables given."""
    base = {
        "DATABASE_URL": database_url,
        "AVITO_SYNC_POLL_SECRET": POLL_SECRET,
        "AVITO_SYNC_SERVICE_URL": service_url,
        "SUPABASE_URL": None,
        "SUPABASE_ANON_KEY": None,
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, ["cutover", *args], env=base | env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.output)
