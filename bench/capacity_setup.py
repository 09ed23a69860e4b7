"""The capacity benchmark's data: N connected listings (one Avito account per 10) in the
database and the sandbox, their first full syncs, and next-sync times spread over the cadence."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.local.sandbox.config import DEFAULT_CLIENT_ID
from avito_sync.sync.runtime import SyncRuntime
from bench.harness import BenchEnv, relaxed_avito_settings, sync_settings

LISTINGS_PER_ACCOUNT = 10
CADENCE_SECONDS = 10
Conn = psycopg.Connection[dict[str, Any]]


@dataclass(frozen=True)
class Listing:
    integration_id: uuid.UUID
    property_id: uuid.UUID
    item_id: int


async def setup_listings(env: BenchEnv, count: int) -> list[Listing]:
    """Accounts of 10 listings each, one OAuth grant per account, rows inserted in bulk."""
    env.reset_data()
    env.control.update_settings(lean=True)
    today = env.control.today()
    listings: list[Listing] = []
    async with AvitoClient(relaxed_avito_settings(env.sandbox_url)) as client:
        with env.connect() as conn:
            for a in range(-(-count // LISTINGS_PER_ACCOUNT)):
                size = min(LISTINGS_PER_ACCOUNT, count - a * LISTINGS_PER_ACCOUNT)
                account = env.control.add_account(f"Bench host {a}", email=f"c{a}@bench.local")
                items = [
                    env.control.add_listing(account.id, title=f"Flat {a}.{n}") for n in range(size)
                ]
                redirect = env.control.authorize(
                    DEFAULT_CLIENT_ID, account_id=account.id, state=uuid.uuid4().hex
                )
                token = await client.exchange_code(redirect["code"])
                listings += _insert_account(conn, a, account.id, [i.id for i in items], token)
            conn.execute(
                "insert into public.property_rates (property_id, date, daily_price, min_stay)"
                " select p.id, %s::date + n, 3000 + (n %% 7) * 250, 1 + n %% 3"
                " from public.properties p, generate_series(0, 59) as n",
                (today,),
            )
            conn.execute(
                "insert into public.bookings (property_id, check_in, check_out, status, source,"
                " guest_name) select p.id, %s::date + 5 + k * 9, %s::date + 8 + k * 9,"
                " 'confirmed', 'manual', 'Bench guest'"
                " from public.properties p, generate_series(0, 1) as k",
                (today, today),
            )
            conn.execute(
                "select avito_private.enqueue_integration(i.id, 'initial')"
                " from public.integrations i"
            )
    return listings


def _insert_account(
    conn: Conn, n: int, avito_user_id: int, item_ids: list[int], token: Any
) -> list[Listing]:
    owner = fetch_one(
        conn, "insert into auth.users (email) values (%s) returning id", (f"c{n}@b.l",)
    )
    account = fetch_one(
        conn,
        "insert into public.avito_accounts (owner_id, avito_user_id, name, status)"
        " values (%s, %s, 'Bench host', 'active') returning id",
        (owner, avito_user_id),
    )
    conn.execute(
        "select avito_private.store_account_tokens(%s, %s, %s, %s, %s)",
        (
            account,
            token.access_token.get_secret_value(),
            token.refresh_token.get_secret_value(),
            dt.datetime.now(dt.UTC) + dt.timedelta(seconds=token.expires_in),
            token.scope,
        ),
    )
    out = []
    for item_id in item_ids:
        prop = fetch_one(
            conn,
            "insert into public.properties (owner_id, name, base_price, minimum_booking_days)"
            " values (%s, 'Flat', 3000, 2) returning id",
            (owner,),
        )
        conn.execute(
            "insert into public.avito_items (avito_account_id, avito_item_id, title)"
            " values (%s, %s, 'Bench flat')",
            (account, item_id),
        )
        integration = fetch_one(
            conn,
            "insert into public.integrations (property_id, avito_account_id, avito_user_id,"
            " avito_item_id, avito_markup, is_active, status)"
            " values (%s, %s, %s, %s, 15, true, 'active') returning id",
            (prop, account, avito_user_id, item_id),
        )
        out.append(Listing(integration, prop, item_id))
    return out


def fetch_one(conn: Conn, sql: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


async def initial_syncs(env: BenchEnv, count: int) -> float:
    """Every listing's first (full) sync, in process, before the clock starts."""
    # A long interval: run_once drains until nothing is due, and the rows must not fall due
    # again meanwhile (the phases spread their due times themselves).
    settings = sync_settings(
        env.database_url, concurrency=64, batch_size=200, interval_seconds=86400
    )
    runtime = await SyncRuntime.open(settings, relaxed_avito_settings(env.sandbox_url))
    started = time.monotonic()
    try:
        ran = await runtime.worker.run_once()
    finally:
        await runtime.aclose()
    if ran < count:
        raise RuntimeError(f"initial syncs: {ran} of {count}")
    return time.monotonic() - started


def stagger(env: BenchEnv) -> None:
    """Due times spread over one cadence, as in a running system."""
    with env.connect() as conn:
        conn.execute(
            "update public.avito_sync_queue set status = 'pending', lease_owner = null,"
            " lease_expires_at = null, attempts = 0,"
            " next_sync_at = now() + random() * make_interval(secs => %s)",
            (CADENCE_SECONDS,),
        )
