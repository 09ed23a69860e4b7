"""The shared fixtures' own promises: truncation between tests and the role helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from avito_sync.local.postgres.config import StackConfig
from avito_sync.local.postgres.migrate import apply_migrations
from tests.fixtures.db import (
    Conn,
    as_authenticated,
    as_service_role,
    connect,
    create_user,
    truncate_all,
)


def test_truncate_all_empties_data_tables_and_keeps_configuration(
    scratch_database: Callable[..., str], tmp_path: Path
) -> None:
    (tmp_path / "1_tables.sql").write_text(
        "create schema avito_private;"
        "create table public.parent (id bigint generated always as identity primary key);"
        "create table avito_private.child (parent_id bigint references public.parent(id));"
    )
    url = scratch_database(local_layer=True)
    apply_migrations(url, tmp_path)
    with connect(url) as conn:
        conn.execute(
            "insert into public.parent default values;"
            "insert into avito_private.child select id from public.parent;"
        )
        create_user(conn)
        conn.execute("select vault.create_secret('s')")
        conn.execute("select net.http_get('http://127.0.0.1:9/')")
        truncate_all(conn)
        counts = conn.execute(
            "select (select count(*) from public.parent) as parent,"
            " (select count(*) from avito_private.child) as child,"
            " (select count(*) from auth.users) as users,"
            " (select count(*) from vault.secrets) as secrets,"
            " (select count(*) from net.http_request_queue) as queue,"
            " (select count(*) from supabase_migrations.schema_migrations) as history"
        ).fetchone()
        assert counts == {
            "parent": 0,
            "child": 0,
            "users": 0,
            "secrets": 0,
            "queue": 0,
            "history": 1,
        }
        row = conn.execute("insert into public.parent default values returning id").fetchone()
    assert row == {"id": 1}


def test_truncate_all_keeps_cron_jobs(pg_cluster: StackConfig) -> None:
    with connect(pg_cluster.url) as conn:
        conn.execute("select cron.schedule('fixture-probe', '0 0 1 1 *', 'select 1')")
        try:
            truncate_all(conn)
            jobs = conn.execute(
                "select count(*) as n from cron.job where jobname = 'fixture-probe'"
            ).fetchone()
        finally:
            conn.execute("select cron.unschedule('fixture-probe')")
    assert jobs == {"n": 1}


def test_role_helpers_commit_on_success_and_roll_back_on_error(local_db: Conn) -> None:
    local_db.execute(
        "create table public.notes (owner uuid default auth.uid(), body text);"
        "grant select, insert on public.notes to authenticated;"
    )
    user_id = create_user(local_db)
    with as_authenticated(local_db, user_id):
        local_db.execute("insert into public.notes (body) values ('kept')")

    def insert_then_fail() -> None:
        with as_authenticated(local_db, user_id):
            local_db.execute("insert into public.notes (body) values ('dropped')")
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    rows = local_db.execute("select owner, body, current_user as role from public.notes").fetchall()
    assert rows == [{"owner": user_id, "body": "kept", "role": "postgres"}]
    with as_service_role(local_db):
        assert local_db.execute("select current_user as r").fetchone() == {"r": "service_role"}
    assert local_db.execute(
        "select current_setting('request.jwt.claims', true) as c"
    ).fetchone() in (
        {"c": ""},
        {"c": None},
    )
