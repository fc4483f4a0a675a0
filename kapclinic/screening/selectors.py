"""Reads of screening data. Every screening is reached through its patient's access check."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, QuerySet
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PatientAccess, access_patient
from kapclinic.screening.audit_actions import ScreeningAuditAction
from kapclinic.screening.models import (
    EligibilityDecision,
    FlagOverride,
    Screening,
    ScreeningOutcome,
)

CHART_LIMIT = 10
# Outcomes that wait on a prescriber: signable as they stand, or to review (override) first.
# Incomplete ones wait on whoever screens, not on the prescriber.
AWAITING_PRESCRIBER = (
    ScreeningOutcome.NEEDS_PRESCRIBER_REVIEW,
    ScreeningOutcome.ELIGIBLE,
    ScreeningOutcome.ELIGIBLE_WITH_PRECAUTIONS,
    ScreeningOutcome.NOT_ELIGIBLE,
)


@dataclass(frozen=True)
class ScreeningAccess:
    screening: Screening
    access: PatientAccess


def access_screening(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: ScreeningAuditAction,
) -> ScreeningAccess:
    """The screening if ``actor`` may use ``capability`` on its patient; Http404 otherwise (also
    for another clinic's screening). Writes the READ audit entry of access_patient."""
    screening = (
        Screening.objects.select_related(
            "patient__clinic", "clinic", "recorded_by", "entered_in_error_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if screening is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=screening.patient.public_id,
        capability=capability,
        action=action,
    )
    if access.break_glass is not None:
        raise Http404  # emergency access reads the chart only
    return ScreeningAccess(screening=screening, access=access)


def list_screenings(patient: Patient, limit: int | None = None) -> list[Screening]:
    """Newest first, each with its decision, who recorded it and, for one entered in error, who
    marked it (one query). Screenings entered in error stay in the list, labelled."""
    rows = (
        Screening.objects.filter(patient=patient)
        .select_related("decision__signed_by", "recorded_by", "entered_in_error_by")
        .order_by("-recorded_at", "-id")
    )
    return list(rows[:limit] if limit else rows)


def list_overrides(screening: Screening) -> list[FlagOverride]:
    return list(screening.overrides.select_related("prescriber").order_by("at", "id"))


def get_decision(screening: Screening) -> EligibilityDecision | None:
    return (
        EligibilityDecision.objects.filter(screening=screening).select_related("signed_by").first()
    )


def current_eligibility(patient: Patient, family: str) -> EligibilityDecision | None:
    """The latest signed eligibility decision of ``patient`` for a protocol family (None if
    none is signed). A screening entered in error does not count, nor does the decision signed on
    it: only screenings whose status is still ``signed`` are read."""
    return (
        EligibilityDecision.objects.filter(
            screening__patient=patient,
            screening__family=family,
            screening__status=Screening.Status.SIGNED,
        )
        .select_related("screening", "signed_by")
        .order_by("-signed_at", "-id")
        .first()
    )


def screenings_awaiting_signature(clinic: Clinic) -> QuerySet[Screening]:
    """The clinic's evaluated screenings that wait for a prescriber's review and signature,
    oldest first, with their patient (Today's prescriber list; merged-away charts left out)."""
    return (
        Screening.objects.filter(
            clinic=clinic,
            status=Screening.Status.EVALUATED,
            outcome__in=AWAITING_PRESCRIBER,
            patient__merged_into__isnull=True,
        )
        .select_related("patient")
        .order_by("recorded_at", "id")
    )


def count_decisions_by_outcome(clinic: Clinic) -> dict[str, int]:
    """Signed eligibility decisions of the clinic per outcome, screenings entered in error left
    out (one query; aggregate pages)."""
    rows = (
        EligibilityDecision.objects.filter(
            screening__clinic=clinic, screening__status=Screening.Status.SIGNED
        )
        .order_by()
        .values("outcome")
        .annotate(n=Count("id"))
    )
    return {row["outcome"]: row["n"] for row in rows}
