"""`avito-sync dev`: database, seed, sandbox, pg_net dispatcher, service with worker, pg_cron
tick, Realtime stand-in, notifier and the dev inbox, in the foreground until stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import httpx

from avito_sync.local.devstack import channels, cluster_owner, ports, secrets
from avito_sync.local.devstack.app_page import AppPage, PageConfig
from avito_sync.local.devstack.config import HOST, DevConfig
from avito_sync.local.devstack.functions import start_gateway
from avito_sync.local.devstack.inbox import Inbox
from avito_sync.local.devstack.output import Output
from avito_sync.local.devstack.processes import ChildFailed, Supervisor
from avito_sync.local.devstack.seed import (
    DEMO_PROPERTY_IDS,
    DEMO_USER_EMAIL,
    DEMO_USER_ID,
    apply_seed,
)
from avito_sync.local.devstack.token import mint
from avito_sync.local.postgres import cluster, stack
from avito_sync.local.postgres.config import ENV_PORT, StackConfig
from avito_sync.local.postgres.errors import StackError
from avito_sync.local.postgres.migrate import MIGRATION_CHANGED
from avito_sync.local.postgres.packages import ensure_packages
from avito_sync.local.sandbox.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEMO_ACCOUNT_ID,
)

INBOX_SECRET = "AVITO_SYNC_DEV_INBOX_SECRET"  # noqa: S105 - a variable name
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
        # Avito redirects to the app's callback page, as in production (app_page.py).
        AVITO_REDIRECT_URI=config.app_callback_url,
        AVITO_API_BASE_URL=config.sandbox_url,
        AVITO_OAUTH_BASE_URL=config.sandbox_url,
        AVITO_SYNC_APP_REDIRECT_URL=config.app_callback_url,
        AVITO_SYNC_DOCS="true",
        AVITO_SYNC_SERVICE_URL=config.api_url,
        AVITO_SYNC_PUBLIC_URL=config.api_url,  # the sandbox delivers messenger webhooks here
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
  open         {config.app_url}/   (the app's callback page stand-in: connect the demo property)
  demo         make demo   (in another terminal: the whole flow, step by step)
  service      {api}   (/readyz, /metrics, /docs, POST /functions/v1/avito-sync)
  functions    {config.supabase_url}/functions/v1/<name>   (SUPABASE_URL; forwarders under Deno)
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
  shell        eval "$(uv run --frozen avito-sync dev env)"   (API, SANDBOX, TOKEN, … as below)
  try          curl -s "$API/functions/v1/avito-sync" -H "Authorization: Bearer $TOKEN" \\
                 -H 'Content-Type: application/json' \\
                 -d '{{"action":"oauth-url","property_id":"{DEMO_PROPERTY_IDS[0]}"}}'
  consent      POST {sandbox}/oauth/decision (form: client_id, scope, state, redirect_uri,
                 account_id={DEMO_ACCOUNT_ID}, decision=allow|deny) -> 302 with code and state
  booking      curl -s "$SANDBOX/_sandbox/listings/4012345678/bookings" \\
                 -H 'Content-Type: application/json' \\
                 -d '{{"check_in":"YYYY-MM-DD","check_out":"YYYY-MM-DD"}}'
  stop         Ctrl-C
==============================================================================="""


async def run(config: DevConfig, output: Output) -> int:
    """Bring everything up in order, then wait for a signal or a dying child; 0 on a signal.

    The stop step runs whatever happens to stdout (output.py) and however the stack ends; a
    cluster an earlier dev stack left running is noticed and stopped too (cluster_owner.py).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    installed = await asyncio.to_thread(ensure_packages)  # the postgres user comes with them
    if installed:
        output.line("db", f"installed Debian packages: {' '.join(installed)}")
    located = await asyncio.to_thread(stack.located, config.database)
    marker = cluster_owner.marker(config.state_dir)
    found = cluster_owner.inspect(marker, cluster.running_pid(located))
    wanted = dict(config.ports)
    if found.pid is None:
        wanted[ENV_PORT] = config.database.port
    busy = ports.taken(wanted)
    if busy:
        output.block("dev stack not started:\n  " + "\n  ".join(busy))
        return 1
    dev_env = secrets.ensure(config.env_file)
    servers = _in_process_servers(config, dev_env, output)
    supervisor = Supervisor(output, [sys.executable, "-m", "avito_sync"])
    owned = found.left_behind
    database = located
    try:
        note = found.note()
        if note:
            output.line("db", note)
        output.line("db", f"starting the cluster in {located.root}")
        ready = await asyncio.to_thread(_cluster_up, config.database, output)
        database = ready.config
        owned = owned or ready.started
        pid = cluster.running_pid(database)
        if ready.started and pid is not None:
            cluster_owner.remember(marker, pid)
        for line in ready.notes:
            output.line("db", line)
        output.line("db", f"ready on {database.url} ({len(ready.migrations)} migrations applied)")
        seeded = await asyncio.to_thread(
            apply_seed, database.url, config.inbox_url, inbox_secret=dev_env[INBOX_SECRET]
        )
        output.line("seed", f"applied {', '.join(seeded) or 'nothing'}")
        for server in servers:
            server.start()
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
        if found.pid is None and cluster.running_pid(database) is not None:
            owned = True  # we started it, even if `stack.up` failed after that
        await _stop(output, supervisor, servers, database if owned else None, marker)


def _cluster_up(database: StackConfig, output: Output) -> stack.Ready:
    """The dev cluster, rebuilt (dev data is lost, the seed is applied again) when migrations
    it applied were edited since: the dev stack must start on what the files say."""
    try:
        return stack.up(database)
    except StackError as exc:
        if exc.code != MIGRATION_CHANGED:
            raise
        output.line("db", f"{exc.message.split(';')[0]}: rebuilding the dev cluster")
        return stack.reset(database)


def _in_process_servers(
    config: DevConfig, dev_env: dict[str, str], output: Output
) -> list[Inbox | AppPage]:
    """The inbox and the app page: bound now (a taken port fails before anything starts)."""
    inbox = Inbox(
        HOST,
        config.inbox_port,
        dev_env[INBOX_SECRET],
        lambda text: output.line("inbox", text),
    )
    page = PageConfig(
        functions_url=config.functions_url,
        redirect_uri=config.app_callback_url,
        property_id=str(DEMO_PROPERTY_IDS[0]),
        session=lambda: mint(dev_env, DEMO_USER_ID, email=DEMO_USER_EMAIL),
    )
    try:
        return [inbox, AppPage(HOST, config.app_port, page)]
    except BaseException:
        inbox.close()
        raise


async def _stop(
    output: Output,
    supervisor: Supervisor,
    servers: list[Inbox | AppPage],
    owned: StackConfig | None,
    marker: Path,
) -> None:
    """Every step runs even when an earlier one fails; the cluster is stopped last."""
    output.line("dev", "stopping")
    try:
        await supervisor.stop_all()
    finally:
        for server in servers:
            server.close()
        if owned is not None:
            await asyncio.to_thread(stack.down, owned)
            cluster_owner.forget(marker)
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
                listens_on=config.sandbox_port,
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
                listens_on=config.api_port,
            ),
            lambda: supervisor.start(
                "realtime",
                ["realtime-local", "--host", HOST, "--port", str(config.realtime_port)],
                env,
                ready_line="realtime-local ready on",
                listens_on=config.realtime_port,
            ),
            lambda: start_gateway(supervisor, config.supabase_port, env),
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
