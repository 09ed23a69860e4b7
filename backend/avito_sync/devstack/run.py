"""`avito-sync dev`: database, seed, sandbox, pg_net dispatcher, service with worker, pg_cron
tick, Realtime stand-in, notifier and the dev inbox, in the foreground until stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import httpx

from avito_sync.db import stack
from avito_sync.db.config import StackConfig
from avito_sync.devstack import channels, secrets
from avito_sync.devstack.config import HOST, DevConfig
from avito_sync.devstack.inbox import Inbox
from avito_sync.devstack.output import Output
from avito_sync.devstack.processes import ChildFailed, Supervisor
from avito_sync.devstack.seed import DEMO_PROPERTY_IDS, DEMO_USER_EMAIL, DEMO_USER_ID, apply_seed
from avito_sync.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEMO_ACCOUNT_ID

INBOX_SECRET = "AVITO_SYNC_DEV_INBOX_SECRET"  # noqa: S105 - a variable name
APP_REDIRECT_URL = "http://127.0.0.1:5173/auth/avito-callback"
READY_BANNER = "dev stack ready"
# Inherited variables that could point a dev process at a real deployment are dropped.
_FOREIGN_PREFIXES = ("AVITO_", "SUPABASE_", "TELEGRAM_")
_FOREIGN_NAMES = {"DATABASE_URL"}


def child_env(
    config: DevConfig, database: StackConfig, dev_env: Mapping[str, str]
) -> dict[str, str]:
    """Every child's environment: ours, then the dev env file (which the developer may edit)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_FOREIGN_PREFIXES) and k not in _FOREIGN_NAMES
    }
    env.update(
        PYTHONUNBUFFERED="1",
        DATABASE_URL=database.url,
        AVITO_CLIENT_ID=DEFAULT_CLIENT_ID,
        AVITO_CLIENT_SECRET=DEFAULT_CLIENT_SECRET,
        AVITO_REDIRECT_URI=f"{config.api_url}/oauth/avito/callback",
        AVITO_API_BASE_URL=config.sandbox_url,
        AVITO_OAUTH_BASE_URL=config.sandbox_url,
        AVITO_SYNC_APP_REDIRECT_URL=APP_REDIRECT_URL,
        AVITO_SYNC_SERVICE_URL=config.api_url,
        AVITO_SYNC_REALTIME_URL=config.realtime_url,
        AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS=HOST,
        **channels.channel_env(config),
    )
    env.update(dev_env)
    return env


