"""Body-mass index, pure arithmetic (LOINC 39156-5)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WEIGHT_RANGE_KG = (Decimal(20), Decimal(300))
HEIGHT_RANGE_CM = (Decimal(100), Decimal(250))


def bmi(*, weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """kg / m², to one decimal place."""
    metres = height_cm / Decimal(100)
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
