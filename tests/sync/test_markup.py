"""The markup, percent or fixed rubles (pure): the app's formula, bounds, column convention."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.sync.markup import Markup, MarkupError
from avito_sync.sync.models import IntegrationContext, PropertyInput, RateInput, SyncInput
from avito_sync.sync.plan import PlanInputError, build_plan, check_markup

TODAY = dt.date(2026, 11, 27)
percents = st.decimals(min_value=0, max_value=100, places=2)
rubles = st.decimals(min_value=1, max_value=100_000, places=2)
prices = st.decimals(min_value=0, max_value=1_000_000, places=2)
markups = st.one_of(
    st.builds(Markup, st.just("percent"), percents), st.builds(Markup, st.just("fixed"), rubles)
)


def app_price(price: Decimal, stored: Decimal) -> int:
    """Calendar.tsx:872-874 with JavaScript's Math.round, then at least 1 ruble (§7)."""
    raw = price + abs(stored) if stored < 0 else price * (1 + stored / 100)
    return max(1, math.floor(raw + Decimal("0.5")))


@given(markups)
def test_the_column_keeps_the_apps_convention(markup: Markup) -> None:
    stored = markup.to_column()
    assert (stored < 0) == (markup.kind == "fixed")
    assert Markup.from_column(stored) == markup


@given(prices, markups)
def test_prices_follow_the_apps_formula_in_whole_rubles(price: Decimal, markup: Markup) -> None:
    result = markup.apply(price)
    assert result == app_price(price, markup.to_column())
    assert result >= 1
    assert result >= Markup("percent", Decimal(0)).apply(price)  # a markup never lowers a price


def test_examples_of_both_kinds() -> None:
    assert Markup.from_column(Decimal(-500)).apply(Decimal(3000)) == 3500
    assert Markup.from_column(Decimal(-1000)).apply(Decimal("0.4")) == 1000
    assert Markup.from_column(Decimal(15)).apply(Decimal(1001)) == 1151
    assert Markup.from_column(Decimal(0)).apply(Decimal("0.4")) == 1


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("percent", "-0.01", "от 0 до 100"),
        ("percent", "100.01", "от 0 до 100"),
        ("fixed", "0.99", "от 1 до 100 000"),
        ("fixed", "100000.01", "от 1 до 100 000"),
    ],
)
def test_bounds_per_kind_have_russian_messages(kind: str, value: str, message: str) -> None:
    with pytest.raises(MarkupError, match=message):
        Markup(kind, Decimal(value))  # type: ignore[arg-type]
    stored = -Decimal(value) if kind == "fixed" else Decimal(value)
    if (stored < 0) == (kind == "fixed"):  # -0.01 in the column reads as 0.01 ₽, not -0.01 %
        with pytest.raises(PlanInputError, match=message):
            check_markup(stored)  # a stored value out of bounds never reaches Avito


@given(
    st.decimals(min_value=0, max_value=100_000, places=2),
    st.lists(st.tuples(st.integers(0, 40), prices), max_size=10, unique_by=lambda t: t[0]),
    markups,
)
def test_base_price_and_daily_prices_get_the_same_formula(
    base: Decimal, rates: list[tuple[int, Decimal]], markup: Markup
) -> None:
    days = {TODAY + dt.timedelta(days=offset): price for offset, price in rates}
    sync_input = SyncInput(
        IntegrationContext(uuid4(), UUID(int=1), uuid4(), 42, 1234567890, markup.to_column()),
        PropertyInput(UUID(int=1), base, 2),
        tuple(RateInput(day, price, 2) for day, price in days.items()),
        (),
    )
    plan = build_plan(sync_input, TODAY)
    for period in plan.prices:
        day = period.date_from
        while day <= period.date_to:
            assert period.night_price == app_price(days.get(day, base), markup.to_column())
            day += dt.timedelta(days=1)
    assert plan.base_params.night_price == app_price(base, markup.to_column())
