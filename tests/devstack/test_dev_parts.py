"""The dev stack's parts on their own: config (the dev dir moves the cluster), port checks and
listener ownership, the cluster-ownership marker, quiet output on a broken pipe, the consent
form as a browser reads it, the callback page server, the inbox's list and `dev env`."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from avito_sync.cli import app
from avito_sync.local.devstack import cluster_owner, ports, secrets
from avito_sync.local.devstack.app_page import AppPage, PageConfig
from avito_sync.local.devstack.config import DevConfig, DevConfigError
from avito_sync.local.devstack.consent import parse_consent
from avito_sync.local.devstack.inbox import Inbox
from avito_sync.local.devstack.output import Output
from avito_sync.notify.channels.webhook import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from tests.fixtures.sandbox import Sandbox
from tests.support.net import free_port


def test_the_dev_dir_moves_the_cluster_unless_pg_dir_is_set(tmp_path: Path) -> None:
    moved = DevConfig.from_env({"AVITO_SYNC_DEV_DIR": str(tmp_path)})
    assert moved.database.root == tmp_path / "pg"
    explicit = DevConfig.from_env(
        {"AVITO_SYNC_DEV_DIR": str(tmp_path), "AVITO_SYNC_PG_DIR": str(tmp_path / "elsewhere")}
    )
    assert explicit.database.root == tmp_path / "elsewhere"


def test_callback_page_and_functions_url_are_configurable(tmp_path: Path) -> None:
    base = {"AVITO_SYNC_DEV_DIR": str(tmp_path), "AVITO_SYNC_DEV_SUPABASE_PORT": "15432"}
    config = DevConfig.from_env({**base, "AVITO_SYNC_DEV_APP_PORT": "15173"})
    assert config.app_callback_url == "http://127.0.0.1:15173/auth/avito-callback"
    # By default the page calls the functions gateway, the route the deployed app takes.
    assert config.functions_url == "http://127.0.0.1:15432"
    assert config.ports["AVITO_SYNC_DEV_APP_PORT"] == 15173
    direct = DevConfig.from_env({**base, "AVITO_SYNC_DEV_FUNCTIONS_URL": "http://127.0.0.1:8000/"})
    assert direct.functions_url == "http://127.0.0.1:8000"
    with pytest.raises(DevConfigError, match="AVITO_SYNC_DEV_FUNCTIONS_URL"):
        DevConfig.from_env({**base, "AVITO_SYNC_DEV_FUNCTIONS_URL": "javascript:alert(1)"})
    with pytest.raises(DevConfigError, match="must differ"):
        DevConfig.from_env({**base, "AVITO_SYNC_DEV_APP_PORT": "15432"})


def test_a_taken_port_is_named_and_ownership_is_per_process() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        assert not ports.is_free(port)
        (problem,) = ports.taken({"AVITO_SYNC_DEV_API_PORT": port, "X": free_port()})
        assert f"port {port} (AVITO_SYNC_DEV_API_PORT)" in problem
        assert ports.owns_listener(os.getpid(), port)
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert not ports.owns_listener(other.pid, port)
        finally:
            other.kill()
            other.wait()
    assert ports.is_free(port)
    assert not ports.owns_listener(os.getpid(), port)


def test_listeners_are_read_from_the_kernel_table() -> None:
    def row(n: int, local: str, remote: str, state: str, inode: int) -> str:
        return f"{n}: {local} {remote} {state} 0:0 00:0 0 0 0 {inode} 1"

    table = "\n".join(
        [
            "sl local_address rem_address st tx rx tr tm retr uid timeout inode",
            row(0, "0100007F:1F40", "00000000:0000", "0A", 111),
            row(1, "0100007F:1F40", "0100007F:9C40", "01", 222),
            row(2, "0100007F:1F41", "00000000:0000", "0A", 333),
        ]
    )
    assert ports.parse_listeners(table, 8000) == {"111"}


def test_a_left_behind_cluster_is_told_apart_from_a_foreign_one(tmp_path: Path) -> None:
    marker = cluster_owner.marker(tmp_path)
    assert cluster_owner.inspect(marker, None) == cluster_owner.Found(None, False)
    cluster_owner.remember(marker, 4242)
    left = cluster_owner.inspect(marker, 4242)
    assert left.left_behind
    assert "stopped on exit" in (left.note() or "")
    foreign = cluster_owner.inspect(marker, 5151)  # a restarted postmaster: not ours
    assert not foreign.left_behind
    assert "left running" in (foreign.note() or "")
    assert not marker.exists()


def test_output_goes_quiet_when_the_reader_is_gone() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    output = Output(os.fdopen(write_end, "w"))
    output.line("dev", "stopping")  # EPIPE: swallowed, never raised
    output.block("x" * 100_000)
    output.line("db", "cluster stopped")


def test_consent_form_posted_as_a_browser_does(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as http:
        page = http.get(
            "/oauth",
            params={
                "response_type": "code",
                "client_id": sandbox.client_id,
                "scope": "user:read,short_term_rent:read",
                "state": "s-1",
                "redirect_uri": sandbox.redirect_uri,
            },
        )
        form = parse_consent(page.text)
        assert form.accounts == [str(sandbox.account_id)]
        assert set(form.decisions) == {"allow", "deny"}
        allowed = http.post(form.action, data=form.submission("allow"))
        denied = http.post(form.action, data=form.submission("deny"))
        error_page = http.get("/oauth", params={"response_type": "code", "client_id": "nope"})
    query = parse_qs(urlsplit(allowed.headers["location"]).query)
    assert query["state"] == ["s-1"]
    assert query["code"]
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    with pytest.raises(ValueError, match="no form"):
        parse_consent(error_page.text)
    with pytest.raises(ValueError, match="no 'maybe'"):
        form.submission("maybe")


def test_callback_page_carries_a_fresh_session_and_safe_config() -> None:
    sessions = iter(["token-1", "token-2"])
    config = PageConfig(
        functions_url="http://127.0.0.1:1",
        redirect_uri="http://127.0.0.1:2/auth/avito-callback",
        property_id="</script><script>alert(1)</script>",
        session=lambda: next(sessions),
    )
    port = free_port()
    page = AppPage("127.0.0.1", port, config)
    page.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            first = http.get("/auth/avito-callback", params={"code": "c", "state": "s"})
            second = http.get("/")
            missing = http.get("/elsewhere")
    finally:
        page.close()
    assert first.status_code == second.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert missing.status_code == 404
    embedded = first.text.split('<script id="config" type="application/json">')[1]
    data = json.loads(embedded.split("</script>")[0])
    assert data["token"] == "token-1"
    assert data["propertyId"] == config.property_id
    assert data["redirectUri"] == config.redirect_uri
    assert '"token": "token-2"' in second.text


def test_inbox_lists_what_it_accepted_only() -> None:
    port = free_port()
    inbox = Inbox("127.0.0.1", port, "s" * 40, lambda _text: None)
    inbox.start()
    try:
        url = f"http://127.0.0.1:{port}/notifications"
        message = {"title": "Новое бронирование", "text": "Новое бронирование\nБронь Avito № 7"}
        body = json.dumps({"version": 1, "message": message}).encode()
        now = int(time.time())
        with httpx.Client(trust_env=False) as http:
            good = http.post(
                url,
                content=body,
                headers={
                    TIMESTAMP_HEADER: str(now),
                    SIGNATURE_HEADER: sign("s" * 40, now, body),
                    EVENT_HEADER: "booking_created",
                },
            )
            forged = http.post(
                url, content=body, headers={TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: "x"}
            )
            listed = http.get(url).json()
    finally:
        inbox.close()
    assert (good.status_code, forged.status_code) == (204, 401)
    assert [n["event"] for n in listed] == ["booking_created"]
    assert "№ 7" in listed[0]["text"]


def test_env_command_prints_the_overridden_urls_and_a_token(tmp_path: Path) -> None:
    secrets.ensure(tmp_path / "dev.env")
    env = {
        "AVITO_SYNC_DEV_DIR": str(tmp_path),
        "AVITO_SYNC_DEV_API_PORT": "18001",
        "AVITO_SYNC_DEV_SUPABASE_PORT": "18002",
    }
    result = CliRunner().invoke(app, ["dev", "env"], env=env)
    assert result.exit_code == 0, result.output
    values = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in result.output.splitlines()
    )
    assert values["API"] == "http://127.0.0.1:18001"
    assert values["FUNCTIONS"] == "http://127.0.0.1:18002/functions/v1"
    assert jwt.decode(values["TOKEN"], options={"verify_signature": False})["role"] == (
        "authenticated"
    )
    refused = CliRunner().invoke(
        app, ["dev", "env"], env={"AVITO_SYNC_DEV_DIR": str(tmp_path / "x")}
    )
    assert refused.exit_code == 1
