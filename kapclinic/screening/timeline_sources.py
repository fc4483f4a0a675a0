"""Screenings and signed eligibility decisions on the chart timeline (see patients/timeline.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.patients.models import Patient
from kapclinic.patients.timeline import TimelineEntry, register_source
from kapclinic.screening.models import EligibilityDecision, Screening


def screenings(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for s in patient.screenings.select_related("recorded_by").order_by("-recorded_at", "-id")[
        :limit
    ]:
        in_error = s.status == Screening.Status.ENTERED_IN_ERROR
        yield TimelineEntry(
            at=s.recorded_at,
            kind="Screening",
            title=f"Eligibility screening ({s.get_family_display()}): "
            f"{s.get_outcome_display() or 'not evaluated'}",
            detail=f"entered in error: {s.entered_in_error_reason}"
            if in_error
            else f"recorded by {s.recorded_by.display_name}",
            url=reverse("screening:detail", args=[s.public_id]),
            link_capability=Capability.SCREEN_PATIENT,
            struck=in_error,
        )


def decisions(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    rows = (
        EligibilityDecision.objects.filter(screening__patient=patient)
        .select_related("screening", "signed_by")
        .order_by("-signed_at")[:limit]
    )
    for d in rows:
        in_error = d.screening.status == Screening.Status.ENTERED_IN_ERROR
        yield TimelineEntry(
            at=d.signed_at,
            kind="Eligibility",
            title=f"Eligibility signed ({d.screening.get_family_display()}): "
            f"{d.get_outcome_display()}",
            detail="screening entered in error" if in_error else f"by {d.signed_by.display_name}",
            url=reverse("screening:detail", args=[d.screening.public_id]),
            link_capability=Capability.SCREEN_PATIENT,
            struck=in_error,
        )


def register() -> None:
    register_source("screening.screenings", screenings)
    register_source("screening.decisions", decisions)
