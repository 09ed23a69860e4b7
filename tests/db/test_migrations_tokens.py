"""The Vault token functions under concurrency and cascades, which one pgTAP session cannot show:
writers serialise on the account row, and removing a user removes their Avito secrets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from psycopg import errors

from tests.fixtures.db import Conn, as_service_role, connect, create_user

EXPIRES = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def make_account(conn: Conn, owner: uuid.UUID) -> uuid.UUID:
    row = conn.execute(
        "insert into public.avito_accounts (owner_id, avito_user_id, name)"
        " values (%s, 1001, 'Host') returning id",
        (owner,),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def store(conn: Conn, account: uuid.UUID, access: str, refresh: str) -> None:
    conn.execute(
        "select avito_private.store_account_tokens(%s, %s, %s, %s, 'user:read')",
        (account, access, refresh, EXPIRES),
    )


def read(conn: Conn, account: uuid.UUID) -> tuple[str, str]:
    with as_service_role(conn):
        row = conn.execute(
            "select access_token, refresh_token from avito_private.read_account_tokens(%s)",
            (account,),
        ).fetchone()
    assert row is not None
    return row["access_token"], row["refresh_token"]


@pytest.mark.parametrize(
    "call",
    [
        "select avito_private.store_account_tokens(%s, 'AT-2', 'RT-2', now(), null)",
        "select avito_private.rotate_account_tokens(%s, 'AT-2', null, now())",
    ],
    ids=["store", "rotate"],
)
def test_token_writers_wait_for_the_account_row(db: Conn, database_url: str, call: str) -> None:
    account = make_account(db, create_user(db))
    with as_service_role(db):
        store(db, account, "AT-1", "RT-1")
    with connect(database_url) as refresher, connect(database_url) as writer:
        with refresher.transaction():
            refresher.execute(
                "select 1 from public.avito_accounts where id = %s for update", (account,)
            )
            writer.execute("set lock_timeout = '200ms'")
            with pytest.raises(errors.LockNotAvailable), as_service_role(writer):
                writer.execute(call, (account,))
        with as_service_role(writer):
            writer.execute(call, (account,))
    assert read(db, account) == ("AT-2", "RT-2" if "store" in call else "RT-1")


def store_then_fail(conn: Conn, account: uuid.UUID) -> None:
    with as_service_role(conn):
        store(conn, account, "AT-1", "RT-1")
        raise RuntimeError("the exchange failed after storing")


def test_a_rolled_back_store_leaves_no_secret(db: Conn) -> None:
    account = make_account(db, create_user(db))
    with pytest.raises(RuntimeError, match="exchange failed"):
        store_then_fail(db, account)
    assert db.execute("select count(*) as n from vault.secrets").fetchone() == {"n": 0}
    assert db.execute("select token_expires_at from public.avito_accounts").fetchone() == {
        "token_expires_at": None
    }


def test_deleting_the_user_deletes_their_avito_secrets(db: Conn) -> None:
    owner, other = create_user(db), create_user(db)
    mine, theirs = make_account(db, owner), make_account(db, other)
    with as_service_role(db):
        store(db, mine, "AT-mine", "RT-mine")
        store(db, theirs, "AT-theirs", "RT-theirs")
    db.execute("delete from auth.users where id = %s", (owner,))
    names = db.execute("select name from vault.secrets order by name").fetchall()
    assert [r["name"] for r in names] == [f"avito:{theirs}:access", f"avito:{theirs}:refresh"]
    assert read(db, theirs) == ("AT-theirs", "RT-theirs")
