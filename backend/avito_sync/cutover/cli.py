"""`avito-sync cutover check` and `avito-sync cutover apply` (README "Deploying to Supabase").

Both read DATABASE_URL, are safe to repeat, print a table (or `--json`) and exit 0 when nothing
needs action, 1 when a finding needs action or `apply` refused, 2 when they cannot run.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import psycopg
import typer
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table

from avito_sync.cutover.apply import retire_and_import
from avito_sync.cutover.checks import build_findings
from avito_sync.cutover.facts import DbFacts, FunctionProbe
from avito_sync.cutover.findings import ExitCode, Finding, Report, Status
from avito_sync.cutover.probe import probe_functions, probe_service, read_facts
from avito_sync.sync.cli import setup_target
from avito_sync.sync.ticker import configure_tick

app = typer.Typer(
    help="Move a live app from the old Edge Functions to avito-sync (README: Deploying).",
    no_args_is_help=True,
    add_completion=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
ServiceUrlOption = Annotated[
    str | None,
    typer.Option(
        help="Service base URL as the database reaches it (default: the one `setup` stored, "
        "else AVITO_SYNC_SERVICE_URL)."
    ),
]
SupabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        envvar="SUPABASE_URL",
        help="Project URL, to call the Edge Functions as the app does (SUPABASE_URL). "
        "SUPABASE_ANON_KEY, if set, is sent as the app sends it.",
    ),
]
TimeoutOption = Annotated[
    float, typer.Option(min=1, max=120, help="Seconds to wait for the pg_net round trip.")
]


class CannotRunError(Exception):
    """The command cannot run at all (exit 2); the message says why, with no secret."""


def check_command(
    json_output: JsonOption = False,
    service_url: ServiceUrlOption = None,
    supabase_url: SupabaseUrlOption = None,
    timeout: TimeoutOption = 15.0,
) -> None:
    """Report what the cutover still needs, each finding with what to do. Changes nothing (it
    only queues one pg_net request to the service's /healthz)."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        _cannot_run("check", "DATABASE_URL is not set", json_output)
    _require_http_urls("check", json_output, service_url=service_url, supabase_url=supabase_url)

    async def run() -> Report:
        async with await _connect(database_url) as conn:
            facts = await _facts(conn)
            url = service_url or facts.service_url or os.environ.get("AVITO_SYNC_SERVICE_URL")
            service = await probe_service(conn, facts, url, wait_seconds=timeout)
        functions = await _functions(supabase_url)
        return Report("check", build_findings(facts, service, functions))

    _finish(_run("check", run, json_output), json_output)


def apply_command(
    json_output: JsonOption = False,
    service_url: ServiceUrlOption = None,
    supabase_url: SupabaseUrlOption = None,
    timeout: TimeoutOption = 15.0,
) -> None:
    """Run setup, unschedule the old jobs (the messenger poller included: the service serves
    avito-messenger and polls the chats itself) and import the legacy tokens; refuses (changing
    nothing) unless the database reaches the service through pg_net."""
    _require_http_urls("apply", json_output, service_url=service_url, supabase_url=supabase_url)
    target = setup_target(service_url, "cutover apply")

    async def run() -> Report:
        async with await _connect(target.database_url) as conn:
            facts = await _facts(conn)
            service = await probe_service(conn, facts, target.service_url, wait_seconds=timeout)
            if service.status_code != 200:
                functions = await _functions(supabase_url)
                return Report("apply", build_findings(facts, service, functions), refused=True)
            tick = await configure_tick(conn, target.service_url, target.secret)
            retired = await retire_and_import(conn)
            after = await read_facts(conn)
        functions = await _functions(supabase_url)
        applied = {
            "setup": {
                "service_url": target.service_url,
                "cron": tick.cron,
                "jobs": list(tick.jobs),
                "pg_net": tick.pg_net,
            },
            "unscheduled_jobs": list(retired.unscheduled_jobs),
            "import": retired.counts.as_json(),
        }
        return Report("apply", build_findings(after, service, functions), applied=applied)

    _finish(_run("apply", run, json_output), json_output)


def _require_http_urls(command: str, json_output: bool, **urls: str | None) -> None:
    """Both URLs are called over HTTP (one by the database): absolute http(s) or nothing."""
    for name, url in urls.items():
        if url is None:
            continue
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            option = "--" + name.replace("_", "-")
            _cannot_run(command, f"{option} must be an absolute http(s) URL", json_output)


async def _connect(url: str) -> psycopg.AsyncConnection[dict[str, Any]]:
    try:
        return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        raise CannotRunError(f"cannot reach the database ({type(exc).__name__})") from None


async def _facts(conn: psycopg.AsyncConnection[dict[str, Any]]) -> DbFacts:

    try:
        return await read_facts(conn)
    except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
        raise CannotRunError(
            "avito_private.cutover_facts() is missing: apply the migrations first "
            "(`supabase db push`)"
        ) from None


async def _functions(supabase_url: str | None) -> tuple[FunctionProbe, ...] | None:
    if not supabase_url:
        return None

    return await probe_functions(supabase_url, os.environ.get("SUPABASE_ANON_KEY") or None)


def _run(command: str, run: Callable[[], Coroutine[Any, Any, Report]], json_output: bool) -> Report:
    try:
        return asyncio.run(run())
    except CannotRunError as exc:
        _cannot_run(command, str(exc), json_output)
    except psycopg.Error as exc:
        _cannot_run(
            command,
            f"database error: {type(exc).__name__}: {exc.diag.message_primary}",
            json_output,
        )


def _cannot_run(command: str, message: str, json_output: bool) -> NoReturn:
    if json_output:
        typer.echo(
            json.dumps(
                {"command": command, "exit_code": int(ExitCode.CANNOT_RUN), "error": message},
                ensure_ascii=False,
            )
        )
    else:
        typer.secho(f"cutover {command}: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=int(ExitCode.CANNOT_RUN))


def _finish(report: Report, json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        _print(report)
    raise typer.Exit(code=int(report.exit_code))


_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}


def _print(report: Report) -> None:

    console = Console()
    if report.refused:
        console.print(
            "[bold red]Refused: nothing was changed.[/] The database must reach the service "
            "through pg_net first (see 'service' below)."
        )
    if report.applied:
        _print_applied(console, report.applied)
    table = Table(show_lines=True, title=f"cutover {report.command}")
    table.add_column("status")
    table.add_column("finding")
    table.add_column("detail / what to do")
    for finding in report.findings:
        table.add_row(
            f"[{_STYLE[finding.status]}]{finding.status.value}[/]",
            f"{finding.title}\n[dim]{finding.id}[/]",
            _detail(finding),
        )
    console.print(table)
    verdict = {
        ExitCode.OK: "[green]Nothing needs action.[/]",
        ExitCode.ACTION_NEEDED: "[bold red]Findings need action (exit 1).[/]",
    }[report.exit_code]
    console.print(verdict)


def _detail(finding: Finding) -> str:
    if finding.action:
        return f"{finding.detail}\n[bold]→[/] {finding.action}"
    return finding.detail


def _print_applied(console: Any, applied: dict[str, Any]) -> None:
    setup = applied["setup"]
    console.print(f"setup: tick → {setup['service_url']}/v1/poll ({setup['cron']})")
    jobs = applied["unscheduled_jobs"]
    console.print("unscheduled old jobs: " + (", ".join(jobs) if jobs else "none"))
    counts = applied["import"]
    console.print(
        "legacy connections: {imported} imported, {already_imported} already imported, "
        "{needs_reconnect} need a reconnect, {skipped} skipped".format(**counts)
    )
    if counts["reasons"]:
        console.print("  reasons: " + ", ".join(f"{k} × {n}" for k, n in counts["reasons"].items()))
    if counts["unused_cleared"]:
        console.print(f"  unused messenger_token_json cleared: {counts['unused_cleared']}")


app.command("check")(check_command)
app.command("apply")(apply_command)
