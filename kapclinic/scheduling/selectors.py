"""Reads of treatment protocols, scoped to the clinic (another clinic's version answers 404,
like a missing one). Protocols hold no patient data: reading them is not audited.

Reads of courses and appointments (the API's): one through its patient's access check
(``kapclinic.patients.selectors.access_patient``: one 404 for missing and forbidden, the READ
audit entry), pages of the current clinic's rows audited as a SEARCH entry, in a constant
number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.patients.selectors import access_patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.example import example_course
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.models import Appointment, Course, ProtocolVersion
from kapclinic.scheduling.protocols.definition import MODALITY_LABELS, Modality, Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.rules import ProposedSession


def status_label(version: ProtocolVersion, latest: int) -> str:
    """Current (the latest, published), Retired, or Superseded (an older version)."""
    if version.status == ProtocolVersion.Status.RETIRED:
        return "Retired"
    return "Current" if version.version == latest else "Superseded"


@dataclass(frozen=True)
class ProtocolSummary:
    latest: ProtocolVersion
    versions: int
    status: str

    @property
    def modality_label(self) -> str:
        return MODALITY_LABELS[Modality(self.latest.modality)]


def list_protocols(clinic: Clinic) -> list[ProtocolSummary]:
    """Each of the clinic's protocols by name, with its latest version (one query)."""
    latest: dict[str, ProtocolVersion] = {}
    counts: dict[str, int] = {}
    for row in ProtocolVersion.objects.filter(clinic=clinic).order_by("code", "-version"):
        latest.setdefault(row.code, row)
        counts[row.code] = counts.get(row.code, 0) + 1
    summaries = [
        ProtocolSummary(row, counts[code], status_label(row, row.version))
        for code, row in latest.items()
    ]
    return sorted(summaries, key=lambda summary: summary.latest.name.casefold())


def access_protocol_version(clinic: Clinic, public_id: UUID) -> ProtocolVersion:
    """A version of one of ``clinic``'s protocols; Http404 for another clinic's and a missing
    one alike."""
    version = (
        ProtocolVersion.objects.filter(clinic=clinic, public_id=public_id)
        .select_related("published_by", "retired_by")
        .first()
    )
    if version is None:
        raise Http404
    return version


def current_protocol_version(clinic: Clinic, code: str) -> ProtocolVersion | None:
    """The version a new course of ``code`` starts on: the latest, unless it is retired."""
    latest = ProtocolVersion.objects.filter(clinic=clinic, code=code).order_by("-version").first()
    if latest is None or latest.status != ProtocolVersion.Status.PUBLISHED:
        return None
    return latest


def _named(protocol: Protocol, sessions: list[ProposedSession]) -> list[tuple[date, str]]:
    named = []
    for session in sessions:
        session_type = protocol.session_type(session.session_type)
        named.append((session.day, session_type.name if session_type else session.session_type))
    return named


@dataclass(frozen=True)
class ProtocolPage:
    version: ProtocolVersion
    status: str
    history: list[tuple[ProtocolVersion, str]]  # every version of the code, newest first
    protocol: Protocol | None  # None: the stored document no longer passes today's checks
    problems: tuple[str, ...]
    example_start: date
    example: list[tuple[date, str]]  # (day, session type name) of an example course

    @property
    def is_current(self) -> bool:
        return self.status == "Current"


def protocol_page(clinic: Clinic, public_id: UUID, *, today: date) -> ProtocolPage:
    """One version of a protocol, read in words, with its history and an example course
    starting on the Monday after ``today``."""
    version = access_protocol_version(clinic, public_id)
    rows = list(
        ProtocolVersion.objects.filter(clinic=clinic, code=version.code)
        .select_related("published_by", "retired_by")
        .order_by("-version")
    )
    latest = rows[0].version
    try:
        protocol: Protocol | None = parse_protocol(version.document)
        problems: tuple[str, ...] = ()
    except ProtocolDefinitionError as error:
        protocol, problems = None, error.problems
    start = date.fromordinal(today.toordinal() + 7 - today.weekday())
    return ProtocolPage(
        version=version,
        status=status_label(version, latest),
        history=[(row, status_label(row, latest)) for row in rows],
        protocol=protocol,
        problems=problems,
        example_start=start,
        example=_named(protocol, example_course(protocol, start)) if protocol is not None else [],
    )


