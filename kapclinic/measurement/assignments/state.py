"""The one place where assignments are created and change status.

Below ``responses`` and ``plans`` on purpose (ADR 0007):
``responses.services.complete_assessment`` marks the assignment its response answers
(``mark_answered``) in its own transaction, and ``plans`` builds its services and hooks on
``create_for_rule`` and ``close``. Callers hold the enrolment's row lock (``locked_enrolment``),
so two hooks for one patient never race on a key.

Nothing here queues a job: each write returns its ``Changes``, whose ``link_sends()`` are the
link-mode assignments to e-mail when they fall due, and the caller hands them to
``assignments.outbox.queue_after_commit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from django.db.models import Max, QuerySet

from kapclinic.accounts.actor import SYSTEM, Actor, AnyActor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.measurement.assignments.rules import (
    OCCASION_OF,
    RuleSpec,
    assignment_key,
    follow_up_anchor,
    next_follow_up_sequence,
    window,
)
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.auditing import record_event as record_event
from kapclinic.measurement.models import (
    Assessment,
    Assignment,
    MeasurementPlan,
    Mode,
    PlanEnrolment,
    PlanRule,
    PlanTrigger,
)
from kapclinic.patients.models import Patient

OPEN_ENROLMENT: Final = (PlanEnrolment.Status.ACTIVE, PlanEnrolment.Status.FOLLOW_UP)


def spec_of(rule: PlanRule) -> RuleSpec:
    return RuleSpec(
        trigger=PlanTrigger(rule.trigger),
        instrument_codes=tuple(rule.instrument_codes),
        mode=Mode(rule.mode),
        opens_minutes_before=rule.opens_minutes_before,
        closes_minutes_after=rule.closes_minutes_after,
        offset_hours=rule.offset_hours,
        interval_days=rule.interval_days,
    )


def measuring() -> QuerySet[Assignment]:
    """Open assignments still to be asked: the patient's record not merged away and the
    enrolment still measuring (what the sweeps look at)."""
    return Assignment.objects.filter(
        status=Assignment.Status.OPEN,
        patient__merged_into__isnull=True,
        enrolment__status__in=OPEN_ENROLMENT,
    )


def lock_enrolments(**filters: Any) -> None:
    """Lock the enrolments matching ``filters`` before any assignment of theirs: the plan hooks
    and ``end_enrolment`` hold the enrolment first, and so do the sweeps."""
    list(PlanEnrolment.objects.select_for_update(of=("self",)).filter(**filters).only("pk"))


def locked_enrolment(enrolment: PlanEnrolment) -> PlanEnrolment:
    return (
        PlanEnrolment.objects.select_for_update(of=("self",))
        .select_related("patient", "clinic", "plan")
        .get(pk=enrolment.pk)
    )


def plan_rules_for(plan: MeasurementPlan, *triggers: PlanTrigger) -> list[PlanRule]:
    return list(plan.rules.filter(trigger__in=triggers).order_by("position"))


def open_enrolment(patient: Patient) -> PlanEnrolment | None:
    found = (
        PlanEnrolment.objects.filter(patient=patient, status__in=OPEN_ENROLMENT)
        .order_by("-id")
        .first()
    )
    return locked_enrolment(found) if found is not None else None


@dataclass(frozen=True)
class LinkSend:
    """A link-mode assignment to e-mail when it falls due (``due_at``)."""

    public_id: UUID
    due_at: datetime


@dataclass
class Changes:
    """What one write did: assignments created, and open ones moved to a new time (or opened
    again)."""

    created: list[Assignment] = field(default_factory=list)
    moved: list[Assignment] = field(default_factory=list)

    def extend(self, other: Changes) -> None:
        self.created.extend(other.created)
        self.moved.extend(other.moved)

    def link_sends(self) -> list[LinkSend]:
        """The link-mode assignments created or moved here: each is e-mailed when it falls due
        (``outbox.queue_after_commit``)."""
        return [
            LinkSend(public_id=a.public_id, due_at=a.due_at)
            for a in self.created + self.moved
            if a.mode == Mode.LINK
        ]

    def summary(self) -> dict[str, list[str]]:
        return {
            "created": [str(a.public_id) for a in self.created],
            "moved": [str(a.public_id) for a in self.moved],
        }


def create_for_rule(
    *,
    enrolment: PlanEnrolment,
    rule: PlanRule,
    anchor_at: datetime,
    session_ref: UUID | None = None,
    sequence: int = 0,
) -> Changes:
    """One assignment per instrument of ``rule``, unless it exists already (same key): then
    an open one nobody has started is moved to the new time (a rescheduled session), and any
    other is left as it is."""
    spec = spec_of(rule)
    times = window(spec, anchor_at)
    changes = Changes()
    for code in spec.instrument_codes:
        key = assignment_key(
            rule_id=rule.pk, instrument_code=code, session_ref=session_ref, sequence=sequence
        )
        existing = Assignment.objects.filter(enrolment=enrolment, key=key).first()
        if existing is None:
            changes.created.append(
                Assignment.objects.create(
                    patient=enrolment.patient,
                    clinic=enrolment.clinic,
                    enrolment=enrolment,
                    rule=rule,
                    instrument_code=code,
                    occasion=OCCASION_OF[spec.trigger],
                    mode=spec.mode,
                    session_ref=session_ref,
                    sequence=sequence,
                    key=key,
                    anchor_at=times.anchor_at,
                    due_at=times.due_at,
                    overdue_at=times.overdue_at,
                )
            )
        elif (
            existing.status == Assignment.Status.OPEN
            and existing.assessment_id is None
            and existing.anchor_at != times.anchor_at
        ):
            existing.anchor_at = times.anchor_at
            existing.due_at = times.due_at
            existing.overdue_at = times.overdue_at
            existing.save(update_fields=["anchor_at", "due_at", "overdue_at", "updated_at"])
            changes.moved.append(existing)
    return changes


def extend_follow_up(*, enrolment: PlanEnrolment, rule: PlanRule, now: datetime) -> Changes:
    """Create the next follow-up of ``rule`` after the latest one (the first at course end).

    Follow-ups are created lazily, one ahead: the next when the latest is answered or
    cancelled, so the monthly cadence needs no timer and never stops silently (an unanswered
    one stays overdue on the worklist until someone closes it)."""
    if enrolment.status != PlanEnrolment.Status.FOLLOW_UP or enrolment.course_ended_at is None:
        return Changes()
    latest = (
        Assignment.objects.filter(enrolment=enrolment, rule=rule).aggregate(n=Max("sequence"))["n"]
        or 0
    )
    sequence = next_follow_up_sequence(
        spec_of(rule), course_ended_at=enrolment.course_ended_at, after=latest, now=now
    )
    anchor = follow_up_anchor(enrolment.course_ended_at, rule.interval_days or 0, sequence)
    return create_for_rule(enrolment=enrolment, rule=rule, anchor_at=anchor, sequence=sequence)


def _after_close(assignment: Assignment, now: datetime) -> Changes:
    """Closing the latest follow-up (answered, missed or cancelled) schedules the next one."""
    rule = assignment.rule
    if rule.trigger != PlanTrigger.FOLLOW_UP_EVERY_N_DAYS:
        return Changes()
    latest = Assignment.objects.filter(enrolment=assignment.enrolment_id, rule=rule).aggregate(
        n=Max("sequence")
    )["n"]
    if latest != assignment.sequence:
        return Changes()
    return extend_follow_up(enrolment=locked_enrolment(assignment.enrolment), rule=rule, now=now)


def close(
    assignment: Assignment,
    *,
    to: Assignment.Status,
    now: datetime,
    actor: AnyActor = SYSTEM,
    reason: str = "",
) -> Changes:
    """Move an open assignment to completed, missed or cancelled (the only transitions there
    are, besides ``release_withdrawn``)."""
    if assignment.status != Assignment.Status.OPEN or to == Assignment.Status.OPEN:
        msg = f"assignment {assignment.public_id} is {assignment.status}, not open"
        raise ValueError(msg)
    assignment.status = to
    if to == Assignment.Status.COMPLETED:
        assignment.completed_at = now
    elif to == Assignment.Status.MISSED:
        assignment.missed_at = now
    else:
        assignment.cancelled_at = now
        assignment.cancelled_by = actor.user
        assignment.cancel_reason = reason
    assignment.save(
        update_fields=[
            "status",
            "completed_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "missed_at",
            "updated_at",
        ]
    )
    return _after_close(assignment, now)


def mark_answered(*, actor: AnyActor, assessment: Assessment, now: datetime) -> Changes:
    """Complete the open assignment ``assessment`` answers, if any (called by
    ``responses.services.complete_assessment`` inside its transaction). Audited. Returns what
    completing it changed (the next follow-up it scheduled), nothing when there is none."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("rule", "enrolment", "patient", "clinic")
        .filter(assessment=assessment, status=Assignment.Status.OPEN)
        .first()
    )
    if assignment is None:
        return Changes()
    return _answered(actor=actor, assignment=assignment, assessment=assessment, now=now)


