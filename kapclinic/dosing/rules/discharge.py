"""Discharge criteria (R-DC-1..3, R-REMS-4): what must be true before a patient leaves.

``unmet`` lists every criterion not met, each in words; an empty list means discharge may go
ahead. A prescriber may override the list with a reason (the workflow records and audits it),
except the REMS minimum for esketamine, which nobody overrides (R-DC-3 / R-REMS-4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

# R-REMS-4 / R-DC-3: esketamine patients are observed at least 2 hours after the first device.
ESKETAMINE_MINIMUM = timedelta(minutes=120)
# R-DC-2: vitals within 20% of the pre-dose baseline (PADSS/Aldrete "within 20%").
BASELINE_BAND = Decimal("0.20")


@dataclass(frozen=True)
class DischargeFacts:
    esketamine: bool
    dosed_at: datetime | None  # the first device, or the start of the dose
    minimum_observation: timedelta  # the protocol's; esketamine is at least 2 hours
    baseline_systolic: int | None
    latest_systolic: int | None
    baseline_heart_rate: int | None
    latest_heart_rate: int | None
    latest_moaas: int | None
    escort_recorded: bool
    no_driving_acknowledged: bool
    clinician_attested_stable: bool


@dataclass(frozen=True)
class Unmet:
    rule_id: str
    text: str
    overridable: bool = True


def _within(baseline: int | None, latest: int | None) -> bool:
    if baseline is None or latest is None:
        return False
    return abs(Decimal(latest - baseline)) <= BASELINE_BAND * baseline


def ready_at(facts: DischargeFacts) -> datetime | None:
    """When the minimum observation ends (None before the dose)."""
    if facts.dosed_at is None:
        return None
    minimum = facts.minimum_observation
    if facts.esketamine:
        minimum = max(minimum, ESKETAMINE_MINIMUM)
    return facts.dosed_at + minimum


def unmet(facts: DischargeFacts, now: datetime) -> list[Unmet]:
    problems: list[Unmet] = []
    end = ready_at(facts)
    if end is None:
        problems.append(Unmet("R-DC-1", "No dose is recorded yet."))
    elif now < end:
        left = math.ceil((end - now).total_seconds() / 60)  # whole minutes, rounded up
        rule = "R-REMS-4" if facts.esketamine else "R-DC-2"
        problems.append(
            Unmet(
                rule,
                f"Observation continues for {left} more minute(s), until {end:%H:%M}.",
                overridable=not facts.esketamine,
            )
        )
    if not _within(facts.baseline_systolic, facts.latest_systolic):
        problems.append(
            Unmet("R-DC-2", "Systolic blood pressure is not within 20% of before the dose.")
        )
    if not _within(facts.baseline_heart_rate, facts.latest_heart_rate):
        problems.append(Unmet("R-DC-2", "Heart rate is not within 20% of before the dose."))
    if facts.latest_moaas != 5:
        problems.append(Unmet("R-DC-2", "Sedation has not resolved (MOAA/S 5: responds readily)."))
    if not facts.escort_recorded:
        problems.append(Unmet("R-DC-1", "No responsible adult escort is recorded."))
    if not facts.no_driving_acknowledged:
        problems.append(Unmet("R-DC-1", "The no-driving instruction is not acknowledged."))
    if facts.esketamine and not facts.clinician_attested_stable:
        problems.append(
            Unmet(
                "R-REMS-4",
                "A clinician must attest that sedation, dissociation and breathing have resolved.",
                overridable=False,
            )
        )
    return problems
