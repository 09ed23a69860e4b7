"""The host's markup on Avito prices: a percent or a fixed surcharge in rubles (pure).

The deployed app keeps both in one column, `integrations.avito_markup` (docs/app-contract.md
§10): a value >= 0 is a percent, a value < 0 a fixed surcharge of abs(value) rubles a night.
The service's API takes the typed form `{"type": "percent" | "fixed", "value": …}`. Both
apply the app's formula (§7) to the base price and to every daily price alike:
percent → round(price × (1 + m/100)), fixed → round(price + m); whole rubles half-up, ≥ 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

MarkupKind = Literal["percent", "fixed"]

PERCENT_RANGE = (Decimal(0), Decimal(100))
FIXED_RANGE = (Decimal(1), Decimal(100_000))
MIN_NIGHT_PRICE = 1

MESSAGES: dict[MarkupKind, str] = {
    "percent": "Наценка в процентах должна быть от 0 до 100.",
    "fixed": "Наценка в рублях должна быть от 1 до 100 000 ₽.",
}


class MarkupError(ValueError):
    """A markup outside its kind's bounds; the message is ready to show (Russian)."""


@dataclass(frozen=True, slots=True)
class Markup:
    kind: MarkupKind
    value: Decimal

    def __post_init__(self) -> None:
        low, high = PERCENT_RANGE if self.kind == "percent" else FIXED_RANGE
        if not low <= self.value <= high:
            raise MarkupError(MESSAGES[self.kind])

    @classmethod
    def from_column(cls, stored: Decimal) -> Markup:
        """The app's convention: >= 0 percent, < 0 a fixed surcharge of abs(value) rubles."""
        return cls("percent", stored) if stored >= 0 else cls("fixed", -stored)

    def to_column(self) -> Decimal:
        return self.value if self.kind == "percent" else -self.value

    def apply(self, price: Decimal) -> int:
        """Whole rubles, half-up, never below 1 (Avito rejects 0 with 422)."""
        raw = price * (1 + self.value / 100) if self.kind == "percent" else price + self.value
        return max(MIN_NIGHT_PRICE, int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
