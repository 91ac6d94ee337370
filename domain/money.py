"""Money is an exact Decimal on the wire and in code, written as a string ("49.00")."""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer

CENT = Decimal("0.01")


def _two_places(value: Decimal) -> Decimal:
    if value != value.quantize(CENT):
        raise ValueError("amounts have at most two decimal places")
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def format_amount(value: Decimal) -> str:
    """Renders an amount the way the API and emails show it: always two places."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


Amount = Annotated[
    Decimal,
    Field(ge=Decimal("0"), le=Decimal("100000000"), allow_inf_nan=False),
    AfterValidator(_two_places),
    PlainSerializer(format_amount, return_type=str, when_used="always"),
]
"""A non-negative amount of money with two decimal places, serialized as a string."""

SignedAmount = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    AfterValidator(_two_places),
    PlainSerializer(format_amount, return_type=str, when_used="always"),
]
"""A ledger amount: positive for a charge to the white label, negative for a reversal."""
