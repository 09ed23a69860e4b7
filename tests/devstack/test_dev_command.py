"""`avito-sync dev` as a real process: its own cluster and ports, ready, usable, and stopped
by SIGTERM with every child gone."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from avito_sync.local.devstack.run import READY_BANNER
from avito_sync.local.devstack.seed import DEMO_PROPERTY_IDS
from avito_sync.local.postgres import cluster, stack
from avito_sync.local.postgres.config import StackConfig
from tests.fixtures.db import cluster_config
from tests.support.net import serving
from tests.support.processes import OutputReader

DEV = [sys.executable, "-m", "avito_sync", "dev"]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class DevProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            DEV, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = OutputReader(self.process, READY_BANNER)

    @property
    def output(self) -> str:
        return self._reader.output

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._reader.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dev stack did not come up:\n{self.output}")


def make_dev_env(state_dir: Path, cluster: str = "devstack") -> tuple[dict[str, str], StackConfig]:
    """Unusual free ports, a cluster directory next to the test cluster's, a private state dir."""
    pg_port, api, sandbox, realtime, inbox, supabase, app, telegram, push = free_ports(9)
    test_root = cluster_config().root
    database = StackConfig(root=test_root.with_name(f"{test_root.name}-{cluster}"), port=pg_port)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_", "SUPABASE_"))}
    env.update(
        AVITO_SYNC_PG_DIR=str(database.root),
        AVITO_SYNC_PG_PORT=str(pg_port),
        AVITO_SYNC_DEV_DIR=str(state_dir),
        AVITO_SYNC_DEV_API_PORT=str(api),
        AVITO_SYNC_DEV_SANDBOX_PORT=str(sandbox),
        AVITO_SYNC_DEV_REALTIME_PORT=str(realtime),
        AVITO_SYNC_DEV_INBOX_PORT=str(inbox),
        AVITO_SYNC_DEV_SUPABASE_PORT=str(supabase),
        AVITO_SYNC_DEV_APP_PORT=str(app),
        AVITO_SYNC_DEV_TELEGRAM_PORT=str(telegram),
        AVITO_SYNC_DEV_PUSH_PORT=str(push),
    )
    return env, database


@pytest.fixture
def dev_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], StackConfig]]:
    env, database = make_dev_env(tmp_path / "dev")
    yield env, database
    stack.down(database)  # only matters when the test failed half-way