# --- courses and appointments (issue 13.9: the API reads them) ---------------------------------

COURSE_PAGE_SIZE: Final = 25
APPOINTMENT_PAGE_SIZE: Final = 50


def access_course(
    *, actor: Actor, public_id: UUID, capability: Capability, action: SchedulingAuditAction
) -> Course:
    """The course if ``actor`` may use ``capability`` on its patient (in the patient's clinic);
    Http404 otherwise, as for a missing one. Writes access_patient's READ entry named
    ``action``. Emergency (break-glass) access reads the chart only."""
    course = (
        Course.objects.select_related("patient", "clinic", "protocol", "planned_by")
        .filter(public_id=public_id)
        .first()
    )
    if course is None:
        raise Http404
    access = access_patient(
        actor=actor, public_id=course.patient.public_id, capability=capability, action=action
    )
    if access.break_glass is not None:
        raise Http404
    return course


def access_appointment(
    *, actor: Actor, public_id: UUID, capability: Capability, action: SchedulingAuditAction
) -> Appointment:
    """The appointment, on access_course's terms (Http404 for a missing one and a forbidden
    one alike; the READ entry named ``action``)."""
    appointment = (
        Appointment.objects.select_related(*_APPOINTMENT_RELATED)
        .filter(public_id=public_id)
        .first()
    )
    if appointment is None:
        raise Http404
    access = access_patient(
        actor=actor, public_id=appointment.patient.public_id, capability=capability, action=action
    )
    if access.break_glass is not None:
        raise Http404
    return appointment


_APPOINTMENT_RELATED: Final = ("patient", "course", "room", "nurse", "therapist")


def course_appointments(course: Course) -> list[Appointment]:
    """The course's appointments in time order, cancelled ones included (one query)."""
    return list(
        Appointment.objects.filter(course=course)
        .select_related(*_APPOINTMENT_RELATED)
        .order_by("starts_at", "id")
    )


def _audit_listing(
    actor: Actor, clinic: Clinic, action: SchedulingAuditAction, page: Page[Any], key: str
) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.SEARCH,
            action=action,
            actor_roles=actor.roles,
            clinic_id=clinic.public_id,
            detail={"page": page.number, key: [str(row.public_id) for row in page.object_list]},
        )


def audited_page_of_courses(
    *,
    actor: Actor,
    clinic: Clinic,
    page_number: int,
    status: str | None,
    action: SchedulingAuditAction,
) -> Page[Course]:
    """One page of ``clinic``'s courses, newest first (``status``: only those), audited as a
    SEARCH entry naming the courses shown. Two queries (the count, the rows) and the entry."""
    rows = Course.objects.filter(clinic=clinic).select_related("patient", "protocol")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("-created_at", "-id"), COURSE_PAGE_SIZE).get_page(page_number)
    _audit_listing(actor, clinic, action, page, "courses")
    return page


def audited_page_of_appointments(
    *,
    actor: Actor,
    clinic: Clinic,
    page_number: int,
    starts_from: datetime | None,
    starts_before: datetime | None,
    status: str | None,
    action: SchedulingAuditAction,
) -> Page[Appointment]:
    """One page of ``clinic``'s appointments in time order, starting in
    [``starts_from``, ``starts_before``) where given (``status``: only those), audited like
    the courses. Two queries and the entry."""
    rows = Appointment.objects.filter(clinic=clinic).select_related(*_APPOINTMENT_RELATED)
    if starts_from is not None:
        rows = rows.filter(starts_at__gte=starts_from)
    if starts_before is not None:
        rows = rows.filter(starts_at__lt=starts_before)
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("starts_at", "id"), APPOINTMENT_PAGE_SIZE).get_page(page_number)
    _audit_listing(actor, clinic, action, page, "appointments")
    return page
