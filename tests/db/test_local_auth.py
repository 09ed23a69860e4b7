"""auth.uid()/role()/email()/jwt() read the request's claims as on Supabase; roles as Supabase's."""

from __future__ import annotations

import pytest
from psycopg import errors

from avito_sync.local.postgres.config import StackConfig
from tests.fixtures.db import (
    Conn,
    as_anon,
    as_authenticated,
    as_service_role,
    connect,
    create_user,
)


def test_claims_from_request_jwt_claims(local_db: Conn) -> None:
    user_id = create_user(local_db, email="host@example.test")
    with as_authenticated(local_db, user_id, extra_claims={"email": "host@example.test"}):
        row = local_db.execute(
            "select auth.uid() as uid, auth.role() as role, auth.email() as email,"
            " auth.jwt() ->> 'aud' as aud, current_user as db_role"
        ).fetchone()
    assert row == {
        "uid": user_id,
        "role": "authenticated",
        "email": "host@example.test",
        "aud": "authenticated",
        "db_role": "authenticated",
    }


def test_legacy_per_claim_setting_wins(local_db: Conn) -> None:
    with local_db.transaction():
        local_db.execute(
            "select set_config('request.jwt.claim.sub', '00000000-0000-0000-0000-000000000001',"
            " true), set_config('request.jwt.claims', '{\"sub\": \"not-used\"}', true)"
        )
        row = local_db.execute("select auth.uid()::text as uid").fetchone()
    assert row == {"uid": "00000000-0000-0000-0000-000000000001"}


def test_no_claims_means_null(local_db: Conn) -> None:
    row = local_db.execute(
        "select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt"
    ).fetchone()
    assert row == {"uid": None, "role": None, "email": None, "jwt": None}


def test_anon_and_service_role_claims(local_db: Conn) -> None:
    with as_anon(local_db):
        anon = local_db.execute("select auth.role() as r, auth.uid() as u").fetchone()
    with as_service_role(local_db):
        service = local_db.execute("select auth.role() as r, current_user as u").fetchone()
    assert anon == {"r": "anon", "u": None}
    assert service == {"r": "service_role", "u": "service_role"}


def test_role_attributes_match_supabase(local_db: Conn) -> None:
    rows = {
        r["rolname"]: r
        for r in local_db.execute(
            "select rolname, rolcanlogin, rolbypassrls, rolinherit, rolconfig from pg_roles"
            " where rolname in ('anon', 'authenticated', 'service_role', 'authenticator')"
        )
    }
    assert {k: (v["rolcanlogin"], v["rolbypassrls"]) for k, v in rows.items()} == {
        "anon": (False, False),
        "authenticated": (False, False),
        "service_role": (False, True),
        "authenticator": (True, False),
    }
    assert rows["anon"]["rolconfig"] == ["statement_timeout=3s"]
    assert rows["authenticated"]["rolconfig"] == ["statement_timeout=8s"]
    members = {
        r["rolname"]
        for r in local_db.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid"
            " join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'"
        )
    }
    assert members == {"anon", "authenticated", "service_role"}


def test_no_default_privileges_on_new_public_tables(local_db: Conn) -> None:
    local_db.execute("create table public.fresh (id int)")
    user_id = create_user(local_db)
    for enter in (
        lambda: as_anon(local_db),
        lambda: as_authenticated(local_db, user_id),
        lambda: as_service_role(local_db),
    ):
        with pytest.raises(errors.InsufficientPrivilege), enter():
            local_db.execute("select * from public.fresh")


def test_client_roles_cannot_read_auth_users(local_db: Conn) -> None:
    user_id = create_user(local_db)
    with pytest.raises(errors.InsufficientPrivilege), as_authenticated(local_db, user_id):
        local_db.execute("select * from auth.users")


def test_extensions_and_publication_exist(local_db: Conn) -> None:
    extensions = {
        r["extname"]: r["schema"]
        for r in local_db.execute(
            "select e.extname, n.nspname as schema from pg_extension e"
            " join pg_namespace n on n.oid = e.extnamespace"
        )
    }
    assert extensions["pgcrypto"] == "extensions"
    assert extensions["pgtap"] == "extensions"
    pub = local_db.execute(
        "select p.puballtables, (select count(*) from pg_publication_rel r where r.prpubid = p.oid)"
        " as tables from pg_publication p where pubname = 'supabase_realtime'"
    ).fetchone()
    assert pub == {"puballtables": False, "tables": 0}


def test_pg_cron_only_in_the_cron_database(local_db: Conn, pg_cluster: StackConfig) -> None:
    assert local_db.execute("select to_regnamespace('cron') as s").fetchone() == {"s": None}
    with connect(pg_cluster.url) as conn:
        row = conn.execute(
            "select extversion from pg_extension where extname = 'pg_cron'"
        ).fetchone()
    assert row is not None
