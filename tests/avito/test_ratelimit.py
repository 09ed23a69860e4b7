"""Token bucket math and how the limiter combines application, account and items buckets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito.ratelimit import (
    ITEMS_ENDPOINT,
    BucketSpec,
    RateLimiter,
    RateLimits,
    TokenBucket,
    shared_rate_limiter,
)
from avito_sync.avito.settings import AvitoSettings


@given(
    rate=st.floats(0.01, 100),
    capacity=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=80),
)
def test_any_window_admits_at_most_capacity_plus_rate_times_width(
    rate: float, capacity: int, gaps: list[float]
) -> None:
    bucket = TokenBucket(rate, capacity, now=0.0)
    now, scheduled = 0.0, []
    for gap in gaps:
        now += gap
        wait = bucket.reserve(now)
        assert wait >= 0
        scheduled.append(now + wait)
    # Reservations are served in arrival order.
    assert scheduled == sorted(scheduled)
    for i in range(len(scheduled)):
        for j in range(i, len(scheduled)):
            admitted = j - i + 1
            assert admitted <= capacity + rate * (scheduled[j] - scheduled[i]) + 1e-6


@given(rate=st.floats(0.01, 100), capacity=st.integers(1, 50))
def test_a_full_bucket_admits_its_burst_without_waiting(rate: float, capacity: int) -> None:
    bucket = TokenBucket(rate, capacity, now=10.0)
    assert all(bucket.reserve(10.0) == 0 for _ in range(capacity))
    assert bucket.reserve(10.0) == pytest.approx(1 / rate)


def test_bucket_refills_at_its_rate_up_to_capacity() -> None:
    bucket = TokenBucket(2.0, 3, now=0.0)
    for _ in range(3):
        bucket.reserve(0.0)
    assert not bucket.is_full(0.0)
    assert bucket.reserve(0.5) == 0  # one token back after 0.5 s at 2/s
    assert bucket.is_full(100.0)
    assert [bucket.reserve(100.0) for _ in range(4)][-1] > 0  # capacity caps the refill


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0, 1, now=0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _limits() -> RateLimits:
    return RateLimits(
        app=BucketSpec(100.0, 100), account=BucketSpec(1.0, 2), items=BucketSpec(0.5, 1)
    )


def test_accounts_are_limited_independently() -> None:
    limiter = RateLimiter(_limits(), clock=FakeClock())
    assert [limiter.reserve("a") for _ in range(2)] == [0, 0]
    assert limiter.reserve("a") == pytest.approx(1.0)
    assert limiter.reserve("b") == 0


def test_items_requests_also_draw_from_the_items_bucket() -> None:
    limiter = RateLimiter(_limits(), clock=FakeClock())
    assert limiter.reserve("a", endpoint=ITEMS_ENDPOINT) == 0
    # The account bucket still has a token, the items bucket (1 per 2 s) does not.
    assert limiter.reserve("a", endpoint=ITEMS_ENDPOINT) == pytest.approx(2.0)


def test_application_bucket_covers_every_account() -> None:
    limits = RateLimits(
        app=BucketSpec(1.0, 1), account=BucketSpec(100.0, 100), items=BucketSpec(1, 1)
    )
    limiter = RateLimiter(limits, clock=FakeClock())
    assert limiter.reserve("a") == 0
    assert limiter.reserve("b") == pytest.approx(1.0)
    assert limiter.reserve(None) == pytest.approx(2.0)  # token endpoint: application only


async def test_acquire_sleeps_for_the_reserved_wait() -> None:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(_limits(), clock=FakeClock(), sleep=record)
    for _ in range(3):
        await limiter.acquire("a")
    assert slept == [pytest.approx(1.0)]


def test_idle_full_buckets_are_pruned_without_losing_limits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(_limits(), clock=clock)
    for n in range(1100):
        limiter.reserve(f"acct-{n}")
    clock.now = 1000.0
    limiter.reserve("late")
    assert len(limiter._buckets) < 1100
    assert [limiter.reserve("late") for _ in range(2)][-1] == pytest.approx(1.0)


def test_one_shared_limiter_per_application_and_limits() -> None:
    a = AvitoSettings(client_id="app-1", client_secret="s3cr3t-value")
    b = AvitoSettings(client_id="app-1", client_secret="other-secret")
    c = AvitoSettings(client_id="app-2", client_secret="s3cr3t-value")
    d = AvitoSettings(client_id="app-1", client_secret="s3cr3t-value", account_burst=9)
    assert shared_rate_limiter(a) is shared_rate_limiter(b)
    assert shared_rate_limiter(a) is not shared_rate_limiter(c)
    assert shared_rate_limiter(a) is not shared_rate_limiter(d)
