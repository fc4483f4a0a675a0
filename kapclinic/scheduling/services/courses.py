"""A patient's course of treatment through its life (issue 13.2): planned, active, paused,
completed, or stopped with a reason.

planned --start--> active --pause--> paused --resume--> active --complete--> completed
and from planned, active or paused --stop (reason)--> stopped.

Each service runs in one transaction on the locked course row and writes its audit entry.
Starting enrols the patient in the protocol's measurement plan; completing and stopping a
started course tell measurement the course ended (follow-up starts); stopping cancels the
course's future appointments. A patient has one open course at a time (the database's
``course_one_open_per_patient`` too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN
from kapclinic.measurement.models import MeasurementPlan, PlanEnrolment
from kapclinic.measurement.plans.selectors import get_open_enrolment, list_enrollable_plans
from kapclinic.measurement.plans.services import (
    end_enrolment,
    enrol,
    ensure_default_plan,
    on_course_ended,
)
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, Course, ProtocolVersion
from kapclinic.scheduling.protocols.definition import Protocol, SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.services.appointments import Cancellation, cancel_booked, future_booked
from kapclinic.scheduling.services.booking import locked_course, scheduled
from kapclinic.scheduling.services.recording import record

Status = Course.Status
NEW_COURSE_ENDS_FOLLOW_UP = "The patient started a new course of treatment."


@dataclass(frozen=True)
class Stopped:
    course: Course
    cancelled: tuple[Cancellation, ...]  # the future appointments cancelled, in order


def _refused_reason(message: str) -> SchedulingError:
    return SchedulingError(message, field="reason")


def _in(course: Course, allowed: tuple[Course.Status, ...], doing: str) -> None:
    if course.status not in allowed:
        msg = f"This course is {course.get_status_display().lower()}: it cannot be {doing}."
        raise SchedulingError(msg)


@transaction.atomic
def plan_course(*, actor: Actor, patient: Patient, protocol: ProtocolVersion) -> Course:
    """Plan a course of ``protocol`` (the current version of one of the patient's clinic's
    protocols) for ``patient``: status planned, nothing booked yet. The page shows the
    patient's readiness with it (``readiness.course_readiness``); a patient who is not ready
    yet may still be planned and booked (checking in to a dosing session will require it).

    Raises SchedulingError when the patient already has an open (planned, active or paused)
    course, the protocol is another clinic's, retired or superseded, or the record was merged.
    Writes: the Course and a CREATE audit entry."""
    if protocol.clinic_id != patient.clinic_id:
        msg = "This protocol belongs to another clinic."
        raise SchedulingError(msg, field="protocol")
    if patient.merged_into_id is not None:
        msg = "This record was merged into another: plan the course on the surviving record."
        raise SchedulingError(msg)
    latest = ProtocolVersion.objects.filter(clinic_id=protocol.clinic_id, code=protocol.code)
    current = latest.order_by("-version").first()
    if current != protocol or current.status != ProtocolVersion.Status.PUBLISHED:
        msg = f"{protocol} is not the protocol's current, published version: choose that one."
        raise SchedulingError(msg, field="protocol")
    open_course = Course.objects.filter(patient=patient, status__in=Course.OPEN_STATUSES).first()
    if open_course is not None:
        msg = (
            f"The patient already has a {open_course.get_status_display().lower()} course "
            f"({open_course.protocol.name}): complete or stop it before planning another."
        )
        raise SchedulingError(msg, field="protocol")
    try:
        with transaction.atomic():
            course = Course.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                protocol=protocol,
                modality=protocol.modality,
                planned_by=actor.user,
            )
    except IntegrityError:  # a concurrent plan of the same patient won
        msg = "The patient already has an open course: complete or stop it first."
        raise SchedulingError(msg, field="protocol") from None
    course.clinic = protocol.clinic
    record(
        actor=actor,
        action=SchedulingAuditAction.COURSE_PLANNED,
        target=course,
        operation=Operation.CREATE,
        detail={
            "protocol": str(protocol.public_id),
            "code": protocol.code,
            "version": protocol.version,
        },
    )
    return course


def _plan_of(course: Course, protocol: Protocol) -> MeasurementPlan:
    code = protocol.measurement_plan
    if code == DEFAULT_PLAN.code:
        return ensure_default_plan(clinic=course.clinic)
    plan = next((p for p in list_enrollable_plans(course.clinic) if p.code == code), None)
    if plan is None:
        msg = (
            f"The protocol enrols patients in the measurement plan '{code}', which the clinic "
            "no longer offers: publish a new protocol version that names a current plan."
        )
        raise SchedulingError(msg)
    return plan


def _enrolment(actor: Actor, course: Course, now: datetime) -> tuple[PlanEnrolment, bool]:
    """The enrolment the started course measures by, and whether it is new. An active
    enrolment in the same plan is kept; one in follow-up (an earlier course) ends, as the new
    course's measurements take over; an active one in another plan refuses the start."""
    plan = _plan_of(course, parse_protocol(course.protocol.document))
    existing = get_open_enrolment(course.patient_id)
    if existing is not None and existing.status == PlanEnrolment.Status.ACTIVE:
        if existing.plan.code == plan.code:
            return existing, False
        msg = (
            f"The patient is measured by {existing.plan.name} already; the protocol asks for "
            f"{plan.name}: end that enrolment (the patient's measurement page) first."
        )
        raise SchedulingError(msg)
    if existing is not None:
        end_enrolment(actor=actor, enrolment=existing, reason=NEW_COURSE_ENDS_FOLLOW_UP, now=now)
    today = timezone.localtime(now, course.clinic.tzinfo).date()
    return enrol(actor=actor, patient=course.patient, plan=plan, starts_on=today), True


