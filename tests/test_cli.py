"""The root command stays light: `avito-sync db ...` must not pay for the service's imports."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "uvicorn", "realtime", "websockets", "pydantic_settings", "avito_sync.api.app")


def test_loading_the_root_command_imports_no_service_stack() -> None:
    probe = f"import sys, avito_sync.cli\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == []


def test_every_command_is_listed_in_the_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "avito_sync", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for command in (
        "cutover",
        "db",
        "demo",
        "dev",
        "notify",
        "realtime-local",
        "sandbox",
        "serve",
        "setup",
        "worker",
    ):
        assert command in done.stdout
