"""Issue #10.6 replayed: one signing secret for every tenant let hosts forge each other's
webhooks. Now each channel has its own secret in Vault, shown once to its owner; another host's
secret verifies nothing, and no client role can read or change what the notifier signs with."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest

from tests.api.conftest import Service
from tests.fixtures.db import Conn, as_authenticated
from tests.notify.receivers import Received, Receiver, running
from tests.support.channels import standin_channels
from tests.support.webhook_signing import signature, verifies


@pytest.fixture
async def svc(service: Service) -> AsyncIterator[Service]:
    async with standin_channels(service.context, "http://127.0.0.1:9"):
        yield service


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running(Receiver("webhook")) as hook:
        yield hook


async def add(svc: Service, user: uuid.UUID, url: str) -> dict[str, Any]:
    answer = (await svc.act(user, "channel-add-webhook", url=url)).json()
    assert answer["success"] is True, answer
    return answer


async def test_each_hosts_webhook_verifies_only_with_its_own_secret(
    svc: Service, receiver: Receiver
) -> None:
    host_a, host_b = svc.user(), svc.user()
    a = await add(svc, host_a, f"{receiver.url}/a")
    b = await add(svc, host_b, f"{receiver.url}/b")
    assert a["secret"] != b["secret"]
    for user, added in ((host_a, a), (host_b, b)):
        answer = await svc.act(user, "channel-test", channel_id=added["channel"]["id"])
        assert answer.json()["delivered"] is True
    to_a, to_b = receiver.received()
    assert (to_a.path, to_b.path) == ("/a", "/b")
    assert verifies(a["secret"], to_a)
    assert not verifies(b["secret"], to_a)
    assert verifies(b["secret"], to_b)
    assert not verifies(a["secret"], to_b)

    # B signs a body for A's receiver with B's secret: A's check rejects it.
    forged = json.dumps({"version": 1, "kind": "booking_cancelled"}).encode()
    timestamp = to_a.headers["X-Avito-Sync-Timestamp"]
    fake = Received(
        "/a",
        {**to_a.headers, "X-Avito-Sync-Signature": signature(b["secret"], timestamp, forged)},
        forged,
    )
    assert not verifies(a["secret"], fake)


async def test_a_secret_is_shown_once_and_never_again(svc: Service, receiver: Receiver) -> None:
    host = svc.user()
    added = await add(svc, host, f"{receiver.url}/a")
    secret = added["secret"]
    assert secret not in (await svc.act(host, "channels-list")).text
    updated = await svc.act(host, "channel-update", channel_id=added["channel"]["id"], label="x")
    assert secret not in updated.text
    rows = svc.db.execute("select to_jsonb(c)::text as row from public.notification_channels c")
    assert all(secret not in r["row"] for r in rows.fetchall())


def test_no_client_role_reads_or_redirects_a_channel(svc: Service, db: Conn) -> None:
    owner = svc.user()
    channel = db.execute(
        "insert into public.notification_channels (owner_id, kind, config)"
        " values (%s, 'webhook', '{\"url\": \"https://hooks.example.com/a\"}') returning id",
        (owner,),
    ).fetchone()
    assert channel is not None
    db.execute("select avito_private.channel_secret_put(%s, %s)", (channel["id"], "k" * 40))
    attempts = [
        ("select avito_private.channel_secret_read(%s)", (channel["id"],)),
        ("select * from vault.decrypted_secrets", ()),
        (
            'update public.notification_channels set config = \'{"url": "https://127.1/"}\''
            " where id = %s",
            (channel["id"],),
        ),
        (
            "insert into public.notification_channels (owner_id, kind, config)"
            " values (%s, 'webhook', '{\"url\": \"https://2130706433/\"}')",
            (owner,),
        ),
    ]
    for statement, params in attempts:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_authenticated(db, owner):
            db.execute(statement, params)
