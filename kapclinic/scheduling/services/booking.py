"""Booking and moving appointments, and booking a planned course at once (issue 13.4).

Each service runs in one transaction: it locks the course row (bookings of one course take
turns, so its rules are checked against what is committed), runs the one check
(``services.checks``), refuses what may not be overridden and what may be overridden unless a
reason is given, writes the appointment, takes its resource holds (the database refuses a double
booking: ``holds.take_holds``, migration 0004), writes the audit entry and, for a dosing session,
tells measurement (``on_session_scheduled``). A refusal at any step writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Room, User
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.plans.services import on_session_scheduled
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import (
    BookingError,
    BookingProblem,
    ResourceTakenError,
    SchedulingError,
)
from kapclinic.scheduling.holds import take_holds
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.protocols.definition import Protocol, SessionKind, SessionType
from kapclinic.scheduling.services.checks import Checked, Proposal, check_proposals, ends_at
from kapclinic.scheduling.services.recording import record


def locked_course(course_id: int) -> Course:
    """The course re-read and locked for this transaction (PostgreSQL; SQLite's write
    transactions are serialized already), with its clinic, patient and protocol. Services lock
    the course before any of its appointments, always in that order (no deadlock)."""
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "protocol")
        .get(pk=course_id)
    )


def locked_appointment(appointment: Appointment, course: Course) -> Appointment:
    """The appointment re-read and locked, after its (locked) ``course``."""
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("room", "therapist", "nurse")
        .get(pk=appointment.pk)
    )
    locked.course = course
    locked.patient = course.patient
    return locked


def _refused_reason(message: str) -> SchedulingError:
    return SchedulingError(message, field="override_reason")


def overridden(checked: Checked, override_reason: str) -> tuple[str, tuple[BookingProblem, ...]]:
    """The override reason to store and the problems it overrides; BookingError when a problem
    may not be overridden, or when overridable ones have no acceptable reason."""
    if checked.refused:
        raise BookingError(checked.problems, needs_override=False)
    if not checked.overridable:
        return "", ()
    if not (override_reason or "").strip():
        raise BookingError(checked.overridable, needs_override=True)
    return clean_reason(override_reason, error=_refused_reason), checked.overridable


def _session_type(protocol: Protocol, code: str) -> SessionType:
    session_type = protocol.session_type(code)
    if session_type is None:  # check_proposals refuses it first
        msg = f"'{code}' is not a session of {protocol.name}."
        raise SchedulingError(msg, field="session_type")
    return session_type


def take(appointment: Appointment, session_type: SessionType) -> None:
    take_holds(appointment, patients_per_nurse=session_type.resources.patients_per_nurse)


def describe(appointment: Appointment) -> dict[str, Any]:
    """An appointment in an audit entry: what, when, where, who (ids, no names)."""
    return {
        "session_type": appointment.session_type,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "room": str(appointment.room.public_id),
        "chair": appointment.chair,
        "therapist": str(appointment.therapist.public_id) if appointment.therapist else None,
        "nurse": str(appointment.nurse.public_id) if appointment.nurse else None,
    }


def _overrides(reason: str, problems: Sequence[BookingProblem]) -> dict[str, Any]:
    if not problems:
        return {}
    return {
        "override_reason": reason,
        "overridden": [
            {"rule_id": p.rule_id, "kind": p.kind, "message": p.message} for p in problems
        ],
    }


def scheduled(actor: Actor, appointment: Appointment) -> None:
    """Tell measurement that a dosing session is booked at its start (or moved to it)."""
    if appointment.kind == SessionKind.DOSING:
        on_session_scheduled(
            patient=appointment.patient,
            session_ref=appointment.public_id,
            starts_at=appointment.starts_at,
            actor=actor,
        )


def _book(
    actor: Actor,
    course: Course,
    protocol: Protocol,
    proposal: Proposal,
    reason: str,
    problems: Sequence[BookingProblem],
) -> Appointment:
    session_type = _session_type(protocol, proposal.session_type)
    appointment = Appointment.objects.create(
        clinic=course.clinic,
        course=course,
        patient=course.patient,
        session_type=session_type.code,
        kind=session_type.kind.value,
        starts_at=proposal.starts_at,
        ends_at=ends_at(session_type, proposal.starts_at),
        room=proposal.room,
        therapist=proposal.therapist,
        nurse=proposal.nurse,
        booked_by=actor.user,
        override_reason=reason,
    )
    take(appointment, session_type)
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_BOOKED,
        target=appointment,
        operation=Operation.CREATE,
        detail={**describe(appointment), **_overrides(reason, problems)},
    )
    scheduled(actor, appointment)
    return appointment


@transaction.atomic
def book_appointment(
    *,
    actor: Actor,
    course: Course,
    session_type: str,
    starts_at: datetime,
    room: Room,
    therapist: User | None = None,
    nurse: User | None = None,
    override_reason: str = "",
    now: datetime,
) -> Appointment:
    """Book one session of ``course``: ``session_type`` (a code of the course's protocol
    version) from ``starts_at`` (its end follows from the session type's phases) in ``room``,
    with the staff the session type needs.

    Raises BookingError listing the problems (``services.checks``): refused outright, or, when
    each may be overridden, unless ``override_reason`` is given (the reason rule,
    kapclinic.core.reasons); then the appointment keeps the reason and its audit entry lists
    what was overridden. Raises ResourceTakenError when the room has no free chair, or a staff
    member or the patient is booked at an overlapping time (the database decides, also under
    concurrent bookings). Writes: the Appointment, its ResourceHolds, an audit entry; a dosing
    session's before-session questionnaires (measurement's ``on_session_scheduled``).
    """
    course = locked_course(course.pk)
    proposal = Proposal(session_type, starts_at, room, therapist, nurse)
    checked = check_proposals(course=course, proposals=[proposal], now=now)
    reason, problems = overridden(checked, override_reason)
    return _book(actor, course, checked.protocol, proposal, reason, problems)


@transaction.atomic
def book_course_plan(
    *,
    actor: Actor,
    course: Course,
    proposals: Sequence[Proposal],
    override_reason: str = "",
    now: datetime,
) -> list[Appointment]:
    """Book every proposed session of ``course`` (the course planner's plan), all or nothing.

    The proposals are checked together, with the course's live sessions (``check_proposals``),
    and overridden together with one reason; then each is booked as ``book_appointment``
    books one. Raises BookingError, or ResourceTakenError naming the session whose room, staff
    or patient is taken; either way nothing is written. Returns the appointments in order.
    """
    if not proposals:
        msg = "There is nothing to book: the plan has no sessions."
        raise SchedulingError(msg)
    course = locked_course(course.pk)
    checked = check_proposals(course=course, proposals=proposals, now=now)
    reason, problems = overridden(checked, override_reason)
    booked = []
    for number, proposal in enumerate(proposals, start=1):
        try:
            booked.append(_book(actor, course, checked.protocol, proposal, reason, problems))
        except ResourceTakenError as error:
            name = _session_type(checked.protocol, proposal.session_type).name
            msg = f"Session {number} ({name}): {error.message}"
            raise ResourceTakenError(msg, field=error.field) from None
    return booked


def _move_changes(
    appointment: Appointment, proposal: Proposal, session_type: SessionType
) -> dict[str, tuple[Any, Any]]:
    new = {
        "starts_at": proposal.starts_at,
        "ends_at": ends_at(session_type, proposal.starts_at),
        "room_id": proposal.room.pk,
        "therapist_id": proposal.therapist.pk if proposal.therapist else None,
        "nurse_id": proposal.nurse.pk if proposal.nurse else None,
    }
    return {
        field: (getattr(appointment, field), value)
        for field, value in new.items()
        if getattr(appointment, field) != value
    }


@transaction.atomic
def move_appointment(
    *,
    actor: Actor,
    appointment: Appointment,
    starts_at: datetime | None = None,
    room: Room | None = None,
    therapist: User | None = None,
    nurse: User | None = None,
    override_reason: str = "",
    now: datetime,
) -> Appointment:
    """Move a booked appointment that has not started to a new start, room or staff (None:
    keep). The same checks as booking, with the course's other sessions; the holds are
    replaced (ResourceTakenError when the new ones are taken; nothing changes then). A moved
    dosing session moves its before-session questionnaires (``on_session_scheduled``).
    Raises SchedulingError for an appointment that is not booked, has started, or a move that
    changes nothing."""
    course = locked_course(appointment.course_id)
    appointment = locked_appointment(appointment, course)
    if appointment.status != Appointment.Status.BOOKED:
        status = appointment.get_status_display().lower()
        msg = f"Only a booked appointment can be moved; this one is {status}."
        raise SchedulingError(msg)
    if appointment.starts_at <= now:
        msg = "This appointment has started: mark it attended or not attended instead."
        raise SchedulingError(msg, field="starts_at")
    proposal = Proposal(
        appointment.session_type,
        starts_at or appointment.starts_at,
        room or appointment.room,
        therapist or appointment.therapist,
        nurse or appointment.nurse,
    )
    checked = check_proposals(course=course, proposals=[proposal], now=now, moving=appointment)
    reason, problems = overridden(checked, override_reason)
    session_type = _session_type(checked.protocol, appointment.session_type)
    changes = _move_changes(appointment, proposal, session_type)
    if not changes:
        msg = "The appointment is already there: change its time, room or staff."
        raise SchedulingError(msg)
    for field, (_old, value) in changes.items():
        setattr(appointment, field, value)
    appointment.room = proposal.room
    appointment.therapist = proposal.therapist
    appointment.nurse = proposal.nurse
    appointment.override_reason = reason
    appointment.save()
    take(appointment, session_type)
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_MOVED,
        target=appointment,
        changes=changes,
        detail={**describe(appointment), **_overrides(reason, problems)},
    )
    if "starts_at" in changes:
        scheduled(actor, appointment)
    return appointment
