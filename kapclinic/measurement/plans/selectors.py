"""Reads for measurement plans: the clinic's worklist of due and overdue questionnaires, its
counts for the Today page, a patient's due list for the chart, and permission-checked access
to one assignment. Every function runs a fixed number of queries, whatever the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.measurement.assignments.rules import assignment_state
from kapclinic.measurement.assignments.state import OPEN_ENROLMENT
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import UnknownInstrumentError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import Assignment, MeasurementPlan, PlanEnrolment
from kapclinic.patients.selectors import access_patient

WORKLIST_PAGE_SIZE: Final = 25
CHART_LIMIT: Final = 10


@dataclass(frozen=True)
class Row:
    """An assignment with what a page shows about it at ``now``."""

    assignment: Assignment
    state: Assignment.State
    instrument: str

    @property
    def is_overdue(self) -> bool:
        return self.state == Assignment.State.OVERDUE


def _title(code: str) -> str:
    try:
        return get_instrument(code).title
    except UnknownInstrumentError:
        return code


def rows(assignments: list[Assignment], now: datetime) -> list[Row]:
    return [
        Row(
            assignment=a,
            state=assignment_state(
                status=a.status, due_at=a.due_at, overdue_at=a.overdue_at, now=now
            ),
            instrument=_title(a.instrument_code),
        )
        for a in assignments
    ]


def _due_in(clinic: Clinic, now: datetime) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        clinic=clinic,
        status=Assignment.Status.OPEN,
        due_at__lte=now,
        patient__merged_into__isnull=True,
    )


def list_worklist(clinic: Clinic, now: datetime) -> QuerySet[Assignment]:
    """Open assignments of ``clinic`` that are due or overdue at ``now``: overdue first (the
    longest overdue leading), then due ones by the time they turn overdue. Ordering by
    ``overdue_at`` alone gives exactly that, since every overdue one's time is past."""
    return (
        _due_in(clinic, now)
        .select_related("patient", "assessment")
        .order_by("overdue_at", "due_at", "id")
    )


def page_of_worklist(clinic: Clinic, now: datetime, page_number: str | None) -> Page[Assignment]:
    """One page of the worklist: two queries (count and rows)."""
    return Paginator(list_worklist(clinic, now), WORKLIST_PAGE_SIZE).get_page(page_number)


@dataclass(frozen=True)
class DueCounts:
    due: int
    overdue: int

    @property
    def total(self) -> int:
        return self.due + self.overdue


def count_due(clinic: Clinic, now: datetime) -> DueCounts:
    """How many of the clinic's questionnaires are due and overdue at ``now`` (one query)."""
    counts = _due_in(clinic, now).aggregate(
        due=Count("id", filter=Q(overdue_at__gt=now)),
        overdue=Count("id", filter=Q(overdue_at__lte=now)),
    )
    return DueCounts(due=counts["due"] or 0, overdue=counts["overdue"] or 0)


def list_patient_due(patient_id: int, now: datetime, *, limit: int = CHART_LIMIT) -> list[Row]:
    """The patient's open questionnaires due or overdue at ``now``, overdue first (one query)."""
    found = (
        Assignment.objects.filter(
            patient_id=patient_id, status=Assignment.Status.OPEN, due_at__lte=now
        )
        .select_related("assessment")
        .order_by("overdue_at", "due_at", "id")[:limit]
    )
    return rows(list(found), now)


def get_own_assignment(patient_id: int, public_id: UUID) -> Assignment:
    """The patient's own assignment ``public_id`` (the portal), else Http404: the same for
    "no such assignment" and "another patient's"."""
    found = (
        Assignment.objects.select_related("patient", "clinic", "assessment")
        .filter(public_id=public_id, patient_id=patient_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def get_open_enrolment(patient_id: int) -> PlanEnrolment | None:
    return (
        PlanEnrolment.objects.filter(patient_id=patient_id, status__in=OPEN_ENROLMENT)
        .select_related("plan")
        .order_by("-id")
        .first()
    )


def list_enrollable_plans(clinic: Clinic) -> list[MeasurementPlan]:
    """The clinic's plans offered for new enrolments (current versions)."""
    return list(MeasurementPlan.objects.filter(clinic=clinic, is_active=True).order_by("name"))


@dataclass(frozen=True)
class AssignmentAccess:
    assignment: Assignment
    # The actor as they act on the assignment's patient (``PatientAccess.actor``).
    actor: Actor


def access_assignment(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: MeasurementAuditAction,
) -> AssignmentAccess:
    """The assignment if ``actor`` may use ``capability`` on its patient; otherwise Http404,
    the same for "no such assignment" and "not yours". Audited as a read of the patient."""
    assignment = (
        Assignment.objects.select_related("patient", "clinic", "assessment")
        .filter(public_id=public_id)
        .first()
    )
    if assignment is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=assignment.patient.public_id,
        capability=capability,
        action=action,
    )
    return AssignmentAccess(assignment=assignment, actor=access.actor)
