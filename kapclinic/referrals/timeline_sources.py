"""The referral a patient came from, on the chart timeline."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from kapclinic.accounts.permissions import Capability
from kapclinic.patients.models import Patient
from kapclinic.patients.timeline import TimelineEntry, register_source
from kapclinic.referrals.models import Referral


def referrals(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    for r in Referral.objects.filter(patient=patient).order_by("-created_at")[:limit]:
        source = (
            f"from {r.referring_clinician}"
            if r.source == Referral.Source.CLINICIAN
            else "self-referral"
        )
        yield TimelineEntry(
            at=r.created_at,
            kind="Referral",
            title=f"Referral received ({source})",
            url=reverse("referrals:detail", args=[r.public_id]),
            link_capability=Capability.TRIAGE_REFERRALS,
        )


def register() -> None:
    register_source("referrals.referrals", referrals)