def open_to_answer(*, patient: Patient, public_id: UUID, instrument_code: str) -> Assignment | None:
    """The patient's open assignment ``public_id`` for ``instrument_code``, locked; None when
    there is none (another patient's, another instrument's, closed, or no such id)."""
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("rule", "enrolment", "patient", "clinic")  # the response after the lock
        .filter(
            public_id=public_id,
            patient=patient,
            instrument_code=instrument_code,
            status=Assignment.Status.OPEN,
        )
        .first()
    )


def _answered(
    *,
    actor: AnyActor,
    assignment: Assignment,
    assessment: Assessment,
    now: datetime,
) -> Changes:
    changes = close(assignment, to=Assignment.Status.COMPLETED, now=now)
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_COMPLETED,
        actor_roles=actor.roles,
        clinic_id=assignment.clinic.public_id,
        patient_id=assignment.patient.public_id,
        target=audit.target_of(assignment),
        changes={"status": (Assignment.Status.OPEN, Assignment.Status.COMPLETED)},
        detail={"assessment": str(assessment.public_id), **changes.summary()},
    )
    return changes


def lock_answering(assessment: Assessment) -> None:
    """Lock the assignment ``assessment`` answers, if any, before the response itself.

    Every path that locks both takes the assignment first (``plans`` locks it, then the response
    through ``issue_link`` or ``start_assessment``); ``services`` calls this before locking the
    response, so two writers never wait on each other in opposite orders (a deadlock)."""
    _answering(assessment)


