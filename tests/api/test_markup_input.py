"""The markup the service's API takes: typed `{"type", "value"}` or a bare percent (pure)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from avito_sync.api.models import SaveIntegrationBody, UpdateMarkupBody

PROP = str(uuid.uuid4())


def stored(markup: Any) -> Decimal:
    body = UpdateMarkupBody.model_validate(
        {"action": "update-markup", "property_id": PROP, "markup": markup}
    )
    return body.markup


def test_typed_and_bare_markups_are_stored_in_the_apps_convention() -> None:
    assert stored({"type": "fixed", "value": 500}) == Decimal(-500)
    assert stored({"type": "fixed", "value": "1500.5"}) == Decimal("-1500.5")
    assert stored({"type": "percent", "value": 12.5}) == Decimal("12.5")
    assert stored(10) == Decimal(10)  # a bare number stays a percent
    assert stored("7") == Decimal(7)
    default = SaveIntegrationBody.model_validate(
        {"action": "save-integration", "property_id": PROP, "account_id": PROP, "item_id": 1}
    )
    assert default.markup == Decimal(15)


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ({"type": "percent", "value": 101}, "от 0 до 100"),
        ({"type": "fixed", "value": 0}, "от 1 до 100 000"),
        ({"type": "fixed", "value": 100_001}, "от 1 до 100 000"),
        (-500, "от 0 до 100"),  # a bare negative number is not a percent
        ({"type": "rub", "value": 5}, "percent"),
        ({"type": "fixed", "value": True}, "number"),
        ({"type": "fixed", "value": "NaN"}, "number"),
    ],
)
def test_out_of_bounds_markups_are_refused_with_a_clear_message(markup: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        stored(markup)
