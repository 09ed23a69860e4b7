"""The one irreversible step: retire the old cron jobs and import the legacy tokens, in a single
transaction, so that at no moment two systems hold (and rotate) the same refresh token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from avito_sync.core.queries import Queries

QUERIES = Queries("avito_sync.cutover")


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """Per integration row; `reasons` counts why rows were not imported (codes, no data)."""

    imported: int
    already_imported: int
    needs_reconnect: int
    skipped: int
    reasons: dict[str, int]
    unused_cleared: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportCounts:
        return cls(
            imported=int(data["imported"]),
            already_imported=int(data["already_imported"]),
            needs_reconnect=int(data["needs_reconnect"]),
            skipped=int(data["skipped"]),
            reasons={str(k): int(v) for k, v in (data.get("reasons") or {}).items()},
            unused_cleared=int(data.get("unused_cleared") or 0),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "already_imported": self.already_imported,
            "needs_reconnect": self.needs_reconnect,
            "skipped": self.skipped,
            "reasons": dict(sorted(self.reasons.items())),
            "unused_cleared": self.unused_cleared,
        }


@dataclass(frozen=True, slots=True)
class Retired:
    unscheduled_jobs: tuple[str, ...]
    counts: ImportCounts


async def retire_and_import(conn: AsyncConnection[dict[str, Any]]) -> Retired:
    """Unschedule the old jobs (the messenger poller too: the service serves the messenger)
    and import every legacy connection, atomically."""
    async with conn.transaction():
        cur = await conn.execute(QUERIES["unschedule_legacy_jobs"])
        jobs = tuple(str(j) for j in ((await cur.fetchone()) or {}).get("jobs") or ())
        cur = await conn.execute(QUERIES["import_legacy_tokens"])
        counts = ImportCounts.from_json(((await cur.fetchone()) or {}).get("counts") or {})
    return Retired(jobs, counts)
