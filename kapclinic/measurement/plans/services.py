"""Measurement plans: which questionnaires a patient is asked and when (issue 5, part 5).

Writes: create a plan version (the shipped default via ``ensure_default_plan``), enrol a
patient, the hooks the session and protocol apps call, start an assignment in the clinic,
send it as a one-time link, cancel it, end an enrolment. Every write is atomic and audited.

Hooks for the apps that come later (they import this module; it never imports them):

- ``enrol(...)`` when a course starts (a protocol names its plan by ``MeasurementPlan.public_id``);
- ``on_session_scheduled(...)`` when a dosing session is booked or moved;
- ``on_session_ended(...)`` when it ends; ``on_session_cancelled(...)`` when it is called off;
- ``on_course_ended(...)`` when the course ends (follow-up starts).

Each hook is idempotent per session (and per course end): called twice, it creates nothing
new; called with a new start time, it moves the open, unstarted assignments of that session.
A patient without an open enrolment gets nothing (the hooks return no assignments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final

from django.db import transaction

from kapclinic.accounts.actor import SYSTEM, Actor, AnyActor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.assignments.outbox import queue_after_commit
from kapclinic.measurement.assignments.rules import (
    DEFAULT_PLAN,
    PlanSpec,
    enrolment_anchor,
    plan_problems,
)
from kapclinic.measurement.assignments.state import (
    Changes,
    close,
    create_for_rule,
    locked_enrolment,
    open_enrolment,
    plan_rules_for,
    record_event,
)
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import AssessmentError, PlanError, UnknownInstrumentError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import (
    Assessment,
    Assignment,
    MeasurementPlan,
    Mode,
    Occasion,
    PlanEnrolment,
    PlanRule,
    PlanTrigger,
)
from kapclinic.measurement.plans.hooks import on_course_ended as on_course_ended
from kapclinic.measurement.plans.hooks import on_session_cancelled as on_session_cancelled
from kapclinic.measurement.plans.hooks import on_session_ended as on_session_ended
from kapclinic.measurement.plans.hooks import on_session_scheduled as on_session_scheduled
from kapclinic.measurement.responses.jobs import send_questionnaire_link
from kapclinic.measurement.responses.services import LINK_LIFETIME, issue_link, start_assessment
from kapclinic.patients.models import Patient

MIN_REASON_LENGTH: Final = 10


# --- plans ---------------------------------------------------------------------------------


@transaction.atomic
def create_plan(*, actor: AnyActor, clinic: Clinic, spec: PlanSpec) -> MeasurementPlan:
    """Store ``spec`` as a plan version of ``clinic``.

    Raises PlanError for an unknown instrument, a rule without the value its trigger needs
    (hours after, follow-up interval), an empty window, or a version that exists already."""
    problems = plan_problems(spec)
    for rule in spec.rules:
        for code in rule.instrument_codes:
            try:
                get_instrument(code)
            except UnknownInstrumentError:
                problems.append(f"unknown instrument {code!r}")
    if problems:
        raise PlanError(f"{spec.name}: " + "; ".join(problems))
    if MeasurementPlan.objects.filter(clinic=clinic, code=spec.code, version=spec.version).exists():
        msg = f"{spec.name} version {spec.version} exists already: publish a new one."
        raise PlanError(msg)
    plan = MeasurementPlan.objects.create(
        clinic=clinic,
        code=spec.code,
        version=spec.version,
        name=spec.name,
        description=spec.description,
        source=spec.source,
    )
    PlanRule.objects.bulk_create(
        PlanRule(
            plan=plan,
            position=position,
            trigger=rule.trigger,
            instrument_codes=list(rule.instrument_codes),
            mode=rule.mode,
            offset_hours=rule.offset_hours,
            interval_days=rule.interval_days,
            opens_minutes_before=rule.opens_minutes_before,
            closes_minutes_after=rule.closes_minutes_after,
        )
        for position, rule in enumerate(spec.rules, start=1)
    )
    # Older versions of the same plan are no longer offered for new enrolments.
    MeasurementPlan.objects.filter(clinic=clinic, code=spec.code, is_active=True).exclude(
        pk=plan.pk
    ).update(is_active=False)
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.PLAN_CREATED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(plan),
        detail={"code": spec.code, "version": spec.version, "rules": len(spec.rules)},
    )
    return plan


@transaction.atomic
def ensure_default_plan(*, clinic: Clinic) -> MeasurementPlan:
    """The clinic's copy of the shipped default plan (current version), created on first use."""
    existing = MeasurementPlan.objects.filter(
        clinic=clinic, code=DEFAULT_PLAN.code, version=DEFAULT_PLAN.version
    ).first()
    if existing is not None:
        return existing
    return create_plan(actor=SYSTEM, clinic=clinic, spec=DEFAULT_PLAN)


