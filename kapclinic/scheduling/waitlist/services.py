"""Writes of the waitlist: add a patient, withdraw an entry (with a reason), and mark an offered
entry booked once its slot is taken. Marking an entry offered is the cancel service's: a freed
slot goes to the entries that fit it. Each write runs in a transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, Course, WaitlistEntry
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.services.booking import book_appointment

NOTE_MAX = 200
# How far ahead a patient may ask to wait for (the waitlist is for the weeks to come).
LATEST_DAYS_AHEAD = 366
OPEN = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


@dataclass(frozen=True)
class WaitRequest:
    """What the patient waits for: a session type (of their course), days, times."""

    earliest_day: date
    course: Course | None = None
    session_type: str = ""
    latest_day: date | None = None
    weekdays: list[int] = field(default_factory=list)
    not_before: time | None = None
    not_after: time | None = None
    note: str = ""


def _refused(message: str, field_name: str | None = None) -> SchedulingError:
    return SchedulingError(message, field=field_name)


def _require_booker(actor: Actor, clinic: Clinic) -> Actor:
    there = actor.in_clinic(clinic)
    if not there.can(Capability.BOOK_APPOINTMENTS):
        msg = "Only staff who book appointments in this clinic can change its waitlist."
        raise _refused(msg)
    return there


def _check_course(patient: Patient, wait: WaitRequest) -> None:
    course = wait.course
    if course is None:
        if wait.session_type:
            msg = "Choose the course the session belongs to, or leave the session type empty."
            raise _refused(msg, "session_type")
        return
    if course.patient_id != patient.pk or not course.is_open:
        msg = "Choose one of the patient's open courses."
        raise _refused(msg, "course")
    if wait.session_type:
        protocol = parse_protocol(course.protocol.document)
        if protocol.session_type(wait.session_type) is None:
            msg = f"{protocol.name} has no session type '{wait.session_type}'."
            raise _refused(msg, "session_type")


def _check_window(wait: WaitRequest, today: date) -> None:
    if wait.earliest_day < today:
        msg = "The earliest day cannot be in the past."
        raise _refused(msg, "earliest_day")
    if wait.latest_day is not None:
        if wait.latest_day < wait.earliest_day:
            msg = "The latest day cannot be before the earliest."
            raise _refused(msg, "latest_day")
        if (wait.latest_day - today).days > LATEST_DAYS_AHEAD:
            msg = "The latest day can be at most a year ahead."
            raise _refused(msg, "latest_day")
    if any(not 0 <= day <= 6 for day in wait.weekdays):
        msg = "Choose days of the week."
        raise _refused(msg, "weekdays")
    if wait.not_before and wait.not_after and wait.not_after <= wait.not_before:
        msg = "The time window must end after it starts."
        raise _refused(msg, "not_after")
    if len(wait.note.strip()) > NOTE_MAX:
        msg = f"Keep the note under {NOTE_MAX} characters."
        raise _refused(msg, "note")


def add_to_waitlist(
    *, actor: Actor, patient: Patient, wait: WaitRequest, today: date
) -> WaitlistEntry:
    """Put ``patient`` on their clinic's waitlist. Refused for a course not theirs or not
    open, a session type their protocol lacks, a window that ends before it starts, or when
    the patient already waits for the same course and session type."""
    there = _require_booker(actor, patient.clinic)
    if patient.is_merged:
        msg = "This record was merged into another: add the patient's current record."
        raise _refused(msg)
    _check_course(patient, wait)
    _check_window(wait, today)
    with transaction.atomic():
        duplicate = WaitlistEntry.objects.filter(
            patient=patient,
            course=wait.course,
            session_type=wait.session_type,
            status__in=OPEN,
        ).exists()
        if duplicate:
            msg = "The patient is already on the waitlist for this: change or withdraw that entry."
            raise _refused(msg)
        entry = WaitlistEntry.objects.create(
            clinic=patient.clinic,
            patient=patient,
            course=wait.course,
            session_type=wait.session_type,
            earliest_day=wait.earliest_day,
            latest_day=wait.latest_day,
            weekdays=sorted(set(wait.weekdays)),
            not_before=wait.not_before,
            not_after=wait.not_after,
            note=wait.note.strip(),
            added_by=actor.user,
        )
        audit.record(
            actor=actor.user,
            operation=Operation.CREATE,
            action=SchedulingAuditAction.WAITLIST_ADDED,
            actor_roles=there.roles,
            clinic_id=patient.clinic.public_id,
            patient_id=patient.public_id,
            target=audit.target_of(entry),
            detail={
                "session_type": wait.session_type,
                "earliest_day": wait.earliest_day.isoformat(),
                "latest_day": wait.latest_day.isoformat() if wait.latest_day else None,
            },
        )
    return entry


def withdraw_from_waitlist(*, actor: Actor, entry: WaitlistEntry, reason: str) -> None:
    """Take a waiting or offered entry off the waitlist, with a reason (kept in the audit
    trail): the patient no longer needs the slot, or took another one."""
    there = _require_booker(actor, entry.clinic)
    reason = clean_reason(reason, error=lambda message: _refused(message, "reason"))
    with transaction.atomic():
        updated = WaitlistEntry.objects.filter(pk=entry.pk, status__in=OPEN).update(
            status=WaitlistEntry.Status.WITHDRAWN
        )
        if not updated:
            msg = "This entry is no longer on the waitlist."
            raise _refused(msg)
        audit.record(
            actor=actor.user,
            operation=Operation.UPDATE,
            action=SchedulingAuditAction.WAITLIST_WITHDRAWN,
            actor_roles=there.roles,
            clinic_id=entry.clinic.public_id,
            patient_id=entry.patient.public_id,
            target=audit.target_of(entry),
            changes={"status": (entry.status, WaitlistEntry.Status.WITHDRAWN.value)},
            detail={"reason": reason},
        )
    entry.status = WaitlistEntry.Status.WITHDRAWN


@transaction.atomic
def book_from_waitlist(*, actor: Actor, entry: WaitlistEntry, now: datetime) -> Appointment:
    """Book the slot ``entry`` was offered, for its patient and course, through the one
    booking service (its checks, holds and audit entry), and take the entry off the waitlist,
    audited, in the same transaction. Refused (nothing written) when the entry has no slot on
    offer any more, the patient has no course, or the slot was taken meanwhile."""
    there = _require_booker(actor, entry.clinic)
    # Lock the entry row only: the joined course and offer may be null (an outer join, which
    # PostgreSQL does not lock).
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient", "course", "offered_appointment__room")
        .get(pk=entry.pk)
    )
    offered = entry.offered_appointment
    if entry.status != WaitlistEntry.Status.OFFERED or offered is None:
        msg = "This entry has no slot on offer any more."
        raise _refused(msg)
    if entry.course is None:
        msg = "The patient has no course yet: plan their course, then book the slot."
        raise _refused(msg)
    booked = book_appointment(
        actor=actor,
        course=entry.course,
        session_type=entry.session_type or offered.session_type,
        starts_at=offered.starts_at,
        room=offered.room,
        therapist=offered.therapist,
        nurse=offered.nurse,
        now=now,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.BOOKED)
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=SchedulingAuditAction.WAITLIST_BOOKED,
        actor_roles=there.roles,
        clinic_id=entry.clinic.public_id,
        patient_id=entry.patient.public_id,
        target=audit.target_of(entry),
        changes={"status": (entry.status, WaitlistEntry.Status.BOOKED.value)},
        detail={"appointment": str(booked.public_id)},
    )
    entry.status = WaitlistEntry.Status.BOOKED
    return booked
