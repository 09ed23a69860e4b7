"""What the cutover commands observe: the database's facts, the service as the database reaches
it (a real pg_net round trip), and the Edge Functions as the app reaches them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from psycopg import AsyncConnection

from avito_sync.core.queries import Queries
from avito_sync.cutover.facts import (
    FORWARDED_FUNCTIONS,
    FORWARDER_HEADER,
    REMOVED_FUNCTIONS,
    DbFacts,
    FunctionProbe,
    FunctionState,
    ServiceProbe,
)

PROBE_POLL_SECONDS = 0.2
# The app's origin and the headers supabase-js sends, for a realistic preflight.
QUERIES = Queries("avito_sync.cutover")
DictConn = AsyncConnection[dict[str, Any]]
PREFLIGHT_HEADERS = {
    "Origin": "https://app.roomi.pro",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
}


async def read_facts(conn: DictConn) -> DbFacts:
    cur = await conn.execute(QUERIES["facts"])
    row = await cur.fetchone()
    return DbFacts.from_json((row or {}).get("facts") or {})


async def probe_service(
    conn: DictConn, facts: DbFacts, url: str | None, *, wait_seconds: float
) -> ServiceProbe:
    """Ask the database to GET <url>/healthz with pg_net and wait for the recorded answer.

    `conn` must be in autocommit: pg_net sends a request only after its transaction commits.
    """
    url = (url or facts.service_url or "").rstrip("/") or None
    if url is None:
        return ServiceProbe(None)
    if not facts.net_functions:
        return ServiceProbe(url, error="pg_net is not installed")
    cur = await conn.execute(QUERIES["probe_service"], {"url": url})
    request_id = ((await cur.fetchone()) or {}).get("request_id")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        cur = await conn.execute(QUERIES["probe_result"], {"request_id": request_id})
        result = ((await cur.fetchone()) or {}).get("result")
        if result is not None:
            if result.get("timed_out"):
                return ServiceProbe(url, error="timed out")
            status = result.get("status_code")
            return ServiceProbe(url, status_code=status, error=result.get("error"))
        await asyncio.sleep(PROBE_POLL_SECONDS)
    return ServiceProbe(
        url, error=f"no answer recorded within {wait_seconds:g} s (is pg_net's worker running?)"
    )


async def probe_functions(
    supabase_url: str, anon_key: str | None, *, http_timeout: float = 10.0
) -> tuple[FunctionProbe, ...]:
    """Call each function as the app does and tell ours from the old ones by the header."""
    base = supabase_url.rstrip("/") + "/functions/v1/"
    async with httpx.AsyncClient(timeout=http_timeout, follow_redirects=False) as client:
        forwarded = [_probe_forwarded(client, base, name, anon_key) for name in FORWARDED_FUNCTIONS]
        removed = [_probe_removed(client, base, name) for name in REMOVED_FUNCTIONS]
        return tuple(await asyncio.gather(*forwarded, *removed))


async def _probe_forwarded(
    client: httpx.AsyncClient, base: str, name: str, anon_key: str | None
) -> FunctionProbe:
    """Preflight first (no side effects); if that does not tell, an empty POST as supabase-js
    sends it (with the anon key when given, which the gateway needs with verify_jwt)."""
    try:
        preflight = await client.options(base + name, headers=PREFLIGHT_HEADERS)
        if FORWARDER_HEADER in preflight.headers:
            return FunctionProbe(name, FunctionState.OURS, preflight.status_code)
        if preflight.status_code == 404:
            return FunctionProbe(name, FunctionState.ABSENT, 404)
        headers = {"Content-Type": "application/json", "Origin": PREFLIGHT_HEADERS["Origin"]}
        if anon_key:
            headers |= {"apikey": anon_key, "Authorization": f"Bearer {anon_key}"}
        answer = await client.post(base + name, content=b"{}", headers=headers)
    except httpx.HTTPError as exc:
        return FunctionProbe(name, FunctionState.UNREACHABLE, error=type(exc).__name__)
    if FORWARDER_HEADER in answer.headers:
        return FunctionProbe(name, FunctionState.OURS, answer.status_code)
    return FunctionProbe(name, FunctionState.OLD, answer.status_code)


async def _probe_removed(client: httpx.AsyncClient, base: str, name: str) -> FunctionProbe:
    """Preflight only: a POST would run the old function (avito-poller would sync)."""
    try:
        preflight = await client.options(base + name, headers=PREFLIGHT_HEADERS)
    except httpx.HTTPError as exc:
        return FunctionProbe(name, FunctionState.UNREACHABLE, error=type(exc).__name__)
    if preflight.status_code == 404:
        return FunctionProbe(name, FunctionState.ABSENT, 404)
    if FORWARDER_HEADER in preflight.headers:
        return FunctionProbe(name, FunctionState.OURS, preflight.status_code)
    return FunctionProbe(name, FunctionState.OLD, preflight.status_code)