# --- enrolment -----------------------------------------------------------------------------


@transaction.atomic
def enrol(
    *,
    actor: AnyActor,
    patient: Patient,
    plan: MeasurementPlan,
    starts_on: date,
) -> PlanEnrolment:
    """Measure ``patient`` by ``plan`` from ``starts_on`` and assign the baseline
    questionnaires (due from the plan's window before that day).

    Raises PlanError for a plan of another clinic or one no longer offered, a merged record, or
    a patient already enrolled (end that enrolment first). Writes PlanEnrolment, its baseline
    Assignments and an audit entry. Also the entry point for the demo generator."""
    if plan.clinic_id != patient.clinic_id:
        msg = "This plan belongs to another clinic."
        raise PlanError(msg)
    if not plan.is_active:
        msg = f"{plan} is no longer offered: choose the current version."
        raise PlanError(msg)
    if patient.merged_into_id is not None:
        msg = "This record was merged into another: use the surviving record."
        raise PlanError(msg)
    if open_enrolment(patient) is not None:
        msg = "This patient is already enrolled in a measurement plan: end that enrolment first."
        raise PlanError(msg)
    enrolment = PlanEnrolment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        plan=plan,
        starts_on=starts_on,
        enrolled_by=actor.user,
    )
    anchor = enrolment_anchor(starts_on, patient.clinic.tzinfo)
    changes = Changes()
    for rule in plan_rules_for(plan, PlanTrigger.ENROLMENT):
        changes.extend(create_for_rule(enrolment=enrolment, rule=rule, anchor_at=anchor))
    queue_after_commit(changes)
    record_event(
        actor=actor,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.ENROLLED,
        patient=patient,
        target=enrolment,
        detail={"plan": str(plan.public_id), "starts_on": starts_on, **changes.summary()},
    )
    return enrolment


@transaction.atomic
def end_enrolment(
    *,
    actor: Actor,
    enrolment: PlanEnrolment,
    reason: str,
    now: datetime,
) -> PlanEnrolment:
    """Stop measuring: the enrolment ends and its open assignments are cancelled with
    ``reason``. Raises PlanError for a short reason or an enrolment already ended."""
    reason = clean_reason(reason, minimum=MIN_REASON_LENGTH, error=PlanError)
    enrolment = locked_enrolment(enrolment)
    if enrolment.status == PlanEnrolment.Status.ENDED:
        msg = "This enrolment has ended already."
        raise PlanError(msg)
    old = enrolment.status
    enrolment.status = PlanEnrolment.Status.ENDED
    enrolment.ended_at = now
    enrolment.end_reason = reason
    enrolment.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    cancelled = Assignment.objects.filter(enrolment=enrolment, status=Assignment.Status.OPEN)
    ids = [str(a.public_id) for a in cancelled]
    cancelled.update(
        status=Assignment.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=actor.user,
        cancel_reason=f"Enrolment ended: {reason}",
        updated_at=now,
    )
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ENROLMENT_ENDED,
        patient=enrolment.patient,
        target=enrolment,
        changes={"status": (old, enrolment.status)},
        detail={"reason": reason, "cancelled": ids},
    )
    return enrolment


# --- working an assignment -----------------------------------------------------------------


def _locked(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        # Not "assessment": a joined row is read from the snapshot before the lock was waited
        # for (PostgreSQL re-checks only the locked row), so it is loaded after the lock.
        .select_related("patient__clinic", "clinic", "rule", "enrolment")
        .get(pk=assignment.pk)
    )


def _ensure_assessment(assignment: Assignment, *, actor: AnyActor, mode: Mode) -> Assessment:
    """The assignment's in-progress response, started now if it has none (or its earlier one
    expired or was withdrawn)."""
    current = assignment.assessment
    if current is not None and current.status == Assessment.Status.IN_PROGRESS:
        return current
    try:
        assessment = start_assessment(
            actor=actor,
            patient=assignment.patient,
            instrument_code=assignment.instrument_code,
            mode=mode,
            occasion=Occasion(assignment.occasion),
            session_ref=assignment.session_ref,
        )
    except AssessmentError as error:
        raise PlanError(error.message) from error
    assignment.assessment = assessment
    assignment.save(update_fields=["assessment", "updated_at"])
    return assessment


def _require_open(assignment: Assignment) -> None:
    if assignment.status != Assignment.Status.OPEN:
        msg = f"This questionnaire is {assignment.get_status_display().lower()} already."
        raise PlanError(msg)


