"""Backoff bounds: exponential ceiling, jitter in its upper half, cap, give-up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from avito_sync.notify.retry import RetryPolicy

policies = st.builds(
    lambda attempts, base, factor: RetryPolicy(attempts, base, base * factor),
    st.integers(min_value=1, max_value=20),
    st.floats(min_value=0.01, max_value=600),
    st.floats(min_value=1, max_value=1000),
)
jitters = st.floats(min_value=0, max_value=1, exclude_max=True)


@given(policies, st.integers(min_value=1, max_value=200), jitters)
def test_delay_stays_between_half_the_ceiling_and_the_ceiling(
    policy: RetryPolicy, attempt: int, jitter: float
) -> None:
    ceiling = min(policy.cap_seconds, policy.base_seconds * 2 ** min(attempt - 1, 62))
    delay = policy.delay(attempt, jitter)
    assert ceiling / 2 <= delay <= ceiling
    assert delay <= policy.cap_seconds


@given(policies, st.integers(min_value=1, max_value=60), jitters)
def test_ceiling_never_shrinks_from_one_attempt_to_the_next(
    policy: RetryPolicy, attempt: int, jitter: float
) -> None:
    assert policy.delay(attempt + 1, 0.999999) >= policy.delay(attempt, 0.999999) - 1e-9
    assert policy.delay(attempt, jitter) > 0


@given(policies, st.integers(min_value=1, max_value=40), jitters)
def test_gives_up_at_the_cap_of_attempts_or_on_permanent_errors(
    policy: RetryPolicy, attempt: int, jitter: float
) -> None:
    retry = policy.next_retry(attempt, jitter, retryable=True)
    assert (retry is None) == (attempt >= policy.max_attempts)
    assert policy.next_retry(attempt, jitter, retryable=False) is None


@given(policies, jitters, st.floats(min_value=0, max_value=10**6))
def test_retry_after_is_honoured_up_to_the_cap(
    policy: RetryPolicy, jitter: float, retry_after: float
) -> None:
    if policy.max_attempts < 2:
        return
    retry = policy.next_retry(1, jitter, retryable=True, retry_after=retry_after)
    assert retry is not None
    assert retry >= min(retry_after, policy.cap_seconds)
    assert retry <= max(policy.cap_seconds, policy.delay(1, jitter))
