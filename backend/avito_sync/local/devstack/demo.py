"""`avito-sync demo`: the whole product in one guided run against the dev stack.

Every step goes through the same doors as the real thing: the service's functions with the
demo host's JWT, Avito's consent page posted as a browser posts it, the sandbox's control API
for what a guest does on Avito, and the app's own tables for what the host changes.
"""

from __future__ import annotations

import datetime as dt
import secrets as random_source
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from avito_sync.local.devstack import secrets
from avito_sync.local.devstack.config import DevConfig
from avito_sync.local.devstack.consent import parse_consent
from avito_sync.local.devstack.run import READY_BANNER
from avito_sync.local.devstack.seed import DEMO_PROPERTY_IDS, DEMO_USER_EMAIL, DEMO_USER_ID
from avito_sync.local.devstack.token import mint
from avito_sync.local.sandbox.config import DEMO_ACCOUNT_ID, DEMO_ITEM_IDS
from avito_sync.sync.plan import marked_up_price

STACK_START_SECONDS = 180.0
ARRIVAL_SECONDS = 90.0
MARKUP = 10
PROPERTY = DEMO_PROPERTY_IDS[0]
ITEM = DEMO_ITEM_IDS[0]


class StepFailed(RuntimeError):
    """A step did not work; the message says what happened."""


@dataclass
class Step:
    title: str
    check: str
    run: Callable[[Callable[[str], None]], str]


