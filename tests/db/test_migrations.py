"""The schema migrations: they build the schema on an empty database, they adopt the app's
existing database (tests/db/fixtures/existing_schema.sql) without losing its rows, and running
them again changes nothing."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from psycopg import errors

from avito_sync.local.postgres.config import StackConfig
from avito_sync.local.postgres.errors import StackError
from avito_sync.local.postgres.migrate import list_migrations, migrations_dir
from tests.fixtures.db import (
    Conn,
    apply_local_layer,
    apply_migrations,
    as_anon,
    as_authenticated,
    as_service_role,
    connect,
    create_user,
)

FIXTURE = Path(__file__).parent / "fixtures" / "existing_schema.sql"
SCHEMA_PREFIX = "2026112700"  # the schema migrations (the sync engine's come later)

HOST_ONE = "00000000-0000-4000-8000-000000000001"
HOST_TWO = "00000000-0000-4000-8000-000000000002"
LOFT = "00000000-0000-4000-8000-0000000000a1"
STUDIO = "00000000-0000-4000-8000-0000000000a2"
FLAT = "00000000-0000-4000-8000-0000000000b1"
LOFT_INTEGRATION = "00000000-0000-4000-8000-0000000000d1"
FLAT_INTEGRATION = "00000000-0000-4000-8000-0000000000d2"
STUDIO_INTEGRATION = "00000000-0000-4000-8000-0000000000d3"
PUBLIC_TABLES = {
    "properties",
    "property_rates",
    "bookings",
    "avito_accounts",
    "avito_items",
    "integrations",
    "avito_sync_queue",
    "avito_sync_runs",
    "avito_oauth_states",
    "notification_events",
    "notification_channels",
    "notification_deliveries",
}


def schema_migrations_only(tmp_path: Path) -> Path:
    """A directory with just this layer's migration files (for re-running them in isolation)."""
    target = tmp_path / "schema-migrations"
    target.mkdir()
    for migration in list_migrations(migrations_dir()):
        if migration.version.startswith(SCHEMA_PREFIX):
            shutil.copy(migration.path, target / migration.path.name)
    return target


def run_sql_file(url: str, path: Path) -> None:
    with connect(url) as conn, conn.transaction():
        conn.execute(path.read_text(encoding="utf-8").encode())


def catalog_snapshot(conn: Conn) -> dict[str, list[Any]]:
    """Everything a migration defines in public and avito_private, in comparable form."""
    queries = {
        "columns": """
            select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as type,
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid) as default, a.attacl::text
              from pg_attribute a
              join pg_class c on c.oid = a.attrelid
              join pg_namespace n on n.oid = c.relnamespace
              left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
             where n.nspname in ('public', 'avito_private') and a.attnum > 0
               and not a.attisdropped and c.relkind in ('r', 'v')
             order by 1, 2""",
        "constraints": """
            select conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
              from pg_constraint
             where connamespace in ('public'::regnamespace, 'avito_private'::regnamespace)
             order by 1, 2""",
        "indexes": """
            select schemaname, tablename, indexname, indexdef from pg_indexes
             where schemaname in ('public', 'avito_private') order by 1, 2, 3""",
        "policies": """
            select tablename, policyname, permissive, roles::text, cmd, qual, with_check
              from pg_policies where schemaname = 'public' order by 1, 2""",
        "relations": """
            select c.relname, c.relkind, c.relrowsecurity, c.relacl::text,
                   pg_get_viewdef(c.oid) as view
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname in ('public', 'avito_private') and c.relkind in ('r', 'v', 'S')
             order by 1""",
        "functions": """
            select p.oid::regprocedure::text, md5(p.prosrc), p.prosecdef, p.proconfig::text,
                   p.proacl::text
              from pg_proc p where p.pronamespace = 'avito_private'::regnamespace order by 1""",
        "triggers": """
            select tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) from pg_trigger
             where not tgisinternal order by 1, 2""",
        "publication": """
            select schemaname, tablename from pg_publication_tables
             where pubname = 'supabase_realtime' order by 1, 2""",
        "schemas": """
            select nspname, nspacl::text from pg_namespace
             where nspname in ('public', 'avito_private') order by 1""",
    }
    return {name: [tuple(r.values()) for r in conn.execute(q)] for name, q in queries.items()}


