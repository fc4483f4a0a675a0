"""Completed questionnaires on the chart timeline (see patients/timeline.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import Assessment
from kapclinic.measurement.outcomes.graph import short_title
from kapclinic.patients.models import Patient
from kapclinic.patients.timeline import TimelineEntry, register_source

# Finished responses: those that count, and those kept for the record but struck.
SHOWN = (
    Assessment.Status.COMPLETED,
    Assessment.Status.AMENDED,
    Assessment.Status.ENTERED_IN_ERROR,
)


def _result(assessment: Assessment) -> str:
    label = assessment.scores.get("band_label") or assessment.band or assessment.category
    if assessment.total is None:
        return label.replace("_", " ") or "not scored"
    return f"{assessment.total} ({label.lower()})" if label else str(assessment.total)


def assessments(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    rows = (
        Assessment.objects.filter(patient=patient, status__in=SHOWN, completed_at__isnull=False)
        .only(
            "instrument_code",
            "instrument_version",
            "status",
            "total",
            "band",
            "category",
            "scores",
            "completed_at",
            "occasion",
            "status_reason",
            "amendment_reason",
            "patient_id",
        )
        .order_by("-completed_at", "-id")[:limit]
    )
    url = reverse("measurement:outcome-graph", args=[patient.public_id])
    for a in rows:
        title = short_title(get_instrument(a.instrument_code, a.instrument_version))
        struck = a.status != Assessment.Status.COMPLETED
        if a.status == Assessment.Status.ENTERED_IN_ERROR:
            detail = f"entered in error: {a.status_reason}"
        elif a.status == Assessment.Status.AMENDED:
            detail = "replaced by an amended version"
        elif a.amendment_reason:
            detail = f"amended: {a.amendment_reason}"
        else:
            detail = a.get_occasion_display()
        yield TimelineEntry(
            at=a.completed_at,  # type: ignore[arg-type]  # filtered: never None
            kind="Questionnaire",
            title=f"{title}: {_result(a)}",
            detail=detail,
            url=url,
            link_capability=Capability.VIEW_OUTCOMES,
            struck=struck,
        )


def register() -> None:
    register_source("measurement.assessments", assessments)