def _answering(assessment: Assessment) -> Assignment | None:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "enrolment")
        .filter(assessment=assessment)
        .first()
    )


def follow_amendment(
    *, actor: Actor, original: Assessment, amended: Assessment
) -> Assignment | None:
    """The assignment ``original`` answered names its amended version from now on (the
    original stays, reachable through ``amended.amends``). Called by
    ``responses.services.amend_assessment`` in its transaction. Audited."""
    assignment = _answering(original)
    if assignment is None:
        return None
    assignment.assessment = amended
    assignment.save(update_fields=["assessment", "updated_at"])
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_AMENDED,
        patient=assignment.patient,
        target=assignment,
        changes={"assessment": (str(original.public_id), str(amended.public_id))},
    )
    return assignment


def release_withdrawn(*, actor: Actor, assessment: Assessment, reason: str) -> Changes:
    """The assignment a response entered in error answered (or was being answered by) is open
    again, with no response and no link: the measurement it asks for was not made, so it goes
    back on the worklist (overdue if its window has closed) and a link-mode one is sent again
    if it is still due. A cancelled or missed assignment stays so, and so does everything of an
    enrolment that has ended or a record merged away. Called by
    ``responses.services.enter_in_error`` in its transaction. Audited. Returns the assignment
    opened again as moved (nothing when none was)."""
    assignment = _answering(assessment)
    if (
        assignment is None
        or assignment.status not in (Assignment.Status.OPEN, Assignment.Status.COMPLETED)
        or assignment.enrolment.status not in OPEN_ENROLMENT  # measuring has ended
        or assignment.patient.merged_into_id is not None
    ):
        return Changes()
    old = assignment.status
    assignment.status = Assignment.Status.OPEN
    assignment.completed_at = None
    assignment.assessment = None
    assignment.link_sent_at = None
    assignment.link_sent_by = None
    assignment.save(
        update_fields=[
            "status",
            "completed_at",
            "assessment",
            "link_sent_at",
            "link_sent_by",
            "updated_at",
        ]
    )
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_REOPENED,
        patient=assignment.patient,
        target=assignment,
        changes=(
            {"status": (old, Assignment.Status.OPEN)}
            if old != Assignment.Status.OPEN
            else {"assessment": (str(assessment.public_id), None)}
        ),
        detail={"withdrawn": str(assessment.public_id), "reason": reason},
    )
    return Changes(moved=[assignment])
