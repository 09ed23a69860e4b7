"""The control API's state view, persistence to a JSON file, configuration, and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from avito_sync.local.sandbox.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEMO_ACCOUNT_ID,
    DEMO_ITEM_IDS,
    SandboxConfig,
    config_from_env,
)
from avito_sync.local.sandbox.control import SandboxControl, SandboxControlError
from avito_sync.local.sandbox.server import SandboxServer
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import Api, days
from tests.support.net import free_port


def test_state_shows_the_demo_world_without_secrets(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.create_booking(
        sandbox.item_id, sandbox.control.today() + days(1), sandbox.control.today() + days(3)
    )
    state = sandbox.control.state()
    assert [a["client_id"] for a in state["applications"]] == [sandbox.client_id]
    assert [a["id"] for a in state["accounts"]] == [DEMO_ACCOUNT_ID]
    assert [listing["id"] for listing in state["listings"]] == list(DEMO_ITEM_IDS)
    assert all(len(str(item_id)) in range(10, 13) for item_id in DEMO_ITEM_IDS)
    assert len(state["listings"][0]["calendar"]) == 365
    assert len(state["bookings"]) == 1
    assert state["live_access_tokens"] == 1
    text = str(state)
    assert sandbox.client_secret not in text
    assert api.token not in text


def test_request_log_has_no_secrets(api: Api, sandbox: Sandbox) -> None:
    code = sandbox.control.authorize(sandbox.client_id, account_id=sandbox.account_id)["code"]
    api.http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "code": code,
        },
    )
    api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self")
    log = sandbox.control.requests()
    assert [(r.method, r.path, r.status, r.operation_id) for r in log][-2:] == [
        ("POST", "/token", 200, "getAccessTokenAuthorizationCode"),
        ("GET", "/core/v1/accounts/self", 200, "getUserInfoSelf"),
    ]
    assert log[-1].account_id == sandbox.account_id
    dumped = str([r.model_dump() for r in log])
    for secret in (code, api.token, sandbox.client_secret):
        assert secret not in dumped
    sandbox.control.clear_requests()
    assert sandbox.control.requests() == []


def test_reset_restores_the_demo_world(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_account("Лишний")
    sandbox.control.update_settings(conflict_mode="legacy")
    sandbox.control.add_fault("*", error_rates={500: 1.0})
    sandbox.control.reset()
    assert len(sandbox.control.state()["accounts"]) == 1
    assert sandbox.control.settings().conflict_mode == "current"
    assert sandbox.control.faults() == []
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 401


def test_control_api_rejects_bad_input(sandbox: Sandbox) -> None:
    today = sandbox.control.today()
    with pytest.raises(SandboxControlError, match="422"):
        sandbox.control.create_booking(sandbox.item_id, today + days(3), today + days(3))
    with pytest.raises(SandboxControlError, match="422"):
        sandbox.control.create_booking(sandbox.item_id, today, today + days(1), guest_phone="+7999")
    with pytest.raises(SandboxControlError, match="404"):
        sandbox.control.create_booking(1, today, today + days(1))
    with pytest.raises(SandboxControlError, match="404"):
        sandbox.control.add_listing(account_id=123)
    with pytest.raises(SandboxControlError, match="409"):
        sandbox.control.confirm_booking(
            sandbox.control.create_booking(sandbox.item_id, today, today + days(1)).id
        )
    with pytest.raises(SandboxControlError, match="422"):
        sandbox.control.expire_tokens()


def test_bookings_can_be_modified(api: Api, sandbox: Sandbox) -> None:
    today = sandbox.control.today()
    booking = sandbox.control.create_booking(sandbox.item_id, today + days(1), today + days(2))
    sandbox.control.update_booking(booking.id, check_out=today + days(4), guest_count=3)
    [listed] = api.bookings(sandbox.item_id, today, today + days(10)).json()["bookings"]
    assert (listed["check_out"], listed["nights"], listed["guest_count"]) == (
        (today + days(4)).isoformat(),
        3,
        3,
    )


def test_state_persists_to_a_json_file(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    config = SandboxConfig(state_file=state_file)
    with SandboxServer(config) as server, SandboxControl(server.base_url) as control:
        account = control.add_account("Сохранённый")
        today = control.today()
        booking = control.create_booking(DEMO_ITEM_IDS[0], today + days(2), today + days(4))
    assert state_file.exists()
    with SandboxServer(config) as server, SandboxControl(server.base_url) as control:
        state = control.state()
        assert account.id in [a["id"] for a in state["accounts"]]
        assert [b.id for b in control.bookings(DEMO_ITEM_IDS[0])] == [booking.id]
        day = control.calendar(DEMO_ITEM_IDS[0], today + days(2), today + days(2))[0]
        assert day.closed_by == "avito_booking"


def test_a_persisted_world_adopts_new_credentials_and_rejects_garbage(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    with (
        SandboxServer(SandboxConfig(state_file=state_file)) as server,
        SandboxControl(server.base_url) as control,
    ):
        control.reset()
    renamed = SandboxConfig(
        state_file=state_file,
        client_id="a-new-client-id-for-dev-0001",
        client_secret="new-secret",
        redirect_uri="http://localhost:8080/cb",
    )
    with SandboxServer(renamed) as server:
        response = httpx.post(
            f"{server.base_url}/token",
            data={
                "grant_type": "client_credentials",
                "client_id": renamed.client_id,
                "client_secret": "new-secret",
            },
        )
        assert response.status_code == 200
    state_file.write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="not a readable sandbox state"):
        SandboxServer(SandboxConfig(state_file=state_file))


def test_configuration_from_env_and_options() -> None:
    env = {
        "AVITO_CLIENT_ID": "env-client-id-0123456789",
        "AVITO_CLIENT_SECRET": "env-secret",
        "AVITO_REDIRECT_URI": "http://localhost:3000/cb",
    }
    config = config_from_env(env, redirect_uri="http://127.0.0.1:9/cb", token_ttl_seconds=None)
    assert (config.client_id, config.client_secret) == ("env-client-id-0123456789", "env-secret")
    assert config.redirect_uri == "http://127.0.0.1:9/cb"
    assert not config.uses_default_credentials
    defaults = config_from_env({})
    assert (defaults.client_id, defaults.client_secret) == (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
    )
    assert defaults.uses_default_credentials
    with pytest.raises(ValueError, match="client_id"):
        config_from_env({"AVITO_CLIENT_ID": "short"})
    with pytest.raises(ValueError, match="redirect_uri"):
        config_from_env({}, redirect_uri="not a url")


def test_cli_runs_a_standalone_sandbox(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVITO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "avito_sync", "sandbox", "--port", str(port), "--token-ttl", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_sandbox/clock", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "sandbox exited early"
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/token",
            data={
                "grant_type": "client_credentials",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            },
        ).json()
        assert token["expires_in"] == 120
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert DEFAULT_CLIENT_ID in output
    assert DEFAULT_CLIENT_SECRET in output
    assert token["access_token"] not in output


def test_control_api_is_self_documented(http: httpx.Client) -> None:
    schema = http.get("/_sandbox/openapi.json").json()
    control_paths = {p for p in schema["paths"] if p.startswith("/_sandbox/")}
    assert {"/_sandbox/reset", "/_sandbox/faults", "/_sandbox/tokens/expire"} <= control_paths
    for path in control_paths:
        for operation in schema["paths"][path].values():
            assert operation.get("description"), path
