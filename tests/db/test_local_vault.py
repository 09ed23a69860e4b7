"""The Vault stand-in: Vault 0.3's interface, real encryption, Supabase's privileges."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.fixtures.db import Conn, as_anon, as_authenticated, as_service_role, create_user


@pytest.fixture
def vault_db(local_db: Conn) -> Conn:
    return local_db


def _signature(conn: Conn, name: str) -> dict[str, Any]:
    row = conn.execute(
        "select pg_get_function_arguments(p.oid) as args, pg_get_function_result(p.oid) as result,"
        " p.prosecdef, p.proconfig from pg_proc p where p.oid = %s::regproc",
        (name,),
    ).fetchone()
    assert row is not None
    return row


def test_functions_have_vault_signatures(vault_db: Conn) -> None:
    create = _signature(vault_db, "vault.create_secret")
    assert create["args"] == (
        "new_secret text, new_name text DEFAULT NULL::text, new_description text DEFAULT ''::text,"
        " new_key_id uuid DEFAULT NULL::uuid"
    )
    assert create["result"] == "uuid"
    update = _signature(vault_db, "vault.update_secret")
    assert update["args"] == (
        "secret_id uuid, new_secret text DEFAULT NULL::text, new_name text DEFAULT NULL::text,"
        " new_description text DEFAULT NULL::text, new_key_id uuid DEFAULT NULL::uuid"
    )
    assert update["result"] == "void"
    for sig in (create, update):
        assert sig["prosecdef"] is True
        assert sig["proconfig"] == ['search_path=""']


def test_view_has_vault_columns(vault_db: Conn) -> None:
    columns = {
        r["column_name"]
        for r in vault_db.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'vault' and table_name = 'decrypted_secrets'"
        )
    }
    assert columns == {
        "id",
        "name",
        "description",
        "secret",
        "decrypted_secret",
        "key_id",
        "nonce",
        "created_at",
        "updated_at",
    }


def test_round_trip_encrypts_at_rest(vault_db: Conn) -> None:
    secret_id = vault_db.execute(
        "select vault.create_secret('tok-plain-123', 'acct:1:access', 'access token') as id"
    ).fetchone()["id"]  # type: ignore[index]
    stored = vault_db.execute(
        "select secret, nonce from vault.secrets where id = %s", (secret_id,)
    ).fetchone()
    assert stored is not None
    assert "tok-plain-123" not in stored["secret"]
    assert stored["nonce"] is not None
    row = vault_db.execute(
        "select name, description, decrypted_secret from vault.decrypted_secrets where id = %s",
        (secret_id,),
    ).fetchone()
    assert row == {
        "name": "acct:1:access",
        "description": "access token",
        "decrypted_secret": "tok-plain-123",
    }


def test_same_plaintext_gives_different_ciphertexts(vault_db: Conn) -> None:
    rows = vault_db.execute(
        "select vault.create_secret('same') union all select vault.create_secret('same')"
    ).fetchall()
    assert len(rows) == 2
    ciphertexts = {r["secret"] for r in vault_db.execute("select secret from vault.secrets")}
    assert len(ciphertexts) == 2


def test_update_keeps_nulls_and_bumps_updated_at(vault_db: Conn) -> None:
    with vault_db.transaction():
        secret_id = vault_db.execute(
            "select vault.create_secret('v1', 'n1', 'd1') as id"
        ).fetchone()["id"]  # type: ignore[index]
    vault_db.execute("select vault.update_secret(%s, 'v2')", (secret_id,))
    row = vault_db.execute(
        "select name, description, decrypted_secret, updated_at > created_at as bumped"
        " from vault.decrypted_secrets where id = %s",
        (secret_id,),
    ).fetchone()
    assert row == {"name": "n1", "description": "d1", "decrypted_secret": "v2", "bumped": True}
    vault_db.execute("select vault.update_secret(%s, new_description => 'd2')", (secret_id,))
    row = vault_db.execute(
        "select name, description, decrypted_secret from vault.decrypted_secrets where id = %s",
        (secret_id,),
    ).fetchone()
    assert row == {"name": "n1", "description": "d2", "decrypted_secret": "v2"}


def test_ciphertext_moved_to_another_row_fails(vault_db: Conn) -> None:
    a = vault_db.execute("select vault.create_secret('alpha') as id").fetchone()["id"]  # type: ignore[index]
    b = vault_db.execute("select vault.create_secret('beta') as id").fetchone()["id"]  # type: ignore[index]
    vault_db.execute(
        "update vault.secrets set (secret, nonce) ="
        " (select secret, nonce from vault.secrets where id = %s) where id = %s",
        (a, b),
    )
    with pytest.raises(psycopg.Error, match="failed authentication"):
        vault_db.execute("select decrypted_secret from vault.decrypted_secrets where id = %s", (b,))


def test_service_role_reads_and_deletes_but_cannot_insert(vault_db: Conn) -> None:
    with as_service_role(vault_db):
        secret_id = vault_db.execute("select vault.create_secret('svc-secret') as id").fetchone()[
            "id"
        ]  # type: ignore[index]
        row = vault_db.execute(
            "select decrypted_secret from vault.decrypted_secrets where id = %s", (secret_id,)
        ).fetchone()
        assert row == {"decrypted_secret": "svc-secret"}
        with pytest.raises(errors.InsufficientPrivilege), vault_db.transaction():
            vault_db.execute("insert into vault.secrets (secret) values ('x')")
        with pytest.raises(errors.InsufficientPrivilege), vault_db.transaction():
            vault_db.execute("update vault.secrets set name = 'x'")
        deleted = vault_db.execute("delete from vault.secrets where id = %s", (secret_id,))
        assert deleted.rowcount == 1


@pytest.mark.parametrize(
    "statement",
    [
        "select * from vault.secrets",
        "select * from vault.decrypted_secrets",
        "select vault.create_secret('x')",
        "select vault.update_secret(gen_random_uuid(), 'x')",
        "insert into vault.secrets (secret) values ('x')",
    ],
)
def test_client_roles_get_permission_denied(vault_db: Conn, statement: str) -> None:
    user_id = create_user(vault_db)
    for enter in (lambda: as_anon(vault_db), lambda: as_authenticated(vault_db, user_id)):
        with pytest.raises(errors.InsufficientPrivilege), enter():
            vault_db.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "select vault._root_key()",
        "select pg_read_binary_file('avito_vault_root.key')",
        "select current_setting('vault.root_key')",
    ],
)
def test_root_key_is_unreadable_by_service_role(vault_db: Conn, statement: str) -> None:
    denied = (errors.InsufficientPrivilege, errors.UndefinedObject)
    with pytest.raises(denied), as_service_role(vault_db):
        vault_db.execute(statement)


def test_root_key_is_in_no_table_view_or_function_body(vault_db: Conn) -> None:
    key = vault_db.execute("select encode(vault._root_key(), 'hex') as k").fetchone()["k"]  # type: ignore[index]
    bodies = vault_db.execute(
        "select count(*) as n from pg_proc where prosrc ilike %s", (f"%{key}%",)
    ).fetchone()
    views = vault_db.execute(
        "select count(*) as n from pg_views where definition ilike %s", (f"%{key}%",)
    ).fetchone()
    settings = vault_db.execute(
        "select count(*) as n from pg_settings where setting ilike %s", (f"%{key}%",)
    ).fetchone()
    assert bodies == views == settings == {"n": 0}
