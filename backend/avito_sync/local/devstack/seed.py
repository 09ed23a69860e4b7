"""Dev seed data (`sql/seed/*.sql`): applied by the dev stack on every start, idempotently."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg

from avito_sync.local.postgres.config import project_dir

DEMO_USER_ID = uuid.UUID("d0000000-0000-4000-8000-000000000001")
DEMO_USER_EMAIL = "demo-host@avito-sync.local"
DEMO_PROPERTY_IDS = (
    uuid.UUID("d0000000-0000-4000-8000-000000000101"),
    uuid.UUID("d0000000-0000-4000-8000-000000000102"),
)
INBOX_SETTING = "avito_sync_dev.inbox_url"
INBOX_SECRET_SETTING = "avito_sync_dev.inbox_secret"  # noqa: S105 - a setting name


def seed_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or project_dir() / "sql" / "seed").glob("*.sql"))


def apply_seed(
    database_url: str,
    inbox_url: str,
    directory: Path | None = None,
    *,
    inbox_secret: str = "",
) -> list[str]:
    """Run every seed file in its own transaction, in name order; the names applied.
    `inbox_secret` becomes the dev inbox channel's signing secret (in Vault)."""
    applied = []
    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("select set_config(%s, %s, false)", (INBOX_SETTING, inbox_url))
        conn.execute("select set_config(%s, %s, false)", (INBOX_SECRET_SETTING, inbox_secret))
        for path in seed_files(directory):
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8").encode())
            applied.append(path.name)
    return applied
