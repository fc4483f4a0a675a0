"""Vital signs: explicit units, LOINC codes (R-COD-1), and the values no living patient has.

A reading outside the plausible range is refused with a message naming the unit, never stored
(a typo such as 1200 for 120 must not raise, or hide, an alert). The ranges are deliberately
wide: they reject the impossible, not the alarming (alerts.py decides what is alarming).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class VitalKind(StrEnum):
    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    HEART_RATE = "heart_rate"
    SPO2 = "spo2"
    RESPIRATORY_RATE = "respiratory_rate"
    TEMPERATURE = "temperature"


@dataclass(frozen=True)
class VitalSpec:
    label: str
    unit: str  # UCUM
    loinc: str  # R-COD-1, reference §7.2
    low: Decimal  # below this no living patient is measured
    high: Decimal
    places: int  # decimal places recorded


VITALS: dict[VitalKind, VitalSpec] = {
    VitalKind.SYSTOLIC: VitalSpec(
        "Systolic blood pressure", "mm[Hg]", "8480-6", Decimal(40), Decimal(300), 0
    ),
    VitalKind.DIASTOLIC: VitalSpec(
        "Diastolic blood pressure", "mm[Hg]", "8462-4", Decimal(20), Decimal(200), 0
    ),
    VitalKind.HEART_RATE: VitalSpec("Heart rate", "/min", "8867-4", Decimal(20), Decimal(250), 0),
    # R-COD-1: SpO2 by pulse oximetry is 59408-5 (US Core also accepts 2708-6).
    VitalKind.SPO2: VitalSpec(
        "Oxygen saturation (pulse oximetry)", "%", "59408-5", Decimal(50), Decimal(100), 0
    ),
    VitalKind.RESPIRATORY_RATE: VitalSpec(
        "Respiratory rate", "/min", "9279-1", Decimal(4), Decimal(60), 0
    ),
    VitalKind.TEMPERATURE: VitalSpec(
        "Body temperature", "Cel", "8310-5", Decimal(30), Decimal(43), 1
    ),
}
# R-COD-1: a blood pressure is the 85354-9 panel with systolic and diastolic components.
BLOOD_PRESSURE_PANEL = "85354-9"
VITAL_SIGNS_PANEL = "85353-1"


def reading_problem(kind: VitalKind, value: Decimal) -> str | None:
    """Why ``value`` cannot be a reading of ``kind``, or None."""
    spec = VITALS[kind]
    if value != value.quantize(Decimal(1).scaleb(-spec.places)):
        return f"{spec.label} is recorded to {spec.places} decimal places ({spec.unit})."
    if not spec.low <= value <= spec.high:
        return (
            f"{spec.label} {value} {spec.unit} is not a value a patient can have "
            f"({spec.low} to {spec.high} {spec.unit}): please check the reading."
        )
    return None


def set_problems(readings: dict[VitalKind, Decimal]) -> list[str]:
    """Every problem of a set of readings taken together (each value, and the pair of a blood
    pressure: both halves, systolic above diastolic)."""
    problems = [p for kind, value in readings.items() if (p := reading_problem(kind, value))]
    systolic = readings.get(VitalKind.SYSTOLIC)
    diastolic = readings.get(VitalKind.DIASTOLIC)
    if (systolic is None) != (diastolic is None):
        problems.append("A blood pressure needs both the systolic and the diastolic value.")
    elif systolic is not None and diastolic is not None and systolic <= diastolic:
        problems.append(
            f"Systolic {systolic} is not above diastolic {diastolic}: were they swapped?"
        )
    return problems
