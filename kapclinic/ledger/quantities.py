"""Exact quantities of a controlled substance: decimal milligrams and whole units (pure).

Never floats (issue 14.1): milligrams are ``Decimal`` with at most three places, and a value
with more places is refused, not rounded (no silent truncation). Units are whole containers
(vials, bottles) or whole dosage units (devices, lozenges).

A balance keeps three invariants (checked by ``balance_problem``, by the database's checks on
the never-negative part, and by ``verify_ledger``):
- never negative, in milligrams or units (R-CS-7: a running balance per container);
- for products used whole (devices, lozenges), milligrams are exactly units x mg per unit;
- for divisible containers (vials), the milligrams fit in the containers held
  (mg <= units x mg per unit), and no milligrams remain without a container.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MG_STEP = Decimal("0.001")
MAX_MG = Decimal("99999999999.999")


class QuantityError(ValueError):
    """A quantity that cannot be recorded as given (the message says why)."""


def parse_mg(value: str | Decimal | int) -> Decimal:
    """Milligrams from a form or API value: exact, at most three decimal places."""
    try:
        mg = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        msg = f"'{value}' is not a number of milligrams."
        raise QuantityError(msg) from error
    if not mg.is_finite():
        msg = "Milligrams must be a finite number."
        raise QuantityError(msg)
    # The size first: quantizing 1e309 to 0.001 overflows the decimal context.
    if abs(mg) > MAX_MG:
        msg = f"{mg} mg is more than the ledger can hold."
        raise QuantityError(msg)
    if mg != mg.quantize(MG_STEP):
        msg = f"{mg} mg has more than three decimal places; the ledger records to 0.001 mg."
        raise QuantityError(msg)
    return mg.quantize(MG_STEP)


@dataclass(frozen=True)
class Quantity:
    mg: Decimal
    units: int = 0

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.mg + other.mg, self.units + other.units)

    def __neg__(self) -> Quantity:
        return Quantity(-self.mg, -self.units)

    def __sub__(self, other: Quantity) -> Quantity:
        return self + -other

    @property
    def is_zero(self) -> bool:
        return self.mg == 0 and self.units == 0

    def describe(self, unit_name: str = "unit") -> str:
        plural = "" if abs(self.units) == 1 else "s"
        return f"{self.mg.normalize():f} mg ({self.units} {unit_name}{plural})"


ZERO = Quantity(Decimal("0.000"), 0)


@dataclass(frozen=True)
class ProductFacts:
    """What the arithmetic needs to know of a product."""

    mg_per_unit: Decimal
    whole_units: bool
    unit_name: str = "unit"


def units_for_mg(product: ProductFacts, mg: Decimal) -> int | None:
    """The whole units that hold exactly ``mg`` of a product used whole, else None."""
    units, remainder = divmod(mg, product.mg_per_unit)
    return int(units) if remainder == 0 else None


def movement_problem(
    product: ProductFacts, movement: Quantity, *, allow_zero: bool = False
) -> str | None:
    """Why a movement of a product cannot be recorded as given, or None. A zero movement is
    allowed only where the entry records something else (a return that reconciles a
    dispensing with nothing returned, R-LT-3)."""
    if movement.is_zero and not allow_zero:
        return "The quantity is zero: there is nothing to record."
    if (movement.mg > 0 and movement.units < 0) or (movement.mg < 0 and movement.units > 0):
        return "Milligrams and units must move the same way."
    if product.whole_units and movement.mg != movement.units * product.mg_per_unit:
        whole_mg = abs(movement.units * product.mg_per_unit).normalize()
        return (
            f"This product is used in whole {product.unit_name}s of "
            f"{product.mg_per_unit.normalize():f} mg: {abs(movement.units)} "
            f"{product.unit_name}(s) are {whole_mg:f} mg."
        )
    return None


def balance_problem(product: ProductFacts, balance: Quantity) -> str | None:
    """Why a balance is impossible (see the module's invariants), or None."""
    if balance.mg < 0 or balance.units < 0:
        return (
            f"This would leave {balance.describe(product.unit_name)}: a balance never goes "
            "below zero."
        )
    if product.whole_units and balance.mg != balance.units * product.mg_per_unit:
        return f"The balance would not be whole {product.unit_name}s."
    if not product.whole_units and balance.mg > balance.units * product.mg_per_unit:
        return (
            f"The balance would hold {balance.mg.normalize():f} mg in {balance.units} "
            f"{product.unit_name}(s) of {product.mg_per_unit.normalize():f} mg."
        )
    return None
