"""Seed data applies to the migrated schema and is idempotent."""

from __future__ import annotations

from avito_sync.local.devstack.seed import DEMO_PROPERTY_IDS, DEMO_USER_ID, apply_seed
from tests.fixtures.db import Conn

COUNTS = """
select (select count(*) from auth.users) as users,
       (select count(*) from public.properties where owner_id = %(u)s) as properties,
       (select count(*) from public.property_rates) as rates,
       (select count(*) from public.notification_channels where owner_id = %(u)s) as channels,
       (select count(*) from public.integrations) as integrations
"""


def test_seed_twice_gives_the_same_rows(database_url: str, db: Conn) -> None:
    apply_seed(database_url, "http://127.0.0.1:8791/notifications")
    first = db.execute(COUNTS, {"u": DEMO_USER_ID}).fetchone()
    assert first == {"users": 1, "properties": 2, "rates": 60, "channels": 1, "integrations": 0}
    db.execute(
        "update public.property_rates set daily_price = 9999 where property_id = %s",
        (DEMO_PROPERTY_IDS[0],),
    )
    apply_seed(database_url, "http://127.0.0.1:9000/notifications")
    assert db.execute(COUNTS, {"u": DEMO_USER_ID}).fetchone() == first
    edited = db.execute(
        "select count(*) as n from public.property_rates where daily_price = 9999"
    ).fetchone()
    assert edited == {"n": 60}
    channel = db.execute("select config from public.notification_channels").fetchone()
    assert channel is not None
    assert channel["config"]["url"] == "http://127.0.0.1:9000/notifications"
