"""No token, code, client secret, or guest phone/e-mail in a log event or an exception,
across a run that handles every one of those values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import AvitoError, ForbiddenError, InvalidGrantError
from avito_sync.avito.models import CalendarBooking
from avito_sync.avito.requester import COMPONENT
from tests.avito.browser import consent
from tests.avito.conftest import private_client, sandbox_settings
from tests.avito.tokens import ConnectionTokens
from tests.fixtures.sandbox import Sandbox

GUEST_EMAIL = "olga.secret-guest@example.org"
GUEST_PHONE = "9161234567"


async def test_secrets_never_reach_logs_or_errors(client: AvitoClient, sandbox: Sandbox) -> None:
    today = sandbox.control.today()
    sandbox.control.create_booking(
        sandbox.item_id,
        today + timedelta(2),
        today + timedelta(4),
        status="pending",
        guest_email=GUEST_EMAIL,
        guest_phone=GUEST_PHONE,
    )
    other = sandbox.control.add_account("Other")
    foreign = sandbox.control.add_listing(other.id)
    sandbox.control.add_fault("getRealtyBookings", error_rates={503: 1.0}, times=1)
    secrets = {sandbox.client_secret, "wrong-secret-value-123"}
    errors: list[AvitoError] = []

    with capture_logs() as events:
        _, query = await consent(client.authorize_url("st"))
        code = query["code"]
        secrets.add(code)
        token = await client.exchange_code(code)
        assert token.refresh_token is not None
        secrets |= {token.access_token.get_secret_value(), token.refresh_token.get_secret_value()}
        tokens = ConnectionTokens(client, token, "acct")

        bookings = await client.get_bookings(
            tokens, sandbox.account_id, sandbox.item_id, today, today + timedelta(9)
        )
        assert bookings[0].contact is not None
        assert bookings[0].contact.email == GUEST_EMAIL

        sandbox.control.expire_tokens(access_token=tokens.current_access_token)
        await client.get_self(tokens)
        secrets |= {tokens.current_access_token, tokens.current_refresh_token}
        with pytest.raises(ForbiddenError) as forbidden:
            await client.post_core_bookings(
                tokens,
                other.id,
                foreign.id,
                [CalendarBooking(date_start=today, date_end=today + timedelta(1))],
            )
        errors.append(forbidden.value)
        secrets |= {tokens.current_access_token, tokens.current_refresh_token}
        with pytest.raises(InvalidGrantError) as reused:
            await client.exchange_code(code)
        errors.append(reused.value)
        with pytest.raises(InvalidGrantError) as old_refresh:
            await client.refresh(token.refresh_token)
        errors.append(old_refresh.value)
        async with private_client(
            sandbox_settings(sandbox, client_secret="wrong-secret-value-123")
        ) as wrong:
            with pytest.raises(AvitoError) as bad_client:
                await wrong.client_credentials()
        errors.append(bad_client.value)
        with pytest.raises(AvitoError) as static:
            await client.get_self(StaticToken(token.access_token.get_secret_value(), "x"))
        errors.append(static.value)

    ours = [e for e in events if e.get("component") == COMPONENT]
    assert len(ours) >= 8  # every request was logged, so the check below saw them
    texts = [repr(e) for e in ours] + [f"{e!s} {e!r} {vars(e)!r}" for e in errors]
    texts += [repr(b) for b in bookings]
    for text in texts:
        for value in (*secrets, GUEST_EMAIL, GUEST_PHONE):
            assert value not in text