@transaction.atomic
def start_course(*, actor: Actor, course: Course, now: datetime) -> Course:
    """A planned course starts: active from ``now``, the patient enrolled in the protocol's
    measurement plan (the clinic's copy of the standard plan is made on first use), and the
    dosing sessions already booked get their before-session questionnaires.

    Raises SchedulingError for a course that is not planned, or an enrolment in another plan
    that is still active. Writes: the course, the enrolment (measurement's ``enrol``, audited
    there) and an UPDATE audit entry."""
    course = locked_course(course.pk)
    _in(course, (Status.PLANNED,), "started")
    enrolment, new = _enrolment(actor, course, now)
    course.status = Status.ACTIVE
    course.started_at = now
    course.save(update_fields=["status", "started_at", "updated_at"])
    record(
        actor=actor,
        action=SchedulingAuditAction.COURSE_STARTED,
        target=course,
        changes={"status": (Status.PLANNED, Status.ACTIVE)},
        detail={"enrolment": str(enrolment.public_id), "enrolled": new},
    )
    for appointment in future_booked(course, now):
        if appointment.kind == SessionKind.DOSING:
            scheduled(actor, appointment)
    return course


def _set_status(
    actor: Actor,
    course: Course,
    status: Course.Status,
    action: SchedulingAuditAction,
    detail: dict[str, Any],
) -> None:
    old = course.status
    course.status = status
    course.save(update_fields=["status", "status_reason", "ended_at", "updated_at"])
    record(
        actor=actor, action=action, target=course, changes={"status": (old, status)}, detail=detail
    )


@transaction.atomic
def pause_course(*, actor: Actor, course: Course, reason: str) -> Course:
    """An active course pauses, with ``reason`` (kept on the course until it resumes). Its
    booked appointments stay: cancel them one by one if they should not happen."""
    reason = clean_reason(reason, error=_refused_reason)
    course = locked_course(course.pk)
    _in(course, (Status.ACTIVE,), "paused")
    course.status_reason = reason
    _set_status(
        actor, course, Status.PAUSED, SchedulingAuditAction.COURSE_PAUSED, {"reason": reason}
    )
    return course


@transaction.atomic
def resume_course(*, actor: Actor, course: Course, reason: str) -> Course:
    """A paused course is active again, with ``reason`` (audited; the pause reason is cleared
    from the course and stays in the audit trail)."""
    reason = clean_reason(reason, error=_refused_reason)
    course = locked_course(course.pk)
    _in(course, (Status.PAUSED,), "resumed")
    course.status_reason = ""
    _set_status(
        actor, course, Status.ACTIVE, SchedulingAuditAction.COURSE_RESUMED, {"reason": reason}
    )
    return course


@transaction.atomic
def complete_course(*, actor: Actor, course: Course, now: datetime) -> Course:
    """An active course is completed at ``now``; measurement moves the patient to follow-up
    and assigns the end-of-course questionnaires (``on_course_ended``). Raises SchedulingError
    for a course that is not active or that still has appointments booked from ``now`` on
    (cancel them, or stop the course)."""
    course = locked_course(course.pk)
    _in(course, (Status.ACTIVE,), "completed")
    ahead = Appointment.objects.filter(
        course=course, status=Appointment.Status.BOOKED, starts_at__gte=now
    ).count()
    if ahead:
        msg = (
            f"The course still has {ahead} appointment{'s' if ahead != 1 else ''} booked "
            "ahead: cancel them first, or stop the course with a reason."
        )
        raise SchedulingError(msg)
    course.ended_at = now
    _set_status(actor, course, Status.COMPLETED, SchedulingAuditAction.COURSE_COMPLETED, {})
    on_course_ended(patient=course.patient, ended_at=now, now=now, actor=actor)
    return course


@transaction.atomic
def stop_course(*, actor: Actor, course: Course, reason: str, now: datetime) -> Stopped:
    """An open course stops at ``now`` with ``reason``: its appointments booked from ``now``
    on are cancelled with that reason (holds released, slots offered to the waitlist, dosing
    sessions' questionnaires cancelled), and a course that had started ends for measurement
    (``on_course_ended``: follow-up). Raises SchedulingError for a closed course or a refused
    reason."""
    reason = clean_reason(reason, error=_refused_reason)
    course = locked_course(course.pk)
    _in(course, Course.OPEN_STATUSES, "stopped")
    cancelled = tuple(
        cancel_booked(actor=actor, appointment=appointment, reason=reason, now=now)
        for appointment in future_booked(course, now)
    )
    course.status_reason = reason
    course.ended_at = now
    _set_status(
        actor,
        course,
        Status.STOPPED,
        SchedulingAuditAction.COURSE_STOPPED,
        {"reason": reason, "cancelled": [str(c.appointment.public_id) for c in cancelled]},
    )
    if course.started_at is not None:
        on_course_ended(patient=course.patient, ended_at=now, now=now, actor=actor)
    return Stopped(course=course, cancelled=cancelled)