def table_rows(conn: Conn, table: str) -> list[dict[str, Any]]:
    return conn.execute(f"select * from {table} order by id").fetchall()


@pytest.fixture
def empty_url(scratch_database: Callable[..., str]) -> str:
    return scratch_database(local_layer=True)


@pytest.fixture
def legacy_url(scratch_database: Callable[..., str]) -> str:
    """A database shaped like the app's production one, before any of our migrations."""
    url = scratch_database(local_layer=True)
    run_sql_file(url, FIXTURE)
    return url


@pytest.fixture(scope="module")
def adopted_url(pg_cluster: StackConfig) -> Iterator[str]:
    """The legacy database after every migration, built once for the read-mostly tests."""
    name = f"adopted_{uuid.uuid4().hex[:12]}"
    with connect(pg_cluster.url) as conn:
        conn.execute(f"create database {name}")
    url = pg_cluster.database_url(name)
    apply_local_layer(url)
    run_sql_file(url, FIXTURE)
    apply_migrations(url)
    yield url
    with connect(pg_cluster.url) as conn:
        conn.execute(f"drop database {name} with (force)")


@pytest.fixture
def adopted(adopted_url: str) -> Iterator[Conn]:
    """A connection whose every change is rolled back after the test. Statements expected to
    fail run in a nested `with adopted.transaction():` so the test can go on."""
    with connect(adopted_url) as conn, conn.transaction(force_rollback=True):
        yield conn


# --- an empty database ------------------------------------------------------------------------


def test_empty_database_gets_every_table_with_rls(empty_url: str) -> None:
    applied = apply_migrations(empty_url)
    assert [m.version for m in applied] == [m.version for m in list_migrations()]
    with connect(empty_url) as conn:
        rows = conn.execute(
            "select c.relname, c.relrowsecurity from pg_class c"
            " where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'"
        ).fetchall()
        tables = {r["relname"]: r["relrowsecurity"] for r in rows}
        assert set(tables) >= PUBLIC_TABLES
        assert all(tables.values()), f"tables without RLS: {tables}"
        private = conn.execute(
            "select relname, relrowsecurity from pg_class"
            " where relnamespace = 'avito_private'::regnamespace and relkind = 'r'"
        ).fetchall()
        assert {r["relname"] for r in private} >= {
            "account_tokens",
            "legacy_token_imports",
        }
        assert all(r["relrowsecurity"] for r in private)


def test_the_apps_selects_naming_token_columns_work_on_a_fresh_database(empty_url: str) -> None:
    """useAvitoChats.ts and ChatPanel.tsx name `access_token_encrypted`; PostgREST fails a
    select of a missing column (docs/app-contract.md §5.1), so it exists, empty, everywhere."""
    apply_migrations(empty_url)
    with connect(empty_url) as conn:
        host = create_user(conn)
        prop = conn.execute(
            "insert into public.properties (owner_id, name) values (%s, 'p') returning id", (host,)
        ).fetchone()["id"]
        conn.execute(
            "insert into public.integrations (property_id, platform, avito_user_id,"
            " avito_item_id) values (%s, 'avito', 1234567, 4012345678)",
            (prop,),
        )
        with as_authenticated(conn, host):
            rows = conn.execute(
                "select id, property_id, avito_user_id, access_token_encrypted, scope"
                " from public.integrations where is_active"
            ).fetchall()
            assert [r["access_token_encrypted"] for r in rows] == [None]
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute("update public.integrations set access_token_encrypted = 'x'")


def test_no_naive_timestamps_anywhere(database_url: str, adopted_url: str) -> None:
    for url in (database_url, adopted_url):
        with connect(url) as conn:
            naive = conn.execute(
                "select table_schema, table_name, column_name from information_schema.columns"
                " where table_schema in ('public', 'avito_private')"
                "   and data_type = 'timestamp without time zone'"
            ).fetchall()
        assert naive == []


