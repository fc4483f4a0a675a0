"""What happens to a booked appointment (issue 13.4): it is cancelled (its slot offered to the
waitlist), attended, or missed. Each service runs in one transaction, audits, and tells
measurement about dosing sessions (``on_session_cancelled``, ``on_session_ended``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.plans.services import on_session_cancelled, on_session_ended
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.availability import closures_between
from kapclinic.scheduling.booking_rules import FreedSlot, WaitlistWish, fits
from kapclinic.scheduling.exceptions import BookingProblem, SchedulingError
from kapclinic.scheduling.holds import release_holds
from kapclinic.scheduling.models import Appointment, Course, WaitlistEntry
from kapclinic.scheduling.protocols.definition import SessionKind
from kapclinic.scheduling.services.booking import locked_appointment, locked_course
from kapclinic.scheduling.services.checks import cancellation_problems
from kapclinic.scheduling.services.recording import record
from kapclinic.scheduling.slots import Span, closed_during


@dataclass(frozen=True)
class Cancellation:
    appointment: Appointment
    # The waitlist entries the freed slot was offered to (now "offered"), oldest first.
    offered: tuple[WaitlistEntry, ...]
    # The course rules the cancellation leaves broken (shown; a cancellation is never refused).
    problems: tuple[BookingProblem, ...] = ()


def _refused_reason(message: str) -> SchedulingError:
    return SchedulingError(message, field="reason")


def _freed_slot(appointment: Appointment) -> FreedSlot:
    tz = appointment.course.clinic.tzinfo
    starts = timezone.localtime(appointment.starts_at, tz)
    ends = timezone.localtime(appointment.ends_at, tz)
    return FreedSlot(appointment.session_type, starts.date(), starts.time(), ends.time())


def offer_freed_slot(appointment: Appointment) -> tuple[WaitlistEntry, ...]:
    """Offer the slot ``appointment`` freed to the waiting entries it fits
    (``booking_rules.fits``): same clinic, the session type (or any), a day in the entry's
    window and on one of its weekdays, inside its time of day; never to the patient who
    cancelled; never a slot the clinic is now closed in (``slots.closed_during``: a closure
    recorded over booked appointments frees their slots as the front desk moves them). Each is
    marked offered, with the cancelled appointment as the slot; the page
    offers them in order and the first to book it has it (the database sees to that)."""
    slot = _freed_slot(appointment)
    closures = closures_between(appointment.course.clinic, slot.day, slot.day)
    if closed_during(Span(appointment.starts_at, appointment.ends_at), closures):
        return ()
    waiting = WaitlistEntry.objects.filter(
        clinic_id=appointment.clinic_id,
        status=WaitlistEntry.Status.WAITING,
        session_type__in=["", appointment.session_type],
        earliest_day__lte=slot.day,
    ).exclude(patient_id=appointment.patient_id)
    offered = tuple(
        entry
        for entry in waiting.order_by("created_at", "pk")
        if fits(
            WaitlistWish(
                entry.session_type,
                entry.earliest_day,
                entry.latest_day,
                entry.weekdays,
                entry.not_before,
                entry.not_after,
            ),
            slot,
        )
    )
    WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in offered]).update(
        status=WaitlistEntry.Status.OFFERED, offered_appointment=appointment
    )
    for entry in offered:
        entry.status = WaitlistEntry.Status.OFFERED
        entry.offered_appointment = appointment
    return offered


def cancel_booked(
    *, actor: Actor, appointment: Appointment, reason: str, now: datetime
) -> Cancellation:
    """Cancel a locked, booked appointment (``cancel_appointment``, ``stop_course``)."""
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = actor.user
    appointment.cancel_reason = reason
    appointment.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"]
    )
    release_holds(appointment)
    offered = offer_freed_slot(appointment)
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_CANCELLED,
        target=appointment,
        changes={"status": (Appointment.Status.BOOKED, appointment.status)},
        detail={
            "reason": reason,
            "starts_at": appointment.starts_at,
            "waitlist_offered": [str(entry.public_id) for entry in offered],
        },
    )
    if appointment.kind == SessionKind.DOSING:
        on_session_cancelled(
            patient=appointment.patient, session_ref=appointment.public_id, now=now, actor=actor
        )
    return Cancellation(appointment=appointment, offered=offered)


def _booked(appointment: Appointment, doing: str) -> Appointment:
    """The locked appointment, refused unless it is booked."""
    course = locked_course(appointment.course_id)
    locked = locked_appointment(appointment, course)
    if locked.status != Appointment.Status.BOOKED:
        status = locked.get_status_display().lower()
        msg = f"Only a booked appointment can be {doing}; this one is {status}."
        raise SchedulingError(msg)
    return locked


@transaction.atomic
def cancel_appointment(
    *, actor: Actor, appointment: Appointment, reason: str, now: datetime
) -> Cancellation:
    """Cancel a booked appointment with ``reason`` (the reason rule): its room, staff and
    patient are free again, its slot is offered to the waitlist entries it fits (returned), and
    a dosing session's open, unstarted questionnaires are cancelled (``on_session_cancelled``).
    The result also names the course rules the cancellation leaves broken (``problems``).
    Raises SchedulingError for a refused reason or an appointment that is not booked."""
    reason = clean_reason(reason, error=_refused_reason)
    locked = _booked(appointment, "cancelled")
    problems = cancellation_problems(course=locked.course, appointment=locked, now=now)
    done = cancel_booked(actor=actor, appointment=locked, reason=reason, now=now)
    return dataclasses.replace(done, problems=problems)


def _started(appointment: Appointment, now: datetime) -> None:
    tz = appointment.course.clinic.tzinfo
    if timezone.localtime(appointment.starts_at, tz).date() > timezone.localtime(now, tz).date():
        msg = "This appointment is on a later day: it can be marked on its day or after."
        raise SchedulingError(msg)


@transaction.atomic
def mark_attended(
    *,
    actor: Actor,
    appointment: Appointment,
    now: datetime,
    ended_at: datetime | None = None,
) -> Appointment:
    """The patient came: a booked appointment of today or earlier is marked attended at
    ``now``, ended at ``ended_at`` (default: its booked end). For a dosing session measurement
    assigns the after-session questionnaires (``on_session_ended``). Raises SchedulingError for
    an appointment not booked, on a later day, or an end not after its start."""
    locked = _booked(appointment, "marked attended")
    _started(locked, now)
    end = ended_at or locked.ends_at
    if end <= locked.starts_at:
        msg = "The session must end after it started."
        raise SchedulingError(msg, field="ended_at")
    locked.status = Appointment.Status.ATTENDED
    locked.attended_at = now
    locked.ended_at = end
    locked.save(update_fields=["status", "attended_at", "ended_at", "updated_at"])
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_ATTENDED,
        target=locked,
        changes={"status": (Appointment.Status.BOOKED, locked.status)},
        detail={"starts_at": locked.starts_at, "ended_at": end},
    )
    if locked.kind == SessionKind.DOSING:
        on_session_ended(
            patient=locked.patient, session_ref=locked.public_id, ended_at=end, actor=actor
        )
    return locked


@transaction.atomic
def mark_no_show(*, actor: Actor, appointment: Appointment, now: datetime) -> Appointment:
    """The patient did not come: a booked appointment of today or earlier is marked so (it
    keeps its holds: the time was the patient's). Raises SchedulingError for an appointment
    not booked or on a later day."""
    locked = _booked(appointment, "marked not attended")
    _started(locked, now)
    locked.status = Appointment.Status.NO_SHOW
    locked.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_NO_SHOW,
        target=locked,
        changes={"status": (Appointment.Status.BOOKED, locked.status)},
        detail={"starts_at": locked.starts_at},
    )
    return locked


@transaction.atomic
def record_session_end(
    *, actor: Actor, appointment: Appointment, ended_at: datetime
) -> Appointment:
    """An attended session ended at ``ended_at`` (the dosing session's discharge, issue 15.1):
    its end is kept and measurement's after-session questionnaires follow it
    (``on_session_ended`` moves the unstarted ones assigned at check-in to the real end).
    Raises SchedulingError unless the appointment is attended and the end after its start."""
    course = locked_course(appointment.course_id)
    locked = locked_appointment(appointment, course)
    if locked.status != Appointment.Status.ATTENDED:
        status = locked.get_status_display().lower()
        msg = f"Only an attended appointment has an end to record; this one is {status}."
        raise SchedulingError(msg)
    began = min(locked.starts_at, locked.attended_at or locked.starts_at)
    if ended_at <= began:
        msg = "The session must end after it started."
        raise SchedulingError(msg, field="ended_at")
    before = locked.ended_at
    locked.ended_at = ended_at
    locked.save(update_fields=["ended_at", "updated_at"])
    record(
        actor=actor,
        action=SchedulingAuditAction.APPOINTMENT_ENDED,
        target=locked,
        changes={"ended_at": (before, ended_at)},
    )
    if locked.kind == SessionKind.DOSING:
        on_session_ended(
            patient=locked.patient, session_ref=locked.public_id, ended_at=ended_at, actor=actor
        )
    return locked


def future_booked(course: Course, now: datetime) -> list[Appointment]:
    """The course's booked appointments from ``now`` on, locked, in order."""
    rows = (
        Appointment.objects.select_for_update(of=("self",))
        .filter(course=course, status=Appointment.Status.BOOKED, starts_at__gte=now)
        .order_by("starts_at")
    )
    found = list(rows)
    for row in found:
        row.course = course
        row.patient = course.patient
    return found
