"""The typed async Avito client: OAuth, account and items, and the five short-term-rent calls.

One `httpx.AsyncClient` (one connection pool) per `AvitoClient`; a service keeps a single client
for the process (`shared_client()` / `close_shared_client()`, or `async with AvitoClient(...)`
in its lifespan). Every request is rate limited (`ratelimit`), retried when safe (`retry`),
counted (`stats`) and mapped to a typed error (`errors`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Self

import httpx
from pydantic import SecretStr

from avito_sync.avito import bodies
from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.bodies import check_id
from avito_sync.avito.errors import ForbiddenError, MalformedResponseError
from avito_sync.avito.messenger import MessengerApi
from avito_sync.avito.models import (
    BaseParams,
    BookingsResponse,
    CalendarBooking,
    Interval,
    ItemInfo,
    ItemResource,
    ItemsPage,
    ItemStatus,
    PriceItem,
    RealtyBooking,
    TokenResponse,
    UserInfoSelf,
)
from avito_sync.avito.oauth import build_authorize_url
from avito_sync.avito.ratelimit import ITEMS_ENDPOINT, RateLimiter, shared_rate_limiter
from avito_sync.avito.requester import Call, Requester, parse_model
from avito_sync.avito.retry import RetryMode, RetryPolicy
from avito_sync.avito.settings import AvitoSettings
from avito_sync.avito.transport import ShardedTransport

TOKEN_PATH = "/token"  # noqa: S105 - a URL path, not a secret
MAX_ITEM_PAGES = 1000


class BookingsAnswer:
    """One bookings answer as received: its raw body, and the bookings when parsed."""

    __slots__ = ("_operation", "_response")

    def __init__(self, response: httpx.Response, operation: str) -> None:
        self._response = response
        self._operation = operation

    @property
    def content(self) -> bytes:
        return self._response.content

    def bookings(self) -> list[RealtyBooking]:
        """Validated against the model (`MalformedResponseError` when it does not match)."""
        return parse_model(self._response, BookingsResponse, self._operation).bookings


class AvitoClient:
    """Async Avito API client. Account-scoped methods take a `TokenProvider` first.

    `transport` swaps httpx's network layer; `rate_limiter` defaults to the process-wide one
    for this application; `sleep` and `rand` drive the backoff (injectable for tests).
    """

    def __init__(
        self,
        settings: AvitoSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            base_url=settings.api_base_url,
            transport=transport or ShardedTransport(settings.max_connections),
            timeout=httpx.Timeout(
                settings.read_timeout_seconds,
                connect=settings.connect_timeout_seconds,
                pool=settings.pool_timeout_seconds,
            ),
            limits=httpx.Limits(max_connections=settings.max_connections),
            headers={"User-Agent": "avito-sync", "Accept": "application/json"},
            follow_redirects=False,
            trust_env=False,
        )
        policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            base_seconds=settings.backoff_base_seconds,
            max_seconds=settings.backoff_max_seconds,
            max_retry_after_seconds=settings.max_retry_after_seconds,
        )
        self._requests = Requester(
            self._http,
            rate_limiter or shared_rate_limiter(settings),
            policy,
            sleep=sleep,
            rand=rand,
        )
        self.messenger = MessengerApi(self._requests)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- OAuth ---------------------------------------------------------------------------------

    def authorize_url(
        self, state: str, *, redirect_uri: str | None = None, scopes: Sequence[str] | None = None
    ) -> str:
        return build_authorize_url(
            self.settings.oauth_base_url,
            client_id=self.settings.client_id,
            scopes=tuple(scopes) if scopes is not None else self.settings.scopes,
            state=state,
            redirect_uri=redirect_uri or self.settings.redirect_uri,
        )

    async def exchange_code(self, code: str, *, redirect_uri: str | None = None) -> TokenResponse:
        """Trade an authorization code for tokens. Never retried: codes are single-use, so a
        repeat could only fail with invalid_grant and hide the first answer."""
        if not code:
            raise ValueError("code must not be empty")
        form = bodies.authorization_code_form(
            self.settings.client_id, self._secret, code, redirect_uri or self.settings.redirect_uri
        )
        return await self._token("token.authorization_code", form, RetryMode.NEVER, (code,))

    async def refresh(self, refresh_token: str | SecretStr) -> TokenResponse:
        """Refresh grant; the answer carries a new (rotated) refresh token. Retried only when
        Avito surely did not see the request: a lost answer would mean a lost rotation."""
        value = (
            refresh_token.get_secret_value()
            if isinstance(refresh_token, SecretStr)
            else refresh_token
        )
        if not value:
            raise ValueError("refresh_token must not be empty")
        form = bodies.refresh_form(self.settings.client_id, self._secret, value)
        return await self._token("token.refresh_token", form, RetryMode.UNPROCESSED_ONLY, (value,))

    async def client_credentials(self) -> TokenResponse:
        form = bodies.client_credentials_form(self.settings.client_id, self._secret)
        return await self._token("token.client_credentials", form, RetryMode.SAFE, ())

    @property
    def _secret(self) -> str:
        return self.settings.client_secret.get_secret_value()

    async def _token(
        self, operation: str, form: dict[str, str], retry: RetryMode, secrets: tuple[str, ...]
    ) -> TokenResponse:
        call = Call(
            operation,
            "POST",
            TOKEN_PATH,
            retry,
            form=form,
            oauth=True,
            secrets=(*secrets, self._secret),
        )
        response = await self._requests.send(call, None)
        return parse_model(response, TokenResponse, operation)

    # --- Account and items ---------------------------------------------------------------------

    async def get_self(self, auth: TokenProvider) -> UserInfoSelf:
        call = Call("get_self", "GET", "/core/v1/accounts/self", RetryMode.SAFE)
        return parse_model(await self._requests.send(call, auth), UserInfoSelf, call.operation)

    async def list_items(
        self, auth: TokenProvider, *, status: Sequence[ItemStatus] = ("active",)
    ) -> list[ItemResource]:
        """Every item of the account, page by page until a short page (the API gives no total).
        Pages draw from the account's items bucket (Avito allows 25 requests a minute)."""
        per_page = self.settings.items_per_page
        items: list[ItemResource] = []
        for page in range(1, MAX_ITEM_PAGES + 1):
            params = bodies.items_query(page, per_page, status)
            call = Call(
                "list_items",
                "GET",
                "/core/v1/items",
                RetryMode.SAFE,
                params,
                endpoint=ITEMS_ENDPOINT,
            )
            batch = parse_model(
                await self._requests.send(call, auth), ItemsPage, call.operation
            ).resources
            items.extend(batch)
            if len(batch) < per_page:
                return items
        raise MalformedResponseError(
            f"more than {MAX_ITEM_PAGES} full pages; the server ignores per_page",
            operation="list_items",
        )

    async def get_item_info(self, auth: TokenProvider, user_id: int, item_id: int) -> ItemInfo:
        path = (
            f"/core/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/"
        )
        call = Call("get_item_info", "GET", path, RetryMode.SAFE)
        return parse_model(await self._requests.send(call, auth), ItemInfo, call.operation)

    async def owns_listing(self, auth: TokenProvider, user_id: int, item_id: int) -> bool:
        """Whether the listing is the account's, with the short-term-rent scopes only.

        A one-day bookings read answers 200 for the account's own listing, 403 for another
        account's (False) and 404 for an unknown one (`NotFoundError`). The probe never forces
        a refresh: a 403 is then confirmed with the account's
        own profile (`user:read`), which refreshes a stale token; only if that worked is the
        probe repeated once, so a dead token is never mistaken for someone else's listing.
        """
        day = datetime.now(UTC).date() + timedelta(days=1)  # never in the past in Moscow
        params = bodies.bookings_query(day, day, with_unpaid=False)
        path = (
            f"/realty/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/bookings"
        )
        call = Call("owns_listing", "GET", path, RetryMode.SAFE, params, refresh_on_denial=False)
        for attempt in range(2):
            before = await auth.access_token()
            try:
                await self._requests.send(call, auth)
            except ForbiddenError:
                if attempt:
                    return False
                await self.get_self(auth)  # raises TokenExpiredError when the token is dead
                if await auth.access_token() == before:
                    return False  # the token works: the listing is not the account's
            else:
                return True
        return False

    # --- Short-term rent -----------------------------------------------------------------------

    async def get_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        date_start: date,
        date_end: date,
        *,
        with_unpaid: bool = True,
    ) -> list[RealtyBooking]:
        """Bookings overlapping the window. `skip_error` is never sent: it turns 403/404 into
        an empty list that looks like "no bookings"."""
        answer = await self.get_bookings_answer(
            auth, user_id, item_id, date_start, date_end, with_unpaid=with_unpaid
        )
        return answer.bookings()

    async def get_bookings_answer(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        date_start: date,
        date_end: date,
        *,
        with_unpaid: bool = True,
    ) -> BookingsAnswer:
        """`get_bookings`, parsed only on demand: a steady-state poll compares the raw body's
        hash with the last one and never parses an answer it has already seen."""
        params = bodies.bookings_query(date_start, date_end, with_unpaid=with_unpaid)
        path = (
            f"/realty/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/bookings"
        )
        call = Call("get_bookings", "GET", path, RetryMode.SAFE, params)
        return BookingsAnswer(await self._requests.send(call, auth), call.operation)

    async def post_core_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        bookings: Sequence[CalendarBooking],
        *,
        source: str | None = "pms",
    ) -> None:
        """Close date ranges (exclusive ends). Raises `ConflictError` on 409. Not retried after
        a 5xx or a lost answer: whether Avito applied the ranges is unknown, and repeating
        additive closures blindly could double-apply them; the caller re-syncs instead."""
        path = (
            f"/core/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/bookings"
        )
        body = bodies.core_bookings_body(bookings, source)
        call = Call("post_core_bookings", "POST", path, RetryMode.UNPROCESSED_ONLY, json=body)
        await self._requests.send(call, auth)

    async def post_prices(
        self, auth: TokenProvider, user_id: int, item_id: int, prices: Sequence[PriceItem]
    ) -> None:
        """Prices per range (inclusive `date_to`). Never retried in place: a price write turns
        pending requests on its dates into `overbook`, so a later attempt must first read the
        bookings again (the sync does that)."""
        path = (
            f"/realty/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/prices"
        )
        body = bodies.prices_body(prices)
        await self._requests.send(
            Call("post_prices", "POST", path, RetryMode.NEVER, json=body), auth
        )

    async def post_intervals(
        self,
        auth: TokenProvider,
        item_id: int,
        intervals: Sequence[Interval],
        *,
        source: str | None = "pms",
    ) -> None:
        """Replace the item's availability for the next year: days not covered are closed,
        so pass every open range in one call (an empty list closes the calendar)."""
        body = bodies.intervals_body(item_id, intervals, source)
        call = Call(
            "post_intervals", "POST", "/realty/v1/items/intervals", RetryMode.SAFE, json=body
        )
        await self._requests.send(call, auth)

    async def post_base_params(self, auth: TokenProvider, item_id: int, params: BaseParams) -> None:
        path = f"/realty/v1/items/{check_id('item_id', item_id)}/base"
        call = Call(
            "post_base_params", "POST", path, RetryMode.SAFE, json=bodies.base_params_body(params)
        )
        await self._requests.send(call, auth)
