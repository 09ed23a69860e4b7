"""The dev stack's generated secrets, kept in `.local/dev.env` (mode 600) across restarts.

Only the dev stack writes this file, and `avito-sync dev token` refuses to mint a JWT without
it, so a dev token can never be signed with a real deployment's secret. Developers may add
further `NAME=value` lines (e.g. `AVITO_SYNC_LOG_LEVEL=DEBUG`); they reach every process.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from avito_sync.local.devstack import channels

DEFAULT_SUPABASE_URL = "http://127.0.0.1:54321"
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_HEADER = (
    "# avito-sync dev stack: generated once by `avito-sync dev`, never used in production.\n"
    "# Add NAME=value lines to pass more settings to every dev process.\n"
)


class DevEnvError(RuntimeError):
    """The dev env file is missing or unreadable; the message says what to do."""


def _generated() -> dict[str, str]:
    return {
        "SUPABASE_URL": DEFAULT_SUPABASE_URL,
        "SUPABASE_JWT_SECRET": secrets.token_urlsafe(48),
        "AVITO_SYNC_STATE_SECRET": secrets.token_urlsafe(48),
        "AVITO_SYNC_POLL_SECRET": secrets.token_urlsafe(48),
        "AVITO_SYNC_DEV_INBOX_SECRET": secrets.token_urlsafe(48),
        **channels.generated_secrets(),
    }


REQUIRED = tuple(_generated())


def parse(text: str, source: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not _NAME.match(name.strip()):
            raise DevEnvError(f"{source}:{number}: expected NAME=value")
        values[name.strip()] = value.strip()
    return values


def read(path: Path) -> dict[str, str]:
    """The file's variables; refuses when it does not exist (the dev stack never ran here)."""
    if not path.is_file():
        raise DevEnvError(f"{path} does not exist: run `make dev` (or `avito-sync dev`) first")
    values = parse(path.read_text(encoding="utf-8"), path)
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise DevEnvError(f"{path} lacks {', '.join(missing)}: delete it and run `make dev`")
    return values


def ensure(path: Path) -> dict[str, str]:
    """Read the file, first creating it or adding any missing generated secret (mode 600)."""
    existing = parse(path.read_text(encoding="utf-8"), path) if path.is_file() else {}
    additions = {k: v for k, v in _generated().items() if not existing.get(k)}
    if additions:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = path.read_text(encoding="utf-8") if path.is_file() else _HEADER
        if body and not body.endswith("\n"):
            body += "\n"
        body += "".join(f"{name}={value}\n" for name, value in additions.items())
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(tmp, path)
    path.chmod(0o600)
    return read(path)