@transaction.atomic
def start_assignment(
    *, actor: Actor, assignment: Assignment, mode: Mode = Mode.STAFF
) -> Assessment:
    """Administer the questionnaire in the clinic (``mode`` staff), or let the patient answer it
    in the portal (``mode`` portal): its response (started now with the assignment's occasion
    and session, or the one already in progress). Completing that response completes the
    assignment. Raises PlanError for an assignment no longer open or an instrument that cannot
    be shown."""
    assignment = _locked(assignment)
    _require_open(assignment)
    before = assignment.assessment_id
    assessment = _ensure_assessment(assignment, actor=actor, mode=mode)
    if assessment.pk != before:
        record_event(
            actor=actor,
            operation=Operation.UPDATE,
            action=MeasurementAuditAction.ASSIGNMENT_STARTED,
            patient=assignment.patient,
            target=assignment,
            detail={"assessment": str(assessment.public_id)},
        )
    return assessment


@transaction.atomic
def send_link(
    *,
    actor: AnyActor,
    assignment: Assignment,
    now: datetime,
    link_for: Callable[[str], str],
) -> Assignment:
    """E-mail the patient a one-time link to the questionnaire (any earlier link to it stops
    working): ``send_links`` for one."""
    return send_links(actor=actor, assignments=[assignment], now=now, link_for=link_for)[0]


@transaction.atomic
def send_links(
    *,
    actor: AnyActor,
    assignments: Sequence[Assignment],
    now: datetime,
    link_for: Callable[[str], str],
) -> list[Assignment]:
    """E-mail one patient a single message with a one-time link to each questionnaire (any
    earlier link to one stops working). ``link_for`` makes the absolute URL from a token.

    Raises PlanError when the patient has no e-mail address (staff can still administer them in
    the clinic), an assignment is no longer open or its instrument cannot be shown. Writes, for
    each, the response if none is in progress, the link (hashed) and an audit entry; e-mails
    after commit (responses.jobs), with nothing about the patient's care in it. Locks in id order,
    as every caller that locks several does."""
    locked = [_locked(a) for a in sorted(assignments, key=lambda a: a.pk)]
    if not locked or len({a.patient_id for a in locked}) != 1:
        msg = "send_links needs the assignments of one patient"
        raise ValueError(msg)
    for assignment in locked:
        _require_open(assignment)
    patient = locked[0].patient
    if not patient.email:
        msg = (
            "No e-mail address is on file for this patient, so no link can be sent. Add one to "
            "the patient's contact details, or administer the questionnaire in the clinic."
        )
        raise PlanError(msg)
    urls = [link_for(_issue_link(assignment, actor=actor, now=now)) for assignment in locked]
    recipient, clinic_name = patient.email, patient.clinic.name
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    transaction.on_commit(
        lambda: send_questionnaire_link.enqueue(
            recipient=recipient, urls=urls, clinic_name=clinic_name, hours=hours
        )
    )
    return locked


def _issue_link(assignment: Assignment, *, actor: AnyActor, now: datetime) -> str:
    """A new one-time link token for the assignment's response (started if need be), marked
    sent and audited."""
    assessment = _ensure_assessment(assignment, actor=actor, mode=Mode.LINK)
    token = issue_link(actor=actor, assessment=assessment, now=now)
    assignment.link_sent_at = now
    assignment.link_sent_by = actor.user
    assignment.save(update_fields=["link_sent_at", "link_sent_by", "updated_at"])
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_LINK_SENT,
        patient=assignment.patient,
        target=assignment,
        # No actor: the plan's schedule sent it (plans.links), not a person.
        detail={"assessment": str(assessment.public_id), "automatic": actor.user is None},
    )
    return token


@transaction.atomic
def cancel_assignment(
    *, actor: Actor, assignment: Assignment, reason: str, now: datetime
) -> Assignment:
    """Take a questionnaire off the worklist with ``reason`` (the patient declined, it came too
    late to mean anything). Cancelling the latest follow-up schedules the next one.

    Raises PlanError for a short reason or an assignment no longer open."""
    reason = clean_reason(reason, minimum=MIN_REASON_LENGTH, error=PlanError)
    assignment = _locked(assignment)
    _require_open(assignment)
    changes = close(assignment, to=Assignment.Status.CANCELLED, now=now, actor=actor, reason=reason)
    queue_after_commit(changes)
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_CANCELLED,
        patient=assignment.patient,
        target=assignment,
        changes={"status": (Assignment.Status.OPEN, Assignment.Status.CANCELLED)},
        detail={"reason": reason, **changes.summary()},
    )
    return assignment
