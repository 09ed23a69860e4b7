"""`avito-sync demo` and the connect flow in a real browser (Playwright driving Debian's
chromium, never a downloaded one), against dev stacks on free ports: the demo first starts
its own and stops it, then the browser tests and a failing demo share one.

Allow: `oauth-url` → the sandbox's consent page → Allow → the dev app's callback page, which
exchanges the code through `avito-oauth-callback` with the user's session → "connected" with the
listings → connect one. Deny: the error with a retry that leads back to the consent page.
A failing browser test leaves a screenshot in `.local/test-artifacts/`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from avito_sync.local.devstack import secrets
from avito_sync.local.devstack.seed import DEMO_PROPERTY_IDS, DEMO_USER_ID
from avito_sync.local.devstack.token import mint
from avito_sync.local.postgres import cluster, stack
from avito_sync.local.postgres.config import project_dir
from avito_sync.local.postgres.packages import BROWSER_BINARY, BROWSER_PACKAGES, ensure_packages
from avito_sync.local.sandbox.config import DEMO_ITEM_IDS
from tests.devstack.test_dev_command import DevProcess, make_dev_env

ARTIFACTS = project_dir() / ".local" / "test-artifacts"
PROPERTY = str(DEMO_PROPERTY_IDS[0])
ITEM = DEMO_ITEM_IDS[0]


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        port = env.__getitem__
        self.api = f"http://127.0.0.1:{port('AVITO_SYNC_DEV_API_PORT')}"
        self.sandbox = f"http://127.0.0.1:{port('AVITO_SYNC_DEV_SANDBOX_PORT')}"
        self.app = f"http://127.0.0.1:{port('AVITO_SYNC_DEV_APP_PORT')}"
        dev_env = secrets.read(Path(env["AVITO_SYNC_DEV_DIR"]) / "dev.env")
        self.token = mint(dev_env, DEMO_USER_ID)

    def act(self, action: str, **body: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.api}/functions/v1/avito-sync",
            json={"action": action, **body},
            headers={"Authorization": f"Bearer {self.token}"},
            trust_env=False,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data


@pytest.fixture(scope="module")
def dev_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Any]]:
    # Its own cluster: connecting here must not show in the other dev stack tests.
    env, database = make_dev_env(tmp_path_factory.mktemp("dev"), cluster="devstack-connect")
    yield env, database
    stack.down(database)  # only matters when a test failed half-way


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "avito_sync", "demo"],
        check=False,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_starts_a_dev_stack_walks_every_step_and_stops_it(
    dev_env: tuple[dict[str, str], Any],
) -> None:
    """No dev stack running yet (this test comes first): the demo starts one and stops it."""
    env, database = dev_env
    done = run_demo(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "started the dev stack" in done.stdout
    for number in range(1, 8):
        assert f"✓ [{number}/7]" in done.stdout, done.stdout
    assert "arrived in" in done.stdout
    assert "after the guest booked" in done.stdout
    assert cluster.running_pid(stack.located(database)) is None, "the demo left its stack up"


@pytest.fixture(scope="module")
def dev_stack(dev_env: tuple[dict[str, str], Any]) -> Iterator[Stack]:
    env, database = dev_env
    dev = DevProcess(env)
    try:
        dev.wait_ready(90)
        yield Stack(env)
    finally:
        dev.process.terminate()
        try:
            dev.process.wait(60)
        finally:
            if dev.process.poll() is None:
                dev.process.kill()
            stack.down(database)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ensure_packages(BROWSER_PACKAGES)  # `make test` did it already; a bare pytest run too
    executable = shutil.which("chromium") or BROWSER_BINARY
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_allow_connects_the_property_in_the_browser(dev_stack: Stack, page: Page) -> None:
    url = dev_stack.act("oauth-url", property_id=PROPERTY)["url"]
    page.goto(url)
    expect(page.get_by_role("heading")).to_contain_text("запрашивает доступ")
    page.get_by_role("button", name="Разрешить").click()

    page.wait_for_url(f"{dev_stack.app}/auth/avito-callback*")
    connected = page.locator("#connected")
    expect(connected).to_be_visible()
    expect(connected).to_contain_text("Avito подключён")
    expect(connected).to_contain_text("387654321")
    listing = page.locator(f"li[data-item='{ITEM}']")
    expect(listing).to_contain_text("Квартира-студия")
    assert "code=" not in page.url  # a reload must not re-send the used code

    listing.get_by_role("button", name="Подключить").click()
    expect(page.locator("#integration")).to_contain_text(str(ITEM))
    status = dev_stack.act("status", property_id=PROPERTY)
    assert status["connected"] is True, status
    integration_id = page.locator("#integration-id").inner_text()
    assert uuid.UUID(integration_id)


def test_deny_shows_the_error_with_a_retry(dev_stack: Stack, page: Page) -> None:
    url = dev_stack.act("oauth-url", property_id=PROPERTY)["url"]
    page.goto(url)
    page.get_by_role("button", name="Отклонить").click()

    page.wait_for_url(f"{dev_stack.app}/auth/avito-callback*")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("access_denied")
    expect(page.locator("#connected")).to_be_hidden()

    page.get_by_role("button", name="Повторить").click()
    page.wait_for_url(f"{dev_stack.sandbox}/oauth?*")
    expect(page.get_by_role("button", name="Разрешить")).to_be_visible()


def test_demo_names_the_failing_step_and_what_to_check(dev_stack: Stack) -> None:
    control = f"{dev_stack.sandbox}/_sandbox/faults"
    rule = {"target": "getAccessTokenAuthorizationCode", "error_rates": {"500": 1.0}}
    assert httpx.post(control, json=rule, trust_env=False).status_code == 201
    try:
        done = run_demo(dev_stack.env)
    finally:
        httpx.delete(control, trust_env=False)
    assert done.returncode == 1, done.stdout
    assert "reusing the dev stack" in done.stdout
    assert "Step 2 (Connect the demo property to Avito) failed" in done.stdout
    assert "Check:" in done.stdout
    assert "/oauth" in done.stdout