def test_token_functions_have_the_agreed_signatures(database_url: str) -> None:
    with connect(database_url) as conn:
        rows = conn.execute(
            "select p.proname, pg_get_function_arguments(p.oid) as args,"
            " pg_get_function_result(p.oid) as result, p.prosecdef, p.proconfig"
            " from pg_proc p where p.pronamespace = 'avito_private'::regnamespace"
            " and p.proname like '%account_tokens'"
        ).fetchall()
    found = {r["proname"]: r for r in rows}
    assert found["store_account_tokens"]["args"] == (
        "p_account_id uuid, p_access_token text, p_refresh_token text,"
        " p_expires_at timestamp with time zone, p_scope text"
    )
    assert found["rotate_account_tokens"]["args"] == (
        "p_account_id uuid, p_access_token text, p_refresh_token text,"
        " p_expires_at timestamp with time zone"
    )
    assert found["read_account_tokens"]["args"] == "p_account_id uuid"
    assert found["read_account_tokens"]["result"] == (
        "TABLE(access_token text, refresh_token text, expires_at timestamp with time zone,"
        " scope text)"
    )
    for row in found.values():
        assert row["prosecdef"] is True
        assert row["proconfig"] == ['search_path=""']


def test_running_the_schema_migrations_again_changes_nothing(
    empty_url: str, legacy_url: str, tmp_path: Path
) -> None:
    ours = schema_migrations_only(tmp_path)
    for url in (empty_url, legacy_url):
        apply_migrations(url, ours)
        with connect(url) as conn:
            before = catalog_snapshot(conn)
            rows_before = {t: table_rows(conn, f"public.{t}") for t in PUBLIC_TABLES}
            secrets_before = conn.execute("select id, secret from vault.secrets").fetchall()
        for migration in list_migrations(ours):
            run_sql_file(url, migration.path)
        with connect(url) as conn:
            assert catalog_snapshot(conn) == before
            assert {t: table_rows(conn, f"public.{t}") for t in PUBLIC_TABLES} == rows_before
            assert conn.execute("select id, secret from vault.secrets").fetchall() == (
                secrets_before
            )


def test_every_migration_runs_again_without_changing_the_catalog(empty_url: str) -> None:
    """Every migration, the sync engine's included, is written to be re-runnable (create or
    replace, if not exists, guarded constraint and policy helpers)."""
    apply_migrations(empty_url)
    with connect(empty_url) as conn:
        before = catalog_snapshot(conn)
    for migration in list_migrations():
        run_sql_file(empty_url, migration.path)
    with connect(empty_url) as conn:
        assert catalog_snapshot(conn) == before


# --- adopting the app's existing database ----------------------------------------------------


def test_adoption_keeps_every_row_of_the_app(legacy_url: str) -> None:
    tables = ("properties", "property_rates", "bookings", "integrations")
    with connect(legacy_url) as conn:
        before = {t: table_rows(conn, f"public.{t}") for t in tables}
    apply_migrations(legacy_url)
    with connect(legacy_url) as conn:
        after = {t: table_rows(conn, f"public.{t}") for t in tables}
    for table in tables:
        assert [r["id"] for r in after[table]] == [r["id"] for r in before[table]]
    for old, new in zip(before["properties"], after["properties"], strict=True):
        assert {k: new[k] for k in old} == old
    for old, new in zip(before["property_rates"], after["property_rates"], strict=True):
        assert {k: new[k] for k in old} == old
    for old, new in zip(before["bookings"], after["bookings"], strict=True):
        changed = {k for k in old if new[k] != old[k]}
        # Only the Avito booking written without external_id gets it filled in (an update).
        filled = old["id"].hex.endswith("c003")
        assert changed == ({"external_id", "updated_at"} if filled else set())


def test_adoption_reads_naive_timestamps_as_utc(adopted: Conn) -> None:
    row = adopted.execute(
        "select token_expires_at, last_sync_at, created_at from public.integrations where id = %s",
        (LOFT_INTEGRATION,),
    ).fetchone()
    assert row == {
        "token_expires_at": datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        "last_sync_at": datetime(2026, 11, 27, 10, 30, tzinfo=UTC),
        "created_at": datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    }


