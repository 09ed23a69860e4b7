"""The frontend's own client: `supabase.functions.invoke` from @supabase/supabase-js (npm,
pinned in tests/api/supabase_js) with `createClient(SUPABASE_URL, anonKey)`, where
SUPABASE_URL is the local functions gateway: the Edge Function forwarders under real Deno
relay each call to `avito-sync serve` over real HTTP, as on the Supabase project."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from avito_sync.local.sandbox.config import DEMO_ACCOUNT_ID, DEMO_ITEM_IDS
from avito_sync.local.sandbox.control import SandboxControl
from avito_sync.local.sandbox.server import SandboxServer
from tests.api.jwt_tools import JwksServer, SigningKey, claims, sign
from tests.api.process import serve_env, start_service
from tests.compat.app import app_state, classify
from tests.fixtures.db import Conn, as_authenticated, create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.functions import running_gateway
from tests.support.processes import stop_process
from tests.support.rows import create_property

CLIENT_DIR = Path(__file__).parent / "supabase_js"
FORWARDER_SECRET = "test-forwarder-secret-" + "s" * 32


@pytest.fixture(scope="session")
def supabase_js() -> Path:
    """The pinned client, installed from its lockfile on first use."""
    if not (CLIENT_DIR / "node_modules" / "@supabase" / "supabase-js").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "npm is required for the supabase-js client test"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENT_DIR,
            check=True,
            timeout=300,
        )
    return CLIENT_DIR / "invoke.mjs"


@dataclass(frozen=True)
class Served:
    service: str  # the service itself
    supabase_url: str  # the gateway: what the app has as VITE_SUPABASE_URL


@pytest.fixture(scope="module")
def served(
    database_url: str,
    jwks_server: JwksServer,
    sandbox_server: SandboxServer,
    sandbox_control: SandboxControl,
) -> Iterator[Served]:
    """One service (requiring the forwarder secret) and one gateway for the module."""
    config = sandbox_server.config
    sandbox = Sandbox(
        base_url=sandbox_server.base_url,
        control=sandbox_control,
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uri=config.redirect_uri,
        account_id=DEMO_ACCOUNT_ID,
        item_ids=DEMO_ITEM_IDS,
    )
    env = serve_env(database_url, jwks_server, sandbox)
    env["AVITO_SYNC_FORWARDER_SECRET"] = FORWARDER_SECRET
    process, base = start_service(env, "--no-worker")
    try:
        secrets = {"AVITO_SYNC_SERVICE_URL": base, "AVITO_SYNC_FORWARDER_SECRET": FORWARDER_SECRET}
        with running_gateway(secrets) as gateway:
            yield Served(service=base, supabase_url=gateway.url)
    finally:
        stop_process(process, timeout=60)


def invoke(script: Path, base: str, token: str, function: str, body: dict[str, Any]) -> Any:
    node = shutil.which("node")
    assert node is not None
    env = {
        "PATH": str(Path(node).parent),
        "SUPABASE_URL": base,
        "ANON_KEY": "sb_publishable_test",
        "ACCESS_TOKEN": token,
        "FUNCTION": function,
        "BODY": json.dumps(body),
    }
    done = subprocess.run(
        [node, str(script)], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


def test_functions_invoke_as_the_frontend_does(
    supabase_js: Path,
    served: Served,
    db: Conn,
    jwks_server: JwksServer,
    signing_key: SigningKey,
) -> None:
    base = served.supabase_url
    user = create_user(db)
    token = sign(signing_key, claims(jwks_server.issuer, user))
    prop_id = str(create_property(db, user, name="Дом", base_price=2000))

    ok = invoke(supabase_js, base, token, "avito-sync", {"action": "get-accounts"})
    assert ok == {"data": {"success": True, "accounts": []}, "error": None}

    status = invoke(
        supabase_js, base, token, "avito-sync", {"action": "status", "property_id": prop_id}
    )
    assert status["data"] == {"success": True, "state": "not_connected", "connected": False}

    # A business error stays readable: HTTP 200 with success false.
    bad_state = invoke(
        supabase_js,
        base,
        token,
        "avito-sync",
        {"action": "exchange-code", "code": "c", "state": "x.y"},
    )
    assert bad_state["error"] is None
    assert bad_state["data"]["success"] is False
    assert bad_state["data"]["code"] == "STATE_INVALID"

    legacy = invoke(
        supabase_js, base, token, "avito_sync", {"action": "sync", "property_id": prop_id}
    )
    assert legacy == {
        "data": {"success": False, "error": "Integration not found or inactive"},
        "error": None,
    }

    # Auth failures are non-2xx: supabase-js gives data null and the status in error.context.
    anonymous = invoke(supabase_js, base, "", "avito-sync", {"action": "get-accounts"})
    assert anonymous["data"] is None
    assert anonymous["error"]["name"] == "FunctionsHttpError"
    assert anonymous["error"]["status"] == 401
    foreign = invoke(
        supabase_js,
        base,
        sign(signing_key, claims(jwks_server.issuer, create_user(db))),
        "avito-sync",
        {"action": "status", "property_id": prop_id},
    )
    assert foreign["error"]["status"] == 403


def app_upsert_integration(db: Conn, host: uuid.UUID, prop: str, user_id: int, item: int) -> str:
    """The connect modal's step 1 (docs/app-contract.md §4.4): the app's own upsert."""
    with as_authenticated(db, host) as conn:
        row = conn.execute(
            "insert into public.integrations (property_id, platform, avito_user_id,"
            " avito_item_id, avito_markup, external_id, is_active)"
            " values (%s, 'avito', %s, %s, 10, %s, true)"
            " on conflict (property_id, platform) do update set"
            " avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id,"
            " avito_markup = excluded.avito_markup, external_id = excluded.external_id,"
            " is_active = excluded.is_active returning id",
            (prop, user_id, item, str(item)),
        ).fetchone()
    assert row is not None
    return str(row["id"])


def test_the_apps_calls_reach_the_service_through_the_forwarders(
    supabase_js: Path,
    served: Served,
    db: Conn,
    sandbox: Sandbox,
    jwks_server: JwksServer,
    signing_key: SigningKey,
) -> None:
    """Every live call of docs/app-contract.md §3 with the app's exact bodies, reading only
    the fields the app reads."""
    base = served.supabase_url
    host = create_user(db)
    token = sign(signing_key, claims(jwks_server.issuer, host))
    prop = create_property(db, host, name="Квартира", base_price=3000, minimum_booking_days=2)

    def call(function: str, body: dict[str, Any]) -> Any:
        return invoke(supabase_js, base, token, function, body)

    # AvitoCallbackPage.tsx:88: {code, state, redirect_uri} after Avito's redirect.
    state = app_state(prop)
    code = sandbox.control.authorize(sandbox.client_id, account_id=sandbox.account_id, state=state)
    callback = {"code": code["code"], "state": state, "redirect_uri": sandbox.redirect_uri}
    connected = call("avito-oauth-callback", callback)
    assert connected["error"] is None
    assert connected["data"]["success"] is True
    # A reload re-sends the used code: the page shows `error`, so it must arrive (HTTP 200).
    reused = call("avito-oauth-callback", callback)
    assert reused["error"] is None
    assert reused["data"]["success"] is False
    assert reused["data"]["error"]

    integration = app_upsert_integration(db, host, str(prop), sandbox.account_id, sandbox.item_id)
    # avito.ts:489: initial-sync; the app checks only that `error` is unset.
    initial = call("avito_sync", {"action": "initial-sync", "integration_id": integration})
    assert initial["error"] is None
    assert initial["data"]["success"] is True
    # apiSync.ts:164: sync (here as after a booking delete, with exclude_booking_id).
    synced = call(
        "avito_sync",
        {"action": "sync", "integration_id": integration, "exclude_booking_id": str(uuid.uuid4())},
    )
    assert synced["error"] is None
    assert classify(synced["data"]) == "success", synced
    today = sandbox.control.today()
    (price,) = sandbox.control.prices(sandbox.item_id, today, today)
    assert price.night_price == 3300  # base 3000 + 10 %: the sync reached Avito

    # Dashboard.tsx:704 before a property delete: `success`, or `error === 'paid_conflict'`.
    close = {"integration_id": integration, "property_id": str(prop)}
    sandbox.control.add_fault("putIntervals", error_rates={409: 1.0})
    conflict = call("avito-close-availability", close)
    assert conflict["error"] is None
    assert conflict["data"]["success"] is False
    assert conflict["data"]["error"] == "paid_conflict"
    sandbox.control.clear_faults()
    closed = call("avito-close-availability", close)
    assert closed == {"data": {"success": True}, "error": None}
    tomorrow = today + dt.timedelta(days=1)
    days = sandbox.control.calendar(sandbox.item_id, tomorrow, today + dt.timedelta(days=300))
    assert days
    assert not any(day.open for day in days)


def test_only_the_forwarders_reach_the_functions_routes(
    served: Served, db: Conn, jwks_server: JwksServer, signing_key: SigningKey
) -> None:
    """AVITO_SYNC_FORWARDER_SECRET set on the service: the forwarders send it, others get 401."""
    token = sign(signing_key, claims(jwks_server.issuer, create_user(db)))
    auth = {"Authorization": f"Bearer {token}"}
    body = {"action": "get-accounts"}
    with httpx.Client(trust_env=False, timeout=30) as http:
        forwarded = http.post(
            f"{served.supabase_url}/functions/v1/avito-sync", json=body, headers=auth
        )
        assert forwarded.status_code == 200, forwarded.text
        assert forwarded.json() == {"success": True, "accounts": []}

        direct = f"{served.service}/functions/v1/avito-sync"
        for secret in (None, "wrong-" + FORWARDER_SECRET):
            headers = (
                dict(auth) if secret is None else {**auth, "x-avito-sync-forwarder-secret": secret}
            )
            refused = http.post(direct, json=body, headers=headers)
            assert refused.status_code == 401
            assert refused.json()["code"] == "FORWARDER_SECRET_INVALID"
            assert refused.headers["access-control-allow-origin"] == "*"
        for legacy in ("avito_sync", "avito-oauth-callback", "avito-close-availability"):
            refused = http.post(f"{served.service}/functions/v1/{legacy}", json={}, headers=auth)
            assert refused.json()["code"] == "FORWARDER_SECRET_INVALID"
        accepted = http.post(
            direct, json=body, headers={**auth, "x-avito-sync-forwarder-secret": FORWARDER_SECRET}
        )
        assert accepted.status_code == 200
        # Preflight and the routes that are not the app's functions are not gated.
        assert http.options(direct).status_code == 200
        assert http.get(f"{served.service}/healthz").status_code == 200


def test_the_messages_tab_through_the_avito_messenger_forwarder(
    supabase_js: Path,
    served: Served,
    db: Conn,
    sandbox: Sandbox,
    jwks_server: JwksServer,
    signing_key: SigningKey,
) -> None:
    """useAvitoChats.ts's three calls with its exact bodies, through the forwarder, reading
    what it reads; its 403 arrives as error.context.status."""
    base = served.supabase_url
    host = create_user(db)
    token = sign(signing_key, claims(jwks_server.issuer, host))
    prop = create_property(db, host, name="Студия", base_price=3000)
    state = app_state(prop)
    scopes = "user:read,short_term_rent:read,short_term_rent:write,messenger:read,messenger:write"
    code = sandbox.control.authorize(
        sandbox.client_id, account_id=sandbox.account_id, state=state, scopes=scopes
    )
    callback = {"code": code["code"], "state": state, "redirect_uri": sandbox.redirect_uri}
    assert invoke(supabase_js, base, token, "avito-oauth-callback", callback)["data"]["success"]
    integration = app_upsert_integration(db, host, str(prop), sandbox.account_id, sandbox.item_id)
    initial = {"action": "initial-sync", "integration_id": integration}
    assert invoke(supabase_js, base, token, "avito_sync", initial)["error"] is None
    guest = sandbox.control.guest_message(sandbox.item_id, "Добрый день!", deliver=False)

    def call(body: dict[str, Any], as_token: str = token) -> Any:
        return invoke(supabase_js, base, as_token, "avito-messenger", body)

    chats = call({"action": "getChats", "integration_id": integration})
    assert chats["error"] is None
    [chat] = chats["data"]["chats"]
    assert chat["id"] == guest["chat_id"]
    assert chat["unread_count"] == 1
    assert chat["last_message"]["content"]["text"] == "Добрый день!"
    messages = call(
        {
            "action": "getMessages",
            "integration_id": integration,
            "chat_id": chat["id"],
            "limit": 50,
            "offset": 0,
        }
    )
    assert [m["content"]["text"] for m in messages["data"]["messages"]] == ["Добрый день!"]
    sent = call(
        {
            "action": "sendMessage",
            "integration_id": integration,
            "chat_id": chat["id"],
            "text": "Здравствуйте!",
        }
    )
    assert sent["error"] is None
    assert sent["data"]["id"]
    stranger = sign(signing_key, claims(jwks_server.issuer, create_user(db)))
    refused = call({"action": "getChats", "integration_id": integration}, stranger)
    assert refused["data"] is None
    assert refused["error"]["status"] == 403
