"""When to try a failed delivery again: exponential backoff with full jitter, capped.

Pure so that its bounds can be checked property by property; the notifier feeds it a random
number and the result goes to SQL (`notify_delivery_failed`) as the delay.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def delay(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based); `jitter` in [0, 1).

        The ceiling doubles per attempt up to the cap; the delay is drawn from its upper half
        so that retries spread out without ever collapsing to zero.
        """
        exponent = min(max(attempt - 1, 0), 62)
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0**exponent)
        return ceiling * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))

    def next_retry(
        self, attempt: int, jitter: float, *, retryable: bool, retry_after: float | None = None
    ) -> float | None:
        """The delay before the next attempt, or None to give up (`failed`)."""
        if not retryable or attempt >= self.max_attempts:
            return None
        wait = self.delay(attempt, jitter)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap_seconds))
        return wait