def test_adoption_collapses_duplicate_queue_rows_to_the_earliest_due(adopted: Conn) -> None:
    rows = adopted.execute(
        "select id::text, integration_id::text, next_sync_at from public.avito_sync_queue"
        " order by integration_id"
    ).fetchall()
    assert rows == [
        {
            "id": "00000000-0000-4000-8000-0000000000e2",
            "integration_id": LOFT_INTEGRATION,
            "next_sync_at": datetime(2026, 11, 27, 10, 35, tzinfo=UTC),
        },
        {
            "id": "00000000-0000-4000-8000-0000000000e4",
            "integration_id": FLAT_INTEGRATION,
            "next_sync_at": datetime(2026, 11, 27, 10, 45, tzinfo=UTC),
        },
    ]
    with pytest.raises(errors.UniqueViolation), adopted.transaction():
        adopted.execute(
            "insert into public.avito_sync_queue (integration_id, property_id) values (%s, %s)",
            (LOFT_INTEGRATION, LOFT),
        )


def test_adoption_keeps_legacy_tokens_readable_for_the_old_functions(adopted: Conn) -> None:
    """The push must not stop the old functions: their token columns stay as the app wrote them
    until `avito-sync cutover apply` imports them (tests/cutover)."""
    columns = ("access_token_encrypted", "refresh_token_encrypted", "messenger_token_json")
    rows = adopted.execute(
        f"select id::text, {', '.join(columns)} from public.integrations order by id"
    ).fetchall()
    assert [tuple(r.values()) for r in rows] == [
        (LOFT_INTEGRATION, "ww0Elegacy-access-token-d1", "legacy-refresh-token-d1", None),
        (FLAT_INTEGRATION, "ww0Eww0Ealready-encrypted-d2", None, None),
        (
            STUDIO_INTEGRATION,
            None,
            None,
            {"access_token": "legacy-messenger-token-d3"},
        ),
    ]
    assert adopted.execute("select count(*) as n from vault.secrets").fetchone() == {"n": 0}
    # An old function (service role) refreshes a token: it writes plain text, which stays plain
    # now that the old re-encrypting trigger is gone.
    with as_service_role(adopted):
        adopted.execute(
            "update public.integrations set access_token_encrypted = 'fresh-access',"
            " refresh_token_encrypted = 'fresh-refresh' where id = %s",
            (LOFT_INTEGRATION,),
        )
        row = adopted.execute(
            "select access_token_encrypted, refresh_token_encrypted from public.integrations"
            " where id = %s",
            (LOFT_INTEGRATION,),
        ).fetchone()
    assert row == {
        "access_token_encrypted": "fresh-access",
        "refresh_token_encrypted": "fresh-refresh",
    }
    # The browser still cannot write them.
    with pytest.raises(errors.InsufficientPrivilege), as_authenticated(adopted, HOST_ONE):
        adopted.execute(
            "update public.integrations set access_token_encrypted = 'x' where id = %s",
            (LOFT_INTEGRATION,),
        )


def test_adoption_sets_statuses_and_keeps_the_apps_markups(adopted: Conn) -> None:
    rows = adopted.execute(
        "select id::text, avito_markup, status, is_active, last_error,"
        " legacy_avito_account_id, avito_account_id from public.integrations order by id"
    ).fetchall()
    loft, flat, studio = rows
    assert loft["avito_markup"] == Decimal("-500.00")  # a 500 ₽ surcharge, never zeroed
    assert loft["last_error"] is None
    assert flat["avito_markup"] == Decimal("15.00")
    assert studio["avito_markup"] == Decimal("0.00")  # NULL: the old sync applied no markup
    assert [r["status"] for r in rows] == ["needs_reconnect", "needs_reconnect", "disconnected"]
    assert loft["legacy_avito_account_id"] == "7654321"
    assert all(r["avito_account_id"] is None for r in rows)
    validated = adopted.execute(
        "select convalidated from pg_constraint where conname = 'integrations_avito_markup_check'"
    ).fetchone()
    assert validated == {"convalidated": True}
    widened = adopted.execute(
        "select numeric_precision from information_schema.columns"
        " where table_name = 'integrations' and column_name = 'avito_markup'"
    ).fetchone()
    assert widened == {"numeric_precision": 8}  # decimal(5,2) overflowed at -1000


