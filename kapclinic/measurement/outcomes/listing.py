"""The clinic's Outcomes page: patients with questionnaires completed recently, newest first,
each with their latest PHQ-9, in three queries whatever the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from django.db.models import Count, Max

from kapclinic.accounts.models import Clinic
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import Assessment, Occasion
from kapclinic.patients.models import Patient

RECENT_LIMIT: Final = 100


@dataclass(frozen=True)
class RecentOutcome:
    public_id: UUID
    family_name: str
    given_name: str
    mrn: str
    latest_at: datetime
    responses: int  # completed since the window's start
    phq9: int | None  # the latest PHQ-9 total in the window
    phq9_band: str


@dataclass(frozen=True)
class RecentOutcomes:
    rows: list[RecentOutcome]
    truncated: bool  # more patients than RECENT_LIMIT


def list_recent_outcomes(
    clinic: Clinic, *, since: datetime, limit: int = RECENT_LIMIT
) -> RecentOutcomes:
    """The clinic's patients (merged duplicates left out) with a completed response since
    ``since``, the most recently measured first."""
    activity = list(
        Assessment.objects.filter(
            clinic=clinic, status=Assessment.Status.COMPLETED, completed_at__gte=since
        )
        .exclude(occasion=Occasion.SCREENING)  # before any course (see chart.py)
        .values("patient_id")
        .annotate(latest=Max("completed_at"), responses=Count("id"))
        .order_by("-latest", "-patient_id")[: limit + 1]
    )
    ids = [row["patient_id"] for row in activity[:limit]]
    patients = {
        p.pk: p
        for p in Patient.objects.filter(pk__in=ids, merged_into=None).only(
            "public_id", "family_name", "given_name", "mrn"
        )
    }
    latest_phq9: dict[int, tuple[int | None, str]] = {}
    for patient_id, total, band in (
        Assessment.objects.filter(
            patient_id__in=ids,
            status=Assessment.Status.COMPLETED,
            instrument_code="phq9",
            completed_at__gte=since,
        )
        .exclude(occasion=Occasion.SCREENING)
        .order_by("completed_at", "id")
        .values_list("patient_id", "total", "band")
    ):
        latest_phq9[patient_id] = (total, band)  # oldest first: the last one stays
    labels = {band.code: band.label for band in get_instrument("phq9").scoring.bands}
    rows = []
    for row in activity[:limit]:
        patient = patients.get(row["patient_id"])
        if patient is None:
            continue
        phq9 = latest_phq9.get(patient.pk)
        rows.append(
            RecentOutcome(
                public_id=patient.public_id,
                family_name=patient.family_name,
                given_name=patient.given_name,
                mrn=patient.mrn,
                latest_at=row["latest"],
                responses=row["responses"],
                phq9=phq9[0] if phq9 else None,
                phq9_band=labels.get(phq9[1], phq9[1]) if phq9 else "",
            )
        )
    return RecentOutcomes(rows=rows, truncated=len(activity) > limit)
