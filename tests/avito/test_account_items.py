"""Account, items and item info against the sandbox: pagination, the 25/min limit, statuses."""

from __future__ import annotations

import math

import pytest

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import ForbiddenError, NotFoundError, RateLimitedError
from avito_sync.avito.ratelimit import RateLimiter, RateLimits
from avito_sync.avito.stats import track_calls
from tests.avito.conftest import private_client, sandbox_settings
from tests.avito.tokens import ConnectionTokens
from tests.fixtures.sandbox import Sandbox


async def test_get_self(client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox) -> None:
    me = await client.get_self(tokens)
    assert me.id == sandbox.account_id
    assert me.name


@pytest.mark.parametrize("extra", [5, 6])
async def test_list_items_reads_every_page_and_stops_on_a_short_one(
    sandbox: Sandbox, extra: int
) -> None:
    for n in range(extra):
        sandbox.control.add_listing(sandbox.account_id, title=f"Flat {n}")
    sandbox.control.add_listing(sandbox.account_id, title="Old", status="old")
    total = len(sandbox.item_ids) + extra  # 7 or 8 active items
    per_page = 2
    async with private_client(sandbox_settings(sandbox, items_per_page=per_page)) as client:
        token = await client.client_credentials()
        auth = StaticToken(token.access_token.get_secret_value(), "demo")
        with track_calls() as calls:
            items = await client.list_items(auth)
        old = await client.list_items(auth, status=["old"])
    assert len(items) == total
    assert len({i.id for i in items}) == total
    assert set(sandbox.item_ids) <= {i.id for i in items}
    assert all(i.status == "active" for i in items)
    # A full last page needs one more (empty) page to know it was the last.
    assert calls.by_operation["list_items"] == math.floor(total / per_page) + 1
    assert [i.title for i in old] == ["Old"]


async def test_items_429_is_retried_then_raised_with_limit_headers(sandbox: Sandbox) -> None:
    sandbox.control.update_settings(items_rate_limit=1)
    async with private_client(sandbox_settings(sandbox, items_per_page=1)) as client:
        token = await client.client_credentials()
        auth = StaticToken(token.access_token.get_secret_value(), "demo")
        with track_calls() as calls, pytest.raises(RateLimitedError) as info:
            await client.list_items(auth)
    assert (info.value.status, info.value.limit, info.value.remaining) == (429, 1, 0)
    assert calls.requests == 1 + 3  # page 1 passed, page 2 tried max_attempts times
    statuses = [r.status for r in sandbox.control.requests() if r.operation_id == "getItemsInfo"]
    assert statuses == [200, 429, 429, 429]


async def test_items_bucket_keeps_the_client_under_avitos_window(sandbox: Sandbox) -> None:
    """The sandbox allows 3 list requests per sliding minute. With a bucket of 1 + 2/min the
    client never exceeds it: its sleeps move the sandbox clock, so no real time passes."""
    sandbox.control.update_settings(items_rate_limit=3)
    for n in range(6):
        sandbox.control.add_listing(sandbox.account_id, title=f"Flat {n}")
    settings = sandbox_settings(
        sandbox, items_per_page=1, items_burst=1, items_rate_per_minute=2.0, max_attempts=1
    )
    clock = [0.0]
    slept: list[float] = []

    async def advance(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds
        sandbox.control.advance_clock(seconds)

    limiter = RateLimiter(RateLimits.from_settings(settings), clock=lambda: clock[0], sleep=advance)
    async with private_client(settings, rate_limiter=limiter) as client:
        token = await client.client_credentials()
        auth = StaticToken(token.access_token.get_secret_value(), "demo")
        items = await client.list_items(auth)
    assert len(items) == 8
    statuses = [r.status for r in sandbox.control.requests() if r.operation_id == "getItemsInfo"]
    assert statuses == [200] * 9
    assert len(slept) == 8
    assert all(s == pytest.approx(30.0) for s in slept)


async def test_item_info_statuses(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox
) -> None:
    other = sandbox.control.add_account("Someone else")
    foreign = sandbox.control.add_listing(other.id)
    own = await client.get_item_info(tokens, sandbox.account_id, sandbox.item_id)
    assert own.status == "active"
    assert own.url
    assert (await client.get_item_info(tokens, sandbox.account_id, foreign.id)).status == (
        "another_user"
    )
    assert (await client.get_item_info(tokens, sandbox.account_id, 999_999_999_999)).status == (
        "not_found"
    )


async def test_item_info_of_another_account_id_is_forbidden_after_one_refresh(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox
) -> None:
    other = sandbox.control.add_account("Someone else")
    with track_calls() as calls, pytest.raises(ForbiddenError) as info:
        await client.get_item_info(tokens, other.id, sandbox.item_id)
    assert info.value.status == 403
    assert tokens.refreshes == 1
    assert calls.by_operation == {"get_item_info": 2, "token.refresh_token": 1}


async def test_listing_ownership_with_short_term_rent_scopes_only(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox
) -> None:
    """A bookings read proves ownership: no items:info needed, no refresh for a foreign one."""
    other = sandbox.control.add_account("Someone else")
    foreign = sandbox.control.add_listing(other.id)
    with track_calls() as calls:
        assert await client.owns_listing(tokens, sandbox.account_id, sandbox.item_id) is True
        assert await client.owns_listing(tokens, sandbox.account_id, foreign.id) is False
        with pytest.raises(NotFoundError):
            await client.owns_listing(tokens, sandbox.account_id, 999_999_999_999)
    assert tokens.refreshes == 0
    # The foreign listing's 403 is confirmed with the account's own profile, not a refresh.
    assert calls.by_operation == {"owns_listing": 3, "get_self": 1}


async def test_listing_ownership_survives_an_expired_token(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox
) -> None:
    sandbox.control.expire_tokens(access_token=tokens.current_access_token)
    assert await client.owns_listing(tokens, sandbox.account_id, sandbox.item_id) is True
    assert tokens.refreshes == 1
