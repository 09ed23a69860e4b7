"""The capacity bench's rate-limit replay: it must pass what our buckets send and catch more."""

from __future__ import annotations

import itertools

from bench.capacity_probe import bucket_overruns, most_in_window
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito.ratelimit import TokenBucket


@given(
    rate=st.floats(0.5, 50),
    burst=st.integers(1, 20),
    arrivals=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_what_a_bucket_lets_through_has_no_overruns(
    rate: float, burst: int, arrivals: list[float]
) -> None:
    bucket = TokenBucket(rate, burst, now=0.0)
    sent = []
    for at in itertools.accumulate(arrivals):
        sent.append(at + bucket.reserve(at))
    assert bucket_overruns(sent, rate, burst) == 0


@given(rate=st.floats(0.5, 19.9), burst=st.integers(1, 20), extra=st.integers(1, 10))
def test_a_burst_beyond_the_bucket_is_counted(rate: float, burst: int, extra: int) -> None:
    # Below 20/s the 50 ms tolerance forgives less than one send.
    assert bucket_overruns([1.0] * (burst + extra), rate, burst) == extra


@given(times=st.lists(st.floats(0, 100), max_size=80), width=st.floats(0.1, 5))
def test_most_in_window_is_the_densest_window(times: list[float], width: float) -> None:
    best = max((sum(t <= s <= t + width for s in times) for t in times), default=0)
    assert most_in_window(times, width) == best
