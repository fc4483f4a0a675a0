"""De-identified aggregate figures of a clinic (the ``view_aggregates`` capability): counts
only, never a name, MRN, date of birth or date, and small counts suppressed.

Small-cell suppression: a count from 1 to SMALL_CELL - 1 is shown as "fewer than 5", because a
very small group can point at a person (a common rule for publishing health statistics).
Four queries whatever the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kapclinic.accounts.models import Clinic
from kapclinic.consent.models import TreatmentType
from kapclinic.consent.selectors import count_countersigned_by_type
from kapclinic.patients.selectors import count_patients
from kapclinic.referrals.models import Referral
from kapclinic.referrals.selectors import count_referrals_by_status
from kapclinic.screening.models import DecisionOutcome
from kapclinic.screening.selectors import count_decisions_by_outcome

SMALL_CELL: Final = 5


def shown(count: int) -> str:
    """A count as published: exact when 0 or at least SMALL_CELL, else suppressed."""
    if 0 < count < SMALL_CELL:
        return f"fewer than {SMALL_CELL}"
    return str(count)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    title: str
    rows: list[Figure]


def _table(title: str, choices: list[tuple[str, str]], counts: Mapping[str, int]) -> Table:
    return Table(
        title, [Figure(str(label), shown(counts.get(value, 0))) for value, label in choices]
    )


def clinic_aggregates(clinic: Clinic) -> list[Table]:
    """The clinic's figures: patients, referrals by status, signed eligibility decisions by
    outcome, countersigned consent by treatment."""
    statuses = [c for c in Referral.Status.choices if c[0] != Referral.Status.ENTERED_IN_ERROR]
    patients = Figure("Patients with a current record", shown(count_patients(clinic)))
    return [
        Table("Patients", [patients]),
        _table("Referrals by status", statuses, count_referrals_by_status(clinic)),
        _table(
            "Signed eligibility decisions by outcome",
            DecisionOutcome.choices,
            count_decisions_by_outcome(clinic),
        ),
        _table(
            "Countersigned consent records (not withdrawn) by treatment",
            TreatmentType.choices,
            count_countersigned_by_type(clinic),
        ),
    ]
