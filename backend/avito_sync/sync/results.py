"""What a sync did, in the sync's own words: per operation, per pull, per run.

The engine judges a run from these types; the API edge (`api/sync_result.py`) translates them
into the frontend's vocabulary. Nothing here talks to Postgres or Avito.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from uuid import UUID

from avito_sync.avito.errors import AvitoError
from avito_sync.sync.plan import PlanWarning
from avito_sync.sync.queue import Trigger

Operation = Literal["intervals", "closures", "prices", "base_params"]
OPERATIONS: tuple[Operation, ...] = ("intervals", "closures", "prices", "base_params")
OperationStatus = Literal["sent", "skipped", "failed", "conflict"]
SkipReason = Literal["unchanged", "nothing_to_send", "not_pushable", "deferred"]

Outcome = Literal["success", "partial", "failed", "needs_reconnect"]
"""How a sync that ran ended."""
SyncStatus = Literal[Outcome, "busy", "inactive"]


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    operation: Operation
    status: OperationStatus
    reason: SkipReason | None = None
    error: AvitoError | None = None

    @property
    def ok(self) -> bool:
        """A 409 counts as done: it is recorded and notified, and must not be retried."""
        return self.status != "failed"

    @property
    def tolerated(self) -> bool:
        """A failure the run does not count against itself: base params Avito does not have
        for the listing (404; many listings have none)."""
        return (
            self.operation == "base_params"
            and self.status == "failed"
            and self.error is not None
            and self.error.status == 404
        )


@dataclass(frozen=True, slots=True)
class PushResult:
    outcomes: tuple[OperationOutcome, ...]
    full: bool
    warnings: tuple[PlanWarning, ...] = ()
    api_calls: int = 0
    price_nights: int = 0
    """Nights whose price was written (only changed ones; none of a pending request)."""

    def outcome(self, operation: Operation) -> OperationOutcome:
        return next(o for o in self.outcomes if o.operation == operation)

    @property
    def ok(self) -> bool:
        """Every operation done or skipped (a 409 included: it is recorded and notified)."""
        return all(o.ok for o in self.outcomes)

    @property
    def sent(self) -> tuple[Operation, ...]:
        return tuple(o.operation for o in self.outcomes if o.status in ("sent", "conflict"))

    @property
    def failed(self) -> tuple[OperationOutcome, ...]:
        """Operations Avito refused (a 409 is not here: it is recorded and notified)."""
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def failures(self) -> tuple[OperationOutcome, ...]:
        """The failed operations that make the run partial (not the tolerated ones)."""
        return tuple(o for o in self.failed if not o.tolerated)


@dataclass(frozen=True, slots=True)
class PullResult:
    created: int
    updated: int
    unchanged: int
    vanished: int
    conflicts: int
    fetched: int
    rejected: int = 0
    api_calls: int = 1


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did, for the run log, the HTTP service and tests.

    `status` is the outcome of a sync that ran, or `busy` (another worker holds the
    integration's lease, or this one lost it before pushing: `error_code` lease_lost) /
    `inactive` (disconnected, deleted property, or no queue row) when none ran. `error_code`
    is stable: reconnect_required, avito_<class>, avito_push_failed, plan_invalid,
    integration_gone, internal, lease_lost.
    """

    integration_id: UUID
    trigger: Trigger
    status: SyncStatus
    pull: PullResult | None = None
    push: PushResult | None = None
    api_calls: int = 0
    duration_ms: int = 0
    error: str | None = None
    error_code: str | None = None
    warnings: tuple[str, ...] = field(default=())
    ran: bool = False
    """Whether a sync ran (and recorded a run row); False for busy, inactive, or an account
    already waiting for a reconnect."""

    @classmethod
    def not_run(cls, integration_id: UUID, trigger: Trigger, status: SyncStatus) -> SyncResult:
        """No sync ran: the row is leased elsewhere, inactive, or waits for a reconnect."""
        reconnect = status == "needs_reconnect"
        return cls(
            integration_id,
            trigger,
            status,
            error="the Avito account needs a reconnect" if reconnect else None,
            error_code="reconnect_required" if reconnect else None,
        )


def run_counts(
    pulled: PullResult | None, pushed: PushResult | None, warnings: tuple[str, ...]
) -> dict[str, Any]:
    """The run log's `counts` (`avito_sync_runs.counts`)."""
    counts: dict[str, Any] = {}
    if pulled is not None:
        counts["pull"] = asdict(pulled)
    if pushed is not None:
        counts["push"] = {o.operation: o.status for o in pushed.outcomes}
        counts["push_full"] = pushed.full
        counts["price_nights"] = pushed.price_nights
    if warnings:
        counts["warnings"] = list(warnings)
    return counts
