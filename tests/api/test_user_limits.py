"""Pure rules: the per-user token buckets and the cleaning of Avito's error text."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.api.browser_callback import MAX_DESCRIPTION, clean_description
from avito_sync.api.settings import ServiceSettings
from avito_sync.api.user_limits import Limit, UserLimits, parse_limits

USER = uuid.UUID(int=1)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(
    burst=st.integers(1, 50),
    window=st.floats(1, 600),
    gaps=st.lists(st.floats(0, 100), max_size=200),
)
def test_never_more_than_burst_plus_refill(burst: int, window: float, gaps: list[float]) -> None:
    clock = Clock()
    limits = UserLimits({"sync": Limit(burst, window)}, clock)
    allowed = 0
    for gap in gaps:
        clock.now += gap
        if limits.retry_after(USER, "sync") is None:
            allowed += 1
    assert allowed <= burst + clock.now * burst / window + 1e-6


@given(burst=st.integers(1, 20), window=st.floats(1, 600))
def test_retry_after_is_enough_and_never_zero(burst: int, window: float) -> None:
    clock = Clock()
    limits = UserLimits({"oauth-url": Limit(burst, window)}, clock)
    for _ in range(burst):
        assert limits.retry_after(USER, "oauth-url") is None
    wait = limits.retry_after(USER, "oauth-url")
    assert wait is not None
    assert wait >= 1
    clock.now += wait
    assert limits.retry_after(USER, "oauth-url") is None
    assert limits.retry_after(uuid.UUID(int=2), "oauth-url") is None  # per user
    assert limits.retry_after(USER, "status") is None  # unlimited action


def test_initial_sync_shares_the_sync_bucket() -> None:
    limits = UserLimits({"sync": Limit(1, 60)}, Clock())
    assert limits.retry_after(USER, "initial-sync") is None
    assert limits.retry_after(USER, "sync") is not None


@pytest.mark.parametrize("text", ["status=1/60", "sync=0/60", "sync=1/0", "sync=x"])
def test_bad_limit_settings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_limits(text)


@given(st.text(max_size=3000))
def test_clean_description_is_short_printable_and_unmarked(text: str) -> None:
    cleaned = clean_description(text)
    assert len(cleaned) <= MAX_DESCRIPTION
    assert "<" not in cleaned
    assert ">" not in cleaned
    assert cleaned == cleaned.strip()
    assert all(
        ch == " " or unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
        for ch in cleaned
    )
    assert "  " not in cleaned


def test_a_configured_limit_keeps_the_other_defaults() -> None:
    settings = ServiceSettings.model_validate(
        {
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
            "SUPABASE_URL": "http://127.0.0.1:54321",
            "AVITO_SYNC_STATE_SECRET": "s" * 40,
            "AVITO_SYNC_USER_RATE_LIMITS": "sync=5/10",
        }
    )
    assert settings.user_limits["sync"] == Limit(5, 10)
    assert set(settings.user_limits) == {"sync", "oauth-url", "progress-save"}
    assert settings.docs is False
