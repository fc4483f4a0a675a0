"""Dose checks, shown with their arithmetic: weight-based ketamine (R-IV-1) and esketamine
devices (R-ESK-1, R-ESK-2, R-ESK-5).

Each check returns a ``DoseCheck``: the arithmetic in words, and a verdict: fine, a warning the
prescriber confirms, or a block (no override: an anaesthetic-range dose or a dose the label does
not allow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True)
class DoseCheck:
    verdict: Verdict
    arithmetic: str
    message: str = ""
    rule_id: str = ""


@dataclass(frozen=True)
class WeightBands:
    """R-IV-1: up to ``warn_above`` mg/kg without warning, up to ``block_above`` with one,
    above it blocked (the anaesthetic range). The upper bound is a design choice (reference
    §1.3), so a protocol version may set its own."""

    low: Decimal = Decimal("0.1")
    warn_above: Decimal = Decimal("0.75")
    block_above: Decimal = Decimal("1.0")


IV_BANDS = WeightBands()
MG = Decimal("0.1")


def weight_based(dose_mg: Decimal, weight_kg: Decimal, bands: WeightBands = IV_BANDS) -> DoseCheck:
    """R-IV-1: the dose per kilogram of the latest weight, against the bands."""
    if weight_kg <= 0:
        return DoseCheck(
            Verdict.BLOCK, "", "No weight on record: weigh the patient first.", "R-IV-1"
        )
    per_kg = (dose_mg / weight_kg).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    arithmetic = f"{dose_mg} mg / {weight_kg} kg = {per_kg} mg/kg"
    if per_kg > bands.block_above:
        return DoseCheck(
            Verdict.BLOCK,
            arithmetic,
            f"Above {bands.block_above} mg/kg is the anaesthetic range: not given here.",
            "R-IV-1",
        )
    if per_kg > bands.warn_above:
        return DoseCheck(
            Verdict.WARN,
            arithmetic,
            f"Above {bands.warn_above} mg/kg: confirm this dose.",
            "R-IV-1",
        )
    if per_kg < bands.low:
        return DoseCheck(
            Verdict.WARN, arithmetic, f"Below {bands.low} mg/kg: confirm this dose.", "R-IV-1"
        )
    return DoseCheck(Verdict.OK, arithmetic, "", "R-IV-1")


def dose_for_weight(mg_per_kg: Decimal, weight_kg: Decimal) -> Decimal:
    """The order in milligrams for a prescribed mg/kg, to 0.1 mg."""
    return (mg_per_kg * weight_kg).quantize(MG, rounding=ROUND_HALF_UP)


# R-ESK-5: one device holds 28 mg; a dose is given as dose / 28 devices.
DEVICE_MG = 28
ESKETAMINE_DOSES = frozenset({28, 56, 84})
DEVICE_SPACING = timedelta(minutes=5)


def esketamine(dose_mg: int, *, first_dose: bool, age: int) -> DoseCheck:
    """R-ESK-1, R-ESK-2, R-ESK-5: the devices a dose takes, and whether the label allows it."""
    if dose_mg % DEVICE_MG or dose_mg not in ESKETAMINE_DOSES:
        return DoseCheck(
            Verdict.BLOCK,
            "",
            "Esketamine is given as 28, 56 or 84 mg (one device is 28 mg).",
            "R-ESK-5",
        )
    devices = dose_mg // DEVICE_MG
    arithmetic = f"{dose_mg} mg / {DEVICE_MG} mg per device = {devices} device(s), 5 minutes apart"
    if first_dose:
        first = 28 if age >= 65 else 56
        if dose_mg != first:
            rule = "R-ESK-2" if age >= 65 else "R-ESK-1"
            return DoseCheck(
                Verdict.BLOCK,
                arithmetic,
                f"The first dose at age {age} is {first} mg.",
                rule,
            )
    elif age < 65 and dose_mg == 28:
        return DoseCheck(
            Verdict.BLOCK, arithmetic, "Under 65, later doses are 56 or 84 mg.", "R-ESK-1"
        )
    return DoseCheck(Verdict.OK, arithmetic, "", "R-ESK-5")


def next_device_at(previous_device_at: datetime) -> datetime:
    """R-ESK-5: at least 5 minutes between devices."""
    return previous_device_at + DEVICE_SPACING


def device_too_soon(previous_device_at: datetime | None, now: datetime) -> str | None:
    if previous_device_at is None or now >= next_device_at(previous_device_at):
        return None
    wait = next_device_at(previous_device_at) - now
    seconds = int(wait.total_seconds())
    return f"Wait {seconds // 60} min {seconds % 60:02d} s: devices are 5 minutes apart (R-ESK-5)."


def devices_spacing_problem(dose_mg: int, started_at: datetime, ended_at: datetime) -> str | None:
    """R-ESK-5: a dose of n devices takes at least (n - 1) x 5 minutes from the first device
    to the last; the record's start is the first device, its end the last."""
    devices = dose_mg // DEVICE_MG
    needed = DEVICE_SPACING * max(devices - 1, 0)
    if ended_at - started_at >= needed:
        return None
    minutes = int(needed.total_seconds() // 60)
    return (
        f"{devices} devices are given 5 minutes apart: the last one is at least {minutes} "
        "minutes after the first (R-ESK-5)."
    )
