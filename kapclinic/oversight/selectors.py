"""Reads for the clinic admin's audit report. Viewing and exporting it are themselves audited
(the functions that do say so)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, StaffMembership, User
from kapclinic.audit import services as audit
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.oversight.audit_actions import OversightAuditAction
from kapclinic.patients.models import Patient


@dataclass(frozen=True)
class AuditFilters:
    user: UUID | None = None
    patient: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    operation: str = ""
    action: str = ""  # a stored action value (kapclinic/oversight/catalogue.py)

    def as_detail(self) -> dict[str, str]:
        """The filters as audit detail (ids and dates only, no names)."""
        return {key: str(value) for key, value in self.__dict__.items() if value}


def _instants(
    clinic: Clinic, date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """The clinic-local days ``date_from`` to ``date_to`` (inclusive) as [start, end) instants.

    The calendar's first and last days set no bound: the day after 9999-12-31 does not exist,
    and midnight of 0001-01-01 in a zone east of UTC lies before the first instant a datetime
    can hold in UTC. Nothing is recorded on either day, so no bound selects the same entries.
    """
    start = end = None
    if date_from is not None and date_from > date.min:
        start = datetime.combine(date_from, time.min, tzinfo=clinic.tzinfo)
    if date_to is not None and date_to < date.max:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=clinic.tzinfo)
    return start, end


def clinic_audit_events(clinic: Clinic, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Entries about this clinic: those recorded in it, and clinic-less entries (sign-ins) of
    its staff. Newest first (in the order they were appended: positions count per chain, the
    clinic's and the global one, issue 12.8); one query with the actor joined."""
    staff = StaffMembership.objects.filter(clinic=clinic).values("user_id")
    events = AuditEvent.objects.filter(
        Q(clinic_public_id=clinic.public_id) | Q(clinic_public_id__isnull=True, actor__in=staff)
    )
    if filters.user:
        events = events.filter(actor__public_id=filters.user)
    if filters.patient:
        events = events.filter(patient_public_id=filters.patient)
    start, end = _instants(clinic, filters.date_from, filters.date_to)
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    if filters.operation:
        events = events.filter(operation=filters.operation)
    if filters.action:
        events = events.filter(action=filters.action)
    return events.select_related("actor").order_by("-id")


REPORT_PAGE_SIZE: Final = 50


@dataclass(frozen=True)
class ReportPage:
    page: Page[AuditEvent]
    entries: list[AuditEvent]  # the page's rows, read before its own audit entry was written


def view_audit_report(
    *,
    actor: Actor,
    clinic: Clinic,
    filters: AuditFilters,
    page_number: str | None,
) -> ReportPage:
    """One page of ``clinic_audit_events`` (``REPORT_PAGE_SIZE`` entries), audited: writes a
    READ entry "audit.report_viewed" with the filters and the page number. The page is read
    before that entry is appended, so its count and rows agree."""
    page = Paginator(clinic_audit_events(clinic, filters), REPORT_PAGE_SIZE).get_page(page_number)
    entries = list(page.object_list)
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.READ,
            action=OversightAuditAction.REPORT_VIEWED,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            detail={"filters": filters.as_detail(), "page": page.number},
        )
    return ReportPage(page=page, entries=entries)


def export_audit_events(
    *, actor: Actor, clinic: Clinic, filters: AuditFilters
) -> QuerySet[AuditEvent]:
    """``clinic_audit_events`` for a CSV export, audited: counts them, then writes an EXPORT
    entry "audit.exported" with the filters and that count. The caller streams the events
    after that entry is written (so it is in the export when it matches the filters)."""
    events = clinic_audit_events(clinic, filters)
    count = events.count()
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.EXPORT,
            action=OversightAuditAction.EXPORTED,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            detail={"filters": filters.as_detail(), "rows": count},
        )
    return events


def mrns_by_public_id(clinic: Clinic, public_ids: Iterable[UUID | None]) -> dict[UUID, str]:
    """MRNs of this clinic's patients among ``public_ids``, in one query."""
    wanted = {pid for pid in public_ids if pid}
    if not wanted:
        return {}
    return dict(
        Patient.objects.filter(clinic=clinic, public_id__in=wanted).values_list("public_id", "mrn")
    )


def find_clinic_patient_by_mrn(clinic: Clinic, mrn: str) -> Patient | None:
    return Patient.objects.filter(clinic=clinic, mrn=mrn.strip().upper()).first()


def list_clinic_staff(clinic: Clinic) -> QuerySet[User]:
    return User.objects.filter(memberships__clinic=clinic).distinct().order_by("full_name")