@dataclass
class Demo:
    """One walkthrough; `started` is the dev stack it started itself (stopped at the end)."""

    config: DevConfig
    console: Console
    http: httpx.Client
    token: str = ""
    account_id: str = ""
    booking_id: int = 0
    booked_at: float = 0.0
    started: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)

    # -- plumbing ----------------------------------------------------------------------------

    def invoke(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """What supabase.functions.invoke does: POST JSON with the user's JWT."""
        answer = self.http.post(
            f"{self.config.functions_url}/functions/v1/{name}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        try:
            data: dict[str, Any] = answer.json()
        except ValueError:
            data = {}
        if answer.status_code != 200 or data.get("success") is False:
            what = data.get("message") or data.get("error") or answer.text[:200]
            raise StepFailed(
                f"{name} {body.get('action', '')} answered {answer.status_code}: {what}"
            )
        return data

    def stack_answers(self) -> bool:
        try:
            ready = self.http.get(f"{self.config.api_url}/readyz", timeout=3)
            page = self.http.get(f"{self.config.app_url}/", timeout=3)
        except httpx.HTTPError:
            return False
        return ready.status_code == 200 and page.status_code == 200

    # -- steps -------------------------------------------------------------------------------

    def start_or_reuse(self, note: Callable[[str], None]) -> str:
        if self.stack_answers():
            summary = f"reusing the dev stack at {self.config.api_url}"
        else:
            self.log_path = self.config.state_dir / "demo-dev.log"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            note(f"starting the dev stack (log {self.log_path})")
            with self.log_path.open("wb") as log:
                self.started = subprocess.Popen(
                    [sys.executable, "-m", "avito_sync", "dev"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            deadline = time.monotonic() + STACK_START_SECONDS
            while READY_BANNER not in self.log_path.read_text(errors="replace"):
                if self.started.poll() is not None:
                    tail = self.log_path.read_text(errors="replace").splitlines()[-8:]
                    raise StepFailed("the dev stack exited:\n  " + "\n  ".join(tail))
                if time.monotonic() > deadline:
                    raise StepFailed(f"the dev stack was not ready in {STACK_START_SECONDS:.0f} s")
                time.sleep(0.3)
            summary = f"started the dev stack (stopped at the end; log {self.log_path})"
        self.token = mint(secrets.read(self.config.env_file), DEMO_USER_ID, email=DEMO_USER_EMAIL)
        return summary

    def connect(self, note: Callable[[str], None]) -> str:
        url = self.invoke("avito-sync", {"action": "oauth-url", "property_id": str(PROPERTY)})[
            "url"
        ]
        note("consent page: Allow")
        page = self.http.get(url)
        if page.status_code != 200:
            raise StepFailed(f"the consent page answered {page.status_code}: {page.text[:200]}")
        form = parse_consent(page.text)
        decided = self.http.post(
            str(httpx.URL(url).join(form.action)),
            data=form.submission("allow", str(DEMO_ACCOUNT_ID)),
        )
        target = decided.headers.get("location", "")
        if decided.status_code != 302 or not target.startswith(self.config.app_callback_url):
            raise StepFailed(f"Allow did not redirect to the app ({decided.status_code} {target})")
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        if "code" not in query:
            raise StepFailed(f"the redirect has no code: {target}")
        if self.http.get(target).status_code != 200:
            raise StepFailed(f"the app's callback page {self.config.app_callback_url} is down")
        note("the callback page exchanges the code")
        connected = self.invoke(
            "avito-oauth-callback",
            {
                "code": query["code"],
                "state": query["state"],
                "redirect_uri": self.config.app_callback_url,
            },
        )
        self.account_id = str(connected["accountId"])
        return f"Avito account {connected['avitoUserId']} linked (account {self.account_id})"

    def listings(self, _note: Callable[[str], None]) -> str:
        items = self.invoke(
            "avito-sync", {"action": "get-items", "account_id": self.account_id, "refresh": True}
        )["items"]
        table = Table("listing", "title", "status", box=None, padding=(0, 2))
        for item in items:
            table.add_row(str(item["id"]), str(item.get("title") or ""), str(item.get("status")))
        self.console.print(table)  # above the live progress line
        if not any(item["id"] == ITEM for item in items):
            raise StepFailed(f"listing {ITEM} is not among the account's listings")
        return f"{len(items)} listings on the account"

    def save(self, _note: Callable[[str], None]) -> str:
        self.invoke(
            "avito-sync",
            {
                "action": "save-integration",
                "property_id": str(PROPERTY),
                "account_id": self.account_id,
                "item_id": ITEM,
                "markup": MARKUP,
            },
        )
        return f"property {PROPERTY} ↔ listing {ITEM}, markup {MARKUP} % (initial sync done)"

    def _free_stay(self, conn: psycopg.Connection[Any]) -> tuple[dt.date, dt.date]:
        """Two nights after everything booked so far, on Avito and in the app."""
        listed = self.http.get(f"{self.config.sandbox_url}/_sandbox/listings/{ITEM}/bookings")
        ends = [dt.date.fromisoformat(b["check_out"]) for b in listed.json()]
        row = conn.execute(
            "select max(check_out) from public.bookings where property_id = %s", (PROPERTY,)
        ).fetchone()
        if row and row[0] is not None:
            ends.append(row[0])
        start = max([dt.date.today() + dt.timedelta(days=30), *ends])
        if start > dt.date.today() + dt.timedelta(days=330):  # the demo ran very often
            start = dt.date.today() + dt.timedelta(days=30 + random_source.randbelow(300))
        return start, start + dt.timedelta(days=2)

    def booking(self, note: Callable[[str], None]) -> str:
        with psycopg.connect(self.config.database.url, autocommit=True) as conn:
            check_in, check_out = self._free_stay(conn)
            made = self.http.post(
                f"{self.config.sandbox_url}/_sandbox/listings/{ITEM}/bookings",
                json={
                    "check_in": check_in.isoformat(),
                    "check_out": check_out.isoformat(),
                    "guest_name": "Гость из демо",
                },
            )
            if made.status_code != 201:
                raise StepFailed(f"the sandbox refused the booking: {made.text[:200]}")
            self.booked_at = time.monotonic()
            self.booking_id = int(made.json()["id"])
            note(f"guest booked {check_in} → {check_out} on Avito (booking {self.booking_id})")
            # With the dates: a reset sandbox numbers its bookings from the start again.
            seconds = _wait(
                lambda: (
                    conn.execute(
                        "select 1 from public.bookings where source = 'avito'"
                        " and external_id = %s and check_in = %s and check_out = %s",
                        (str(self.booking_id), check_in, check_out),
                    ).fetchone()
                    is not None
                ),
                "the booking to arrive in public.bookings",
                note,
            )
        return f"booking {self.booking_id} ({check_in} → {check_out}) arrived in {seconds:.1f} s"

    def price(self, note: Callable[[str], None]) -> str:
        day = dt.date.today() + dt.timedelta(days=10)
        new = 4000 + 10 * random_source.randbelow(100)
        expected = marked_up_price(Decimal(new), Decimal(MARKUP))
        with psycopg.connect(self.config.database.url, autocommit=True) as conn:
            conn.execute(
                "insert into public.property_rates (property_id, date, daily_price, currency)"
                " values (%s, %s, %s, 'RUB') on conflict (property_id, date)"
                " do update set daily_price = excluded.daily_price",
                (PROPERTY, day, new),
            )
        changed = time.monotonic()
        note(f"host set {day} to {new} ₽; waiting for {expected} ₽ (+{MARKUP} %) on Avito")
        prices_url = f"{self.config.sandbox_url}/_sandbox/listings/{ITEM}/prices"

        def on_avito() -> bool:
            days = self.http.get(
                prices_url, params={"date_from": day.isoformat(), "date_to": day.isoformat()}
            ).json()
            return bool(days) and days[0].get("night_price") == expected

        _wait(on_avito, f"{expected} ₽ on {day} in the sandbox calendar", note)
        return (
            f"{day}: {new} ₽ in the app → {expected} ₽ on Avito "
            f"in {time.monotonic() - changed:.1f} s"
        )

    def inbox(self, note: Callable[[str], None]) -> str:
        needle = str(self.booking_id)  # the text names Avito's booking number
        found: list[dict[str, Any]] = []

        def delivered() -> bool:
            received = self.http.get(self.config.inbox_url).json()
            found[:] = [n for n in received if needle in str(n.get("text", ""))]
            return bool(found)

        _wait(delivered, f"the notification of booking {needle} in the inbox", note)
        text = " | ".join(line for line in str(found[0]["text"]).splitlines() if line.strip())
        return f"{text}  ({time.monotonic() - self.booked_at:.1f} s after the guest booked)"

    # -- the walkthrough ---------------------------------------------------------------------

    def steps(self) -> list[Step]:
        c = self.config
        return [
            Step(
                "Dev stack",
                f"`make dev` in another terminal and its output; the ports must match "
                f"(AVITO_SYNC_DEV_*_PORT); a stack started here logs to {c.state_dir}/demo-dev.log",
                self.start_or_reuse,
            ),
            Step(
                "Connect the demo property to Avito",
                f"the consent page {c.sandbox_url}/oauth, the callback page "
                f"{c.app_callback_url}, and the `api |` lines of `make dev`",
                self.connect,
            ),
            Step(
                "List the account's listings",
                f"{c.sandbox_url}/_sandbox/state and the `api |` lines",
                self.listings,
            ),
            Step(
                "Save the integration",
                f"the sandbox request log {c.sandbox_url}/_sandbox/requests and the `api |` lines",
                self.save,
            ),
            Step(
                "A guest books on Avito",
                "the worker (`api |`) and tick (`net |`) lines of `make dev`; "
                "select * from avito_private.failing_syncs",
                self.booking,
            ),
            Step(
                "The host changes a price",
                f"{c.sandbox_url}/_sandbox/listings/{ITEM}/prices and the `api |` lines",
                self.price,
            ),
            Step(
                "The host is notified",
                f"the `notify |` and `inbox |` lines of `make dev`; {c.inbox_url}",
                self.inbox,
            ),
        ]

    def run(self) -> int:
        steps = self.steps()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=False) as progress:
            for number, step in enumerate(steps, start=1):
                label = f"[{number}/{len(steps)}] {step.title}"
                task = progress.add_task(label, total=1)

                def note(text: str, task: TaskID = task, label: str = label) -> None:
                    progress.update(task, description=f"{label}: {text}")

                try:
                    summary = step.run(note)
                except (
                    StepFailed,
                    secrets.DevEnvError,
                    httpx.HTTPError,
                    psycopg.Error,
                    ValueError,
                    KeyError,
                ) as exc:
                    progress.remove_task(task)
                    progress.stop()
                    self.console.print(
                        f"[red]✗[/red] {label}\n\n"
                        f"[bold red]Step {number} ({step.title}) failed:[/bold red] {exc}\n"
                        f"[bold]Check:[/bold] {step.check}"
                    )
                    return 1
                progress.remove_task(task)
                progress.console.print(f"[green]✓[/green] {label}: {summary}")
        self.console.print(
            f"\n[bold green]Done.[/bold green] Open {self.config.app_url}/ to connect by hand, "
            f"{self.config.sandbox_url}/_sandbox/docs for the sandbox."
        )
        return 0

    def stop_started(self) -> None:
        if self.started is None or self.started.poll() is not None:
            return
        self.console.print("stopping the dev stack this demo started")
        self.started.send_signal(signal.SIGTERM)
        try:
            self.started.wait(60)
        except subprocess.TimeoutExpired:
            self.started.kill()
            self.started.wait()


def _wait(check: Callable[[], bool], what: str, note: Callable[[str], None]) -> float:
    """Poll until `check()` holds; the seconds it took. Fails after ARRIVAL_SECONDS."""
    start = time.monotonic()
    while not check():
        elapsed = time.monotonic() - start
        if elapsed > ARRIVAL_SECONDS:
            raise StepFailed(f"no sign of {what} after {ARRIVAL_SECONDS:.0f} s")
        note(f"waiting for {what} ({elapsed:.0f} s)")
        time.sleep(0.25)
    return time.monotonic() - start


def run_demo(config: DevConfig, console: Console | None = None) -> int:
    console = console or Console()
    with httpx.Client(trust_env=False, timeout=60) as http:
        demo = Demo(config, console, http)
        try:
            return demo.run()
        finally:
            demo.stop_started()
