"""Consent signatures, countersignatures and withdrawals on the chart timeline."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.consent.models import ConsentRecord
from kapclinic.patients.models import Patient
from kapclinic.patients.timeline import TimelineEntry, register_source


def consent_events(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    """Each record gives up to three events; the newest ``limit`` records hold the newest
    ``limit`` events (every event of a record happens after its signature)."""
    url = reverse("consent:patient", args=[patient.public_id])
    rows = (
        ConsentRecord.objects.filter(patient=patient)
        .select_related("document", "presented_by", "countersigned_by", "withdrawn_recorded_by")
        .order_by("-patient_signed_at", "-id")[:limit]
    )
    events: list[TimelineEntry] = []
    for r in rows:
        what = f"{r.document.get_treatment_type_display()} v{r.document.version}"
        events.append(
            TimelineEntry(
                at=r.patient_signed_at,
                kind="Consent",
                title=f"Consent signed by the patient: {what}",
                detail=f"{r.get_signed_via_display()}, presented by {r.presented_by.display_name}",
                url=url,
                link_capability=Capability.RECORD_CONSENT,
                struck=r.withdrawn_at is not None,
            )
        )
        if r.countersigned_at and r.countersigned_by:
            events.append(
                TimelineEntry(
                    at=r.countersigned_at,
                    kind="Consent",
                    title=f"Consent countersigned: {what}",
                    detail=f"by {r.countersigned_by.display_name}",
                    url=url,
                    link_capability=Capability.RECORD_CONSENT,
                )
            )
        if r.withdrawn_at and r.withdrawn_recorded_by:
            events.append(
                TimelineEntry(
                    at=r.withdrawn_at,
                    kind="Consent",
                    title=f"Consent withdrawn: {what}",
                    detail=f"recorded by {r.withdrawn_recorded_by.display_name}",
                    url=url,
                    link_capability=Capability.RECORD_CONSENT,
                )
            )
    events.sort(key=lambda e: e.at, reverse=True)
    return islice(events, limit)


def register() -> None:
    register_source("consent.events", consent_events)
