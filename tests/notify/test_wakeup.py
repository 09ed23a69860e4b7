"""Wake-up sources: the production Realtime client against the local stand-in, catch-up after
a reconnect, and LISTEN/NOTIFY. The sweep is five minutes here, so anything delivered within
the bound was delivered because a source woke the notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from avito_sync.notify.notifier import Notifier
from avito_sync.notify.sources import ListenSource, RealtimeSource, WakeSource
from tests.notify.conftest import (
    Conn,
    MakeNotifier,
    RecordingSource,
    add_channel,
    deliveries,
    emit,
    make_host,
)
from tests.notify.receivers import Receiver
from tests.notify.standin import standin, start_standin
from tests.support.net import free_port
from tests.support.processes import stop_process
from tests.support.waiting import wait_for

Start = Callable[[Notifier, WakeSource], None]


def realtime(port: int) -> RealtimeSource:
    return RealtimeSource(
        f"ws://127.0.0.1:{port}/realtime/v1",
        None,
        max_retries=2,
        initial_backoff=0.2,
        stale_seconds=1.0,
        check_seconds=0.1,
    )


def caught_up(notifier: Notifier, source: RecordingSource) -> Callable[[], bool]:
    """Subscribed, and asleep again after the catch-up pass the subscription triggered (the
    first pass runs at start), so whatever is inserted next needs a new wake-up."""
    return lambda: "subscribed" in source.reasons and notifier.idle_count >= 2


def delivered(db: Conn, count: int) -> Callable[[], bool]:
    return lambda: [r["status"] for r in deliveries(db)] == ["delivered"] * count


async def test_a_realtime_insert_wakes_the_notifier(
    db: Conn,
    database_url: str,
    make_notifier: MakeNotifier,
    telegram: Receiver,
    running_notifier: Start,
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 5})
    async with standin(database_url) as (_proc, port):
        source = RecordingSource(realtime(port))
        notifier = make_notifier()
        running_notifier(notifier, source)
        await wait_for(caught_up(notifier, source), what="subscribed and caught up")

        emit(db, host)
        await wait_for(delivered(db, 1), what="delivery after a realtime hint")

    assert source.reasons[0] == "subscribed"
    assert "event" in source.reasons
    assert len(telegram.received()) == 1


async def test_events_missed_while_realtime_was_down_are_caught_up_after_resubscribe(
    db: Conn,
    database_url: str,
    make_notifier: MakeNotifier,
    telegram: Receiver,
    running_notifier: Start,
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 5})
    port = free_port()
    proc = await asyncio.to_thread(start_standin, database_url, port)
    source = RecordingSource(realtime(port))
    notifier = make_notifier()
    running_notifier(notifier, source)
    await wait_for(caught_up(notifier, source), what="first subscribe")

    await asyncio.to_thread(stop_process, proc, kill=True)
    emit(db, host)
    emit(db, host, "booking_cancelled")
    await asyncio.sleep(0.3)  # let the client notice; not part of any assertion
    assert deliveries(db)[0]["status"] == "pending"
    proc = await asyncio.to_thread(start_standin, database_url, port)
    try:
        await wait_for(delivered(db, 2), limit=30, what="catch-up after resubscribe")
    finally:
        await asyncio.to_thread(stop_process, proc)

    assert source.reasons.count("subscribed") >= 2
    assert "event" not in source.reasons  # the new slot never saw those inserts
    texts = sorted(r.json()["text"].splitlines()[0] for r in telegram.received())
    assert texts == [
        "<b>❌ Бронирование с Avito отменено</b>",
        "<b>🏠 Новое бронирование с Avito</b>",
    ]


async def test_listen_notify_wakes_the_notifier(
    db: Conn,
    database_url: str,
    make_notifier: MakeNotifier,
    telegram: Receiver,
    running_notifier: Start,
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 5})
    source = RecordingSource(ListenSource(database_url))
    notifier = make_notifier()
    running_notifier(notifier, source)
    await wait_for(caught_up(notifier, source), what="listening and caught up")

    emit(db, host)
    await wait_for(delivered(db, 1), what="delivery after NOTIFY")

    assert "event" in source.reasons