def http_ok(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
                return (await http.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def banner(config: DevConfig, database: StackConfig, seeded: list[str]) -> str:
    api, sandbox = config.api_url, config.sandbox_url
    return f"""
================================ {READY_BANNER} ================================
  service      {api}   (/readyz, /metrics, POST /functions/v1/avito-sync)
  sandbox      {sandbox}   (consent page /oauth, control API {sandbox}/_sandbox/docs)
               demo app {DEFAULT_CLIENT_ID}, demo Avito account {DEMO_ACCOUNT_ID}
  database     {database.url}   (cluster {database.root})
  realtime     {config.realtime_url}
  inbox        {config.inbox_url}   (webhook channel of the demo host; printed as 'inbox')
  telegram     http://{HOST}:{config.telegram_port}   (Bot API stand-in; control /_telegram/…)
  push         http://{HOST}:{config.push_port}   (Web Push stand-in; POST /_push/subscriptions)
  seed         {", ".join(seeded) or "-"}
  demo host    {DEMO_USER_ID}  <{DEMO_USER_EMAIL}>
  properties   {", ".join(map(str, DEMO_PROPERTY_IDS))}
  dev secrets  {config.env_file}
  dev JWT      TOKEN=$(uv run --frozen avito-sync dev token)   [--user-id UUID]
  try          curl -s {api}/functions/v1/avito-sync -H "Authorization: Bearer $TOKEN" \\
                 -H 'Content-Type: application/json' \\
                 -d '{{"action":"oauth-url","property_id":"{DEMO_PROPERTY_IDS[0]}"}}'
  stop         Ctrl-C
==============================================================================="""


async def run(config: DevConfig, output: Output) -> int:
    """Bring everything up in order, then wait for a signal or a dying child; 0 on a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    dev_env = secrets.ensure(config.env_file)
    inbox = Inbox(
        HOST,
        config.inbox_port,
        dev_env[INBOX_SECRET],
        lambda text: output.line("inbox", text),
    )
    supervisor = Supervisor(output, [sys.executable, "-m", "avito_sync"])
    output.line("db", f"starting the cluster in {config.database.root}")
    try:
        ready = await asyncio.to_thread(stack.up, config.database)
    except BaseException:
        inbox.close()
        raise
    database = ready.config
    try:
        for note in ready.notes:
            output.line("db", note)
        output.line("db", f"ready on {database.url} ({len(ready.migrations)} migrations applied)")
        seeded = await asyncio.to_thread(
            apply_seed, database.url, config.inbox_url, inbox_secret=dev_env[INBOX_SECRET]
        )
        output.line("seed", f"applied {', '.join(seeded) or 'nothing'}")
        inbox.start()
        try:
            await _start_all(
                config, database, child_env(config, database, dev_env), supervisor, stop
            )
        except ChildFailed as failure:
            output.block(f"dev stack failed: {failure}")
            return 1
        if stop.is_set():
            return 0
        output.block(banner(config, database, seeded))
        return await _watch(supervisor, output, stop)
    finally:
        output.line("dev", "stopping")
        await supervisor.stop_all()
        inbox.close()
        if ready.started:
            await asyncio.to_thread(stack.down, database)
            output.line("db", "cluster stopped")


async def _start_all(
    config: DevConfig,
    database: StackConfig,
    env: dict[str, str],
    supervisor: Supervisor,
    stop: asyncio.Event,
) -> None:
    """Start the children in two phases, each all at once, every child awaited until ready:
    first those that need only the database, then the tick set-up and the notifier (which
    needs the Realtime stand-in). Gives up quietly when `stop` is set."""
    sandbox_args = ["sandbox", "--port", str(config.sandbox_port)]
    sandbox_args += ["--state-file", str(config.sandbox_state_file)]
    phases: list[list[Callable[[], Coroutine[Any, Any, object]]]] = [
        [
            lambda: supervisor.start(
                "sandbox",
                sandbox_args,
                env,
                ready_check=http_ok(f"{config.sandbox_url}/_sandbox/clock"),
            ),
            lambda: supervisor.start(
                "net",
                ["db", "net-dispatch", "--database-url", database.url],
                env,
                ready_line="net-dispatch ready",
            ),
            lambda: supervisor.start(
                "api",
                ["serve", "--host", HOST, "--port", str(config.api_port)],
                env,
                ready_check=http_ok(f"{config.api_url}/readyz"),
            ),
            lambda: supervisor.start(
                "realtime",
                ["realtime-local", "--host", HOST, "--port", str(config.realtime_port)],
                env,
                ready_line="realtime-local ready on",
            ),
            *channels.starters(config, env, supervisor),
        ],
        [
            lambda: supervisor.run_once("setup", ["setup"], env),
            lambda: supervisor.start(
                "notify", ["notify", "--source", "realtime"], env, ready_line="notify_started"
            ),
        ],
    ]
    for phase in phases:
        started = asyncio.create_task(_together(phase))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({started, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not started.done():
            started.cancel()
            await asyncio.gather(started, return_exceptions=True)
            return
        started.result()


async def _together(steps: list[Callable[[], Coroutine[Any, Any, object]]]) -> None:
    """Run the steps concurrently; the first failure cancels the rest and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            for step in steps:
                group.create_task(step())
    except* ChildFailed as failures:
        raise failures.exceptions[0] from None


async def _watch(supervisor: Supervisor, output: Output, stop: asyncio.Event) -> int:
    """Wait for a signal (0) or for any child to die (1, with its last output)."""
    stopping = asyncio.create_task(stop.wait())
    dying = asyncio.create_task(supervisor.first_exit())
    await asyncio.wait({stopping, dying}, return_when=asyncio.FIRST_COMPLETED)
    if stopping.done():
        dying.cancel()
        return 0
    stopping.cancel()
    child = dying.result()
    status = child.process.returncode
    output.block(f"dev stack failed: {child.failure(f'exited with status {status}')}")
    return 1