def test_adoption_keeps_booking_quirks_and_adds_the_source_key(adopted: Conn) -> None:
    avito = adopted.execute(
        "select external_id, avito_booking_id from public.bookings where id = %s",
        ("00000000-0000-4000-8000-00000000c003",),
    ).fetchone()
    assert avito == {"external_id": "987654321", "avito_booking_id": 987654321}
    check = adopted.execute(
        "select convalidated from pg_constraint where conname = 'bookings_stay_nights_check'"
    ).fetchone()
    assert check == {"convalidated": False}  # the zero-night import row is still there
    with pytest.raises(errors.UniqueViolation), adopted.transaction():
        adopted.execute(
            "insert into public.bookings (property_id, source, external_id, check_in, check_out)"
            " values (%s, 'excel_import', 'row-17', '2027-01-01', '2027-01-02')",
            (STUDIO,),
        )
    with pytest.raises(errors.CheckViolation), adopted.transaction():
        adopted.execute(
            "insert into public.bookings (property_id, check_in, check_out)"
            " values (%s, '2027-01-02', '2027-01-02')",
            (STUDIO,),
        )


def test_adoption_moves_the_unused_legacy_items_table_aside(adopted: Conn) -> None:
    legacy = adopted.execute(
        "select avito_item_id, avito_account_id from avito_private.legacy_avito_items"
    ).fetchall()
    assert legacy == [{"avito_item_id": 4012345678, "avito_account_id": "7654321"}]
    account_type = adopted.execute(
        "select format_type(atttypid, atttypmod) as t from pg_attribute"
        " where attrelid = 'public.avito_items'::regclass and attname = 'avito_account_id'"
    ).fetchone()
    assert account_type == {"t": "uuid"}


def test_adoption_replaces_the_old_grants_and_policies(adopted: Conn) -> None:
    policies = adopted.execute(
        "select policyname from pg_policies where tablename = 'integrations' order by 1"
    ).fetchall()
    assert [p["policyname"] for p in policies] == [
        "integrations_owner_delete",
        "integrations_owner_insert",
        "integrations_owner_select",
        "integrations_owner_update",
    ]
    without_rls = adopted.execute(
        "select c.oid::regclass::text as name from pg_class c"
        " where c.relnamespace in ('public'::regnamespace, 'avito_private'::regnamespace)"
        " and c.relkind = 'r' and not c.relrowsecurity"
    ).fetchall()
    assert without_rls == []
    with pytest.raises(errors.InsufficientPrivilege), as_anon(adopted):
        adopted.execute("select id from public.integrations")
    with pytest.raises(errors.InsufficientPrivilege), as_anon(adopted):
        adopted.execute("select id from public.properties")


def test_the_app_keeps_working_on_an_adopted_database(adopted: Conn) -> None:
    """What the existing frontend does with supabase-js, as the owner under RLS."""
    with as_authenticated(adopted, HOST_ONE):
        rows = adopted.execute("select * from public.integrations order by id").fetchall()
        assert [str(r["id"]) for r in rows] == [LOFT_INTEGRATION, STUDIO_INTEGRATION]
        # Connect modal: upsert on (property_id, platform).
        adopted.execute(
            "insert into public.integrations as i (property_id, platform, avito_user_id,"
            " avito_item_id, avito_markup, external_id, is_active)"
            " values (%s, 'avito', 7654321, 4012345679, 10, '4012345679', true)"
            " on conflict (property_id, platform) do update set"
            " avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id,"
            " avito_markup = excluded.avito_markup, external_id = excluded.external_id,"
            " is_active = excluded.is_active",
            (LOFT,),
        )
        # Disconnect: switch off, drop the queue row.
        adopted.execute(
            "update public.integrations set is_active = false where id = %s",
            (STUDIO_INTEGRATION,),
        )
        adopted.execute(
            "delete from public.avito_sync_queue where integration_id = %s", (LOFT_INTEGRATION,)
        )
    loft = adopted.execute(
        "select avito_item_id, avito_markup from public.integrations where id = %s",
        (LOFT_INTEGRATION,),
    ).fetchone()
    assert loft == {"avito_item_id": 4012345679, "avito_markup": Decimal("10.00")}
    assert adopted.execute(
        "select count(*) as n from public.avito_sync_queue where integration_id = %s",
        (LOFT_INTEGRATION,),
    ).fetchone() == {"n": 0}
    with pytest.raises(errors.InsufficientPrivilege), as_authenticated(adopted, HOST_ONE):
        adopted.execute(
            "update public.integrations set status = 'active' where id = %s",
            (LOFT_INTEGRATION,),
        )


