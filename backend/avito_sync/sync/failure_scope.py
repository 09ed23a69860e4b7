"""How far a sync failure reaches (pure), recorded with the run as `counts.failure_scope`.

The queue uses it to catch up after an outage (`avito_private.catch_up_after_outage`): on the
first success after failures, rows that failed because Avito as a whole was down (`app`: 5xx,
no answer, a gateway page) and rows of the same Avito account that were rate limited
(`account`: 429) are due again at once instead of waiting out their backoff. Failures about
one listing or body (`integration`: 400, 403, 404, 409, 422, ...) keep their backoff.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from avito_sync.avito.errors import (
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    TransportError,
)

FailureScope = Literal["app", "account", "integration"]

_ORDER: tuple[FailureScope, ...] = ("integration", "account", "app")


def scope_of(error: BaseException) -> FailureScope:
    if isinstance(error, ServerError | TransportError | MalformedResponseError):
        return "app"
    if isinstance(error, RateLimitedError):
        return "account"
    return "integration"


def failure_scope(errors: Iterable[BaseException]) -> FailureScope | None:
    """The widest scope among `errors`; None when there is none."""
    scopes = {scope_of(e) for e in errors}
    return max(scopes, key=_ORDER.index) if scopes else None
