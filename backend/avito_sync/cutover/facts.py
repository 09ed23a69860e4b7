"""What the cutover observes: the database's facts, the service and function probes."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Functions the app invokes by name, replaced by same-name forwarders (docs/app-contract.md §3).
APP_FUNCTIONS = ("avito_sync", "avito-oauth-callback", "avito-close-availability")
# The service's own API and the messenger (served once the service serves it, §11).
NEW_API_FUNCTION = "avito-sync"
MESSENGER_FUNCTION = "avito-messenger"
FORWARDED_FUNCTIONS = (*APP_FUNCTIONS, NEW_API_FUNCTION, MESSENGER_FUNCTION)
# Old functions with no replacement: deleted from the project and from the app's repository.
REMOVED_FUNCTIONS = (
    "avito-poller",
    "avito-webhook",
    "apply-avito-migration",
    "apply-migration",
    "apply-sort-order-migration",
)
# Unsigned bookings from anyone (§9.20): a hole, not just clutter.
DANGEROUS_REMOVED = frozenset({"avito-webhook"})
FORWARDER_HEADER = "x-avito-sync-forwarder"


@dataclass(frozen=True, slots=True)
class LegacyJob:
    jobname: str
    schedule: str
    kind: str  # 'rentals' | 'messenger'


@dataclass(frozen=True, slots=True)
class DbFacts:
    """`avito_private.cutover_facts()`: names and counts, never a token."""

    pg_net: str | None
    net_functions: bool
    pg_cron: str | None
    pgcrypto: str | None
    legacy_jobs: tuple[LegacyJob, ...]
    legacy_columns: tuple[str, ...]
    legacy_pending: int
    legacy_left: Mapping[str, int]
    legacy_unused: int
    imported: int
    encryption_key: bool
    messenger_integrations: int
    service_url: str | None
    poll_secret: bool
    poller_schedule: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DbFacts:
        return cls(
            pg_net=data.get("pg_net"),
            net_functions=bool(data.get("net_functions")),
            pg_cron=data.get("pg_cron"),
            pgcrypto=data.get("pgcrypto"),
            legacy_jobs=tuple(
                LegacyJob(str(j.get("jobname") or "?"), str(j.get("schedule")), str(j["kind"]))
                for j in data.get("legacy_jobs") or ()
            ),
            legacy_columns=tuple(data.get("legacy_columns") or ()),
            legacy_pending=int(data.get("legacy_pending") or 0),
            legacy_left={str(k): int(v) for k, v in (data.get("legacy_left") or {}).items()},
            legacy_unused=int(data.get("legacy_unused") or 0),
            imported=int(data.get("imported") or 0),
            encryption_key=bool(data.get("encryption_key")),
            messenger_integrations=int(data.get("messenger_integrations") or 0),
            service_url=data.get("service_url"),
            poll_secret=bool(data.get("poll_secret")),
            poller_schedule=data.get("poller_schedule"),
        )


@dataclass(frozen=True, slots=True)
class ServiceProbe:
    """GET <url>/healthz sent by the database through pg_net."""

    url: str | None
    status_code: int | None = None
    error: str | None = None


class FunctionState(enum.StrEnum):
    OURS = "ours"  # answers with the forwarder header
    OLD = "old"  # answers without it: the old function
    ABSENT = "absent"  # 404: not deployed
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class FunctionProbe:
    name: str
    state: FunctionState
    status_code: int | None = None
    error: str | None = None


def version_tuple(version: str) -> tuple[int, ...]:
    """'1.6.4' → (1, 6, 4); anything after a '-' or a non-digit is ignored."""
    parts: list[int] = []
    for piece in version.split("-", 1)[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