def test_dev_stack_serves_and_stops_on_sigterm(
    dev_env: tuple[dict[str, str], StackConfig],
) -> None:
    env, database = dev_env
    dev = DevProcess(env)
    try:
        dev.wait_ready(90)
        children = children_of(dev.process.pid)
        # sandbox, net, api, realtime, functions, telegram, push, notify
        assert len(children) == 8, dev.output

        api = f"http://127.0.0.1:{env['AVITO_SYNC_DEV_API_PORT']}"
        sandbox = f"http://127.0.0.1:{env['AVITO_SYNC_DEV_SANDBOX_PORT']}"
        with httpx.Client(trust_env=False, timeout=10) as http:
            ready = http.get(f"{api}/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["ready"] is True
            assert http.get(f"{sandbox}/_sandbox/clock").status_code == 200

            token = subprocess.run(
                [*DEV, "token"], env=env, capture_output=True, text=True, check=True
            ).stdout.strip()
            status = http.post(
                f"{api}/functions/v1/avito-sync",
                json={"action": "status", "property_id": str(DEMO_PROPERTY_IDS[0])},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert status.status_code == 200, status.text
            assert status.json()["connected"] is False
            # The app-facing SUPABASE_URL: the same call through the forwarders under Deno.
            supabase = f"http://127.0.0.1:{env['AVITO_SYNC_DEV_SUPABASE_PORT']}"
            forwarded = http.post(
                f"{supabase}/functions/v1/avito-sync",
                json={"action": "status", "property_id": str(DEMO_PROPERTY_IDS[0])},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert forwarded.status_code == 200, forwarded.text
            assert forwarded.headers["x-avito-sync-forwarder"] == "1"
            assert forwarded.json() == status.json()

        env_file = Path(env["AVITO_SYNC_DEV_DIR"]) / "dev.env"
        assert env_file.stat().st_mode & 0o777 == 0o600

        dev.process.send_signal(signal.SIGTERM)
        assert dev.process.wait(timeout=30) == 0, dev.output
    finally:
        if dev.process.poll() is None:
            dev.process.kill()
            dev.process.wait()
    assert_all_gone(children, database, dev.output)


def assert_all_gone(children: list[int], database: StackConfig, output: str) -> None:
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)], output
    assert cluster.running_pid(stack.located(database)) is None


def test_a_dying_child_stops_the_whole_stack(
    dev_env: tuple[dict[str, str], StackConfig],
) -> None:
    env, database = dev_env
    dev = DevProcess(env)
    try:
        dev.wait_ready(90)
        children = children_of(dev.process.pid)
        (sandbox,) = [pid for pid in children if " sandbox " in command_line(pid)]
        os.kill(sandbox, signal.SIGKILL)
        assert dev.process.wait(timeout=30) == 1, dev.output
    finally:
        if dev.process.poll() is None:
            dev.process.kill()
            dev.process.wait()
    assert "dev stack failed: sandbox exited with status -9" in dev.output
    assert_all_gone(children, database, dev.output)


def test_a_foreign_service_on_a_dev_port_is_never_taken_for_ours(
    dev_env: tuple[dict[str, str], StackConfig],
) -> None:
    """Anything answering `/readyz` on the service's port: refused before anything starts."""

    class Foreign(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    env, database = dev_env
    with serving(Foreign) as foreign:
        env["AVITO_SYNC_DEV_API_PORT"] = foreign.rsplit(":", 1)[1]
        done = subprocess.run(
            DEV, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"port {env['AVITO_SYNC_DEV_API_PORT']} (AVITO_SYNC_DEV_API_PORT)" in done.stdout
    assert READY_BANNER not in done.stdout
    assert cluster.running_pid(stack.located(database)) is None


def _pipeline(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int, int]:
    """`avito-sync dev | tee log` as a developer runs it: (shell, dev pid, tee pid)."""
    shell = subprocess.Popen(
        ["bash", "-c", f"{shlex.join(DEV)} 2>&1 | tee {shlex.quote(str(log))} >/dev/null"],
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while True:
        text = log.read_text() if log.exists() else ""
        if READY_BANNER in text:
            break
        assert shell.poll() is None, text
        assert time.monotonic() < deadline, f"dev stack did not come up:\n{text}"
        time.sleep(0.2)
    members = {pid: command_line(pid) for pid in children_of(shell.pid)}
    (dev,) = [pid for pid, line in members.items() if " avito_sync dev" in line]
    (tee,) = [pid for pid, line in members.items() if line.startswith("tee ")]
    return shell, dev, tee


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


def test_stopping_survives_a_dead_reader_and_a_left_behind_cluster_is_stopped(
    dev_env: tuple[dict[str, str], StackConfig], tmp_path: Path
) -> None:
    env, database = dev_env
    # A dev stack killed outright leaves its cluster running (nothing can run its stop step).
    first, dev, _ = _pipeline(env, tmp_path / "first.log")
    first_children = children_of(dev)
    os.kill(dev, signal.SIGKILL)
    first.wait(30)
    assert all(_gone(pid, 15) for pid in first_children)
    left = cluster.running_pid(stack.located(database))
    assert left is not None

    # The next one notices it; then `tee` dies first on Ctrl-C, as in a terminal.
    second, dev, tee = _pipeline(env, tmp_path / "second.log")
    output = (tmp_path / "second.log").read_text()
    assert f"(postmaster {left}) an earlier dev stack left running" in output
    children = children_of(dev)
    os.kill(tee, signal.SIGKILL)
    assert _gone(tee, 10)
    os.kill(dev, signal.SIGINT)
    assert _gone(dev, 60), "the dev stack did not stop with its reader gone"
    second.wait(30)
    assert_all_gone(children, database, output)
    assert not (Path(env["AVITO_SYNC_DEV_DIR"]) / "dev-cluster.pid").exists()
