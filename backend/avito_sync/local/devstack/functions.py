"""The local functions gateway: `supabase/functions` under the pinned Deno (npm `deno`, in
`node_modules/.bin`), serving `<SUPABASE_URL>/functions/v1/<name>` as Supabase does, so a
supabase-js client configured like the app's reaches the service through the very forwarders
that are deployed. Used by the dev stack and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from avito_sync.local.devstack.processes import Child, ChildFailed, Supervisor
from avito_sync.local.postgres.config import project_dir

READY_LINE = "functions gateway ready on"  # printed by supabase/functions/_local/gateway.ts
# Deno must never reach the network on its own (no update check, no prompt, no remote code).
DENO_ENV = {"DENO_NO_UPDATE_CHECK": "1", "DENO_NO_PROMPT": "1", "NO_COLOR": "1"}


class DenoMissing(RuntimeError):
    """The pinned Deno is not installed; the message says how to install it."""


def functions_dir() -> Path:
    return project_dir() / "supabase" / "functions"


def deno_binary() -> Path:
    deno = project_dir() / "node_modules" / ".bin" / "deno"
    if not deno.exists():
        raise DenoMissing(f"{deno} is missing: run `make node` (npm ci installs the pinned deno)")
    return deno


def gateway_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """Deno with only what the forwarders need: loopback network, env, the functions' files."""
    functions = functions_dir()
    return [
        str(deno_binary()),
        "run",
        "--no-config",
        "--no-lock",
        "--no-remote",
        "--no-npm",
        f"--allow-net={host}",
        "--allow-env",
        f"--allow-read={functions}",
        str(functions / "_local" / "gateway.ts"),
        "--host",
        host,
        "--port",
        str(port),
    ]


def gateway_env(env: Mapping[str, str]) -> dict[str, str]:
    """The functions' secrets come from `env` (AVITO_SYNC_SERVICE_URL, …), as on Supabase."""
    return {**env, **DENO_ENV}


async def start_gateway(supervisor: Supervisor, port: int, env: Mapping[str, str]) -> Child:
    """The dev stack's `functions` child, ready once the gateway listens."""
    try:
        command = gateway_command(port)
    except DenoMissing as exc:
        raise ChildFailed(f"functions cannot start: {exc}") from None
    return await supervisor.start(
        "functions",
        [],
        gateway_env(env),
        command=command,
        ready_line=READY_LINE,
        listens_on=port,
    )
