"""The frontend's own client: `supabase.functions.invoke` from @supabase/supabase-js (npm,
pinned in tests/api/supabase_js) against `avito-sync serve` over real HTTP."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.jwt_tools import JwksServer, SigningKey, claims, sign
from tests.api.process import serve_env, start_service
from tests.fixtures.db import Conn, create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_property

CLIENT_DIR = Path(__file__).parent / "supabase_js"


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


@pytest.fixture
def served(database_url: str, db: Conn, jwks_server: JwksServer, sandbox: Sandbox) -> Iterator[str]:
    process, base = start_service(serve_env(database_url, jwks_server, sandbox), "--no-worker")
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


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
    served: str,
    db: Conn,
    jwks_server: JwksServer,
    signing_key: SigningKey,
) -> None:
    user = create_user(db)
    token = sign(signing_key, claims(jwks_server.issuer, user))
    prop_id = str(create_property(db, user, name="Дом", base_price=2000))

    ok = invoke(supabase_js, served, token, "avito-sync", {"action": "get-accounts"})
    assert ok == {"data": {"success": True, "accounts": []}, "error": None}

    status = invoke(
        supabase_js, served, token, "avito-sync", {"action": "status", "property_id": prop_id}
    )
    assert status["data"] == {"success": True, "state": "not_connected", "connected": False}

    # A business error stays readable: HTTP 200 with success false.
    bad_state = invoke(
        supabase_js,
        served,
        token,
        "avito-sync",
        {"action": "exchange-code", "code": "c", "state": "x.y"},
    )
    assert bad_state["error"] is None
    assert bad_state["data"]["success"] is False
    assert bad_state["data"]["code"] == "STATE_INVALID"

    legacy = invoke(
        supabase_js, served, token, "avito_sync", {"action": "sync", "property_id": prop_id}
    )
    assert legacy == {
        "data": {"success": False, "error": "Integration not found or inactive"},
        "error": None,
    }

    # Auth failures are non-2xx: supabase-js gives data null and the status in error.context.
    anonymous = invoke(supabase_js, served, "", "avito-sync", {"action": "get-accounts"})
    assert anonymous["data"] is None
    assert anonymous["error"]["name"] == "FunctionsHttpError"
    assert anonymous["error"]["status"] == 401
    foreign = invoke(
        supabase_js,
        served,
        sign(signing_key, claims(jwks_server.issuer, create_user(db))),
        "avito-sync",
        {"action": "status", "property_id": prop_id},
    )
    assert foreign["error"]["status"] == 403
