"""Issue #10, item 1: account-linking CSRF through `GET /oauth/avito/callback`.

Attack: host A calls `oauth-url`, sends the URL to host B; B clicks Allow on the consent page
with B's own Avito account; before the fix the callback exchanged the code for whichever user
the state named, so B's account was attached to A. Now the callback only forwards, and the
code is redeemed only with the session of the user the state was issued to.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.api.conftest import APP_REDIRECT, Service
from tests.avito.browser import consent
from tests.security.hosts import connected_host

VICTIM_AVITO_ID = 488_000_111
VICTIM_NAME = "Борис Жертвин"


def token_exchanges(service: Service) -> int:
    return sum(
        1
        for entry in service.sandbox.control.requests()
        if entry.path.endswith("/token") and entry.method == "POST"
    )


def accounts_of(service: Service, owner: uuid.UUID) -> list[int]:
    rows = service.db.execute(
        "select avito_user_id from public.avito_accounts where owner_id = %s", (owner,)
    ).fetchall()
    return [r["avito_user_id"] for r in rows]


async def test_victim_allowing_the_attackers_link_attaches_nothing(service: Service) -> None:
    attacker, victim = service.user(), service.user()
    attacker_property = service.property(attacker)
    service.sandbox.control.add_account(VICTIM_NAME, account_id=VICTIM_AVITO_ID)
    url = (await service.act(attacker, "oauth-url", property_id=str(attacker_property))).json()
    exchanges = token_exchanges(service)

    # The victim's browser: Allow with the victim's account, then Avito's redirect to the
    # service's callback (no session on a redirect).
    _, redirect = await consent(url["url"], account_id=VICTIM_AVITO_ID)
    landed = await service.http.get("/oauth/avito/callback", params=redirect)

    assert landed.status_code == 303
    target = urlsplit(landed.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == APP_REDIRECT
    assert parse_qs(target.query) == {"code": [redirect["code"]], "state": [redirect["state"]]}
    assert token_exchanges(service) == exchanges, "the callback redeemed the code by itself"
    assert accounts_of(service, attacker) == []

    # The app page in the victim's browser redeems it with the victim's session: refused,
    # because the state was issued to the attacker.
    legacy = await service.http.post(
        "/functions/v1/avito-oauth-callback",
        json={**redirect, "redirect_uri": APP_REDIRECT},
        headers=service.headers(victim),
    )
    assert legacy.json()["success"] is False
    assert legacy.json()["reason"] == "invalid_state"
    modern = (await service.act(victim, "exchange-code", **redirect)).json()
    assert modern["code"] == "STATE_INVALID"
    assert token_exchanges(service) == exchanges
    assert accounts_of(service, attacker) == accounts_of(service, victim) == []


async def test_consent_page_names_the_account_being_attached(service: Service) -> None:
    host = service.user()
    service.sandbox.control.add_account(VICTIM_NAME, account_id=VICTIM_AVITO_ID)
    url = (await service.act(host, "oauth-url", property_id=str(service.property(host)))).json()
    async with httpx.AsyncClient(trust_env=False) as browser:
        page = (await browser.get(f"{url['url']}&account_id={VICTIM_AVITO_ID}")).text
    shown = re.search(r'<p id="account">(.*?)</p>', page)
    assert shown is not None
    assert VICTIM_NAME in shown.group(1)
    assert f"ID профиля {VICTIM_AVITO_ID}" in shown.group(1)


async def test_host_detaches_an_account_with_its_tokens_and_connections(
    service: Service,
) -> None:
    host, prop, account_id = await connected_host(service)
    other = service.user()
    secrets_before = service.db.execute(
        "select count(*) as n from vault.secrets where name like %s", (f"avito:{account_id}:%",)
    ).fetchone()
    assert secrets_before == {"n": 2}

    refused = await service.act(other, "account-detach", account_id=account_id)
    assert refused.status_code == 403
    assert refused.json()["code"] == "NOT_OWNER"

    answer = await service.act(host, "account-detach", account_id=account_id)
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    assert body["accounts"] == []
    assert len(body["disconnected_integration_ids"]) == 1
    db = service.db
    assert db.execute(
        "select count(*) as n from public.avito_accounts where id = %s", (account_id,)
    ).fetchone() == {"n": 0}
    assert db.execute(
        "select count(*) as n from vault.secrets where name like %s", (f"avito:{account_id}:%",)
    ).fetchone() == {"n": 0}
    assert db.execute(
        "select count(*) as n from avito_private.account_tokens where avito_account_id = %s",
        (account_id,),
    ).fetchone() == {"n": 0}
    integration = db.execute(
        "select is_active, status, avito_account_id from public.integrations"
        " where property_id = %s",
        (prop,),
    ).fetchone()
    assert integration == {"is_active": False, "status": "disconnected", "avito_account_id": None}
    assert db.execute(
        "select count(*) as n from public.avito_sync_queue where property_id = %s", (prop,)
    ).fetchone() == {"n": 0}