def test_service_role_reads_the_adopted_status_view(adopted: Conn) -> None:
    with as_service_role(adopted):
        rows = adopted.execute(
            "select integration_id::text, connection_status from public.avito_integration_status"
            " order by integration_id"
        ).fetchall()
    assert [tuple(r.values()) for r in rows] == [
        (LOFT_INTEGRATION, "needs_reconnect"),
        (FLAT_INTEGRATION, "needs_reconnect"),
        (STUDIO_INTEGRATION, "disconnected"),
    ]


# --- legacy data the migrations refuse to guess about ----------------------------------------


def applied_versions(url: str) -> set[str]:
    with connect(url) as conn:
        rows = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    return {r["version"] for r in rows}


def test_text_item_ids_become_bigint(legacy_url: str) -> None:
    with connect(legacy_url) as conn:
        conn.execute("alter table public.integrations alter column avito_item_id type text")
        conn.execute(
            "update public.integrations set avito_item_id = ' 4099999999 ' where id = %s",
            (STUDIO_INTEGRATION,),
        )
    apply_migrations(legacy_url)
    with connect(legacy_url) as conn:
        rows = conn.execute("select avito_item_id from public.integrations order by id").fetchall()
    assert [r["avito_item_id"] for r in rows] == [4012345678, 4012345678, 4099999999]


def test_a_non_numeric_item_id_stops_the_migration_cleanly(legacy_url: str) -> None:
    with connect(legacy_url) as conn:
        conn.execute("alter table public.integrations alter column avito_item_id type text")
        conn.execute(
            "update public.integrations set avito_item_id = 'avito.ru/moskva/4099999999'"
            " where id = %s",
            (STUDIO_INTEGRATION,),
        )
    with pytest.raises(StackError) as failure:
        apply_migrations(legacy_url)
    assert "20261127000800_integrations.sql" in failure.value.message
    assert "not Avito item ids" in failure.value.message
    versions = applied_versions(legacy_url)
    assert "20261127000700" in versions
    assert "20261127000800" not in versions
    with connect(legacy_url) as conn:
        column = conn.execute(
            "select data_type from information_schema.columns where table_name = 'integrations'"
            " and column_name in ('avito_item_id', 'status') order by column_name"
        ).fetchall()
    assert column == [{"data_type": "text"}]  # untouched: no status column, still text


def test_duplicate_booking_keys_stop_the_migration_cleanly(legacy_url: str) -> None:
    with connect(legacy_url) as conn:
        conn.execute(
            "insert into public.bookings (property_id, source, external_id, check_in, check_out)"
            " values (%s, 'excel_import', 'row-17', '2027-01-01', '2027-01-03')",
            (STUDIO,),
        )
    with pytest.raises(StackError) as failure:
        apply_migrations(legacy_url)
    assert "20261127000500_bookings_avito_columns.sql" in failure.value.message
    assert "(source, external_id) pairs occur more than once" in failure.value.message
    assert "20261127000500" not in applied_versions(legacy_url)
    with connect(legacy_url) as conn:
        avito_status = conn.execute(
            "select count(*) as n from information_schema.columns"
            " where table_name = 'bookings' and column_name = 'avito_status'"
        ).fetchone()
    assert avito_status == {"n": 0}
