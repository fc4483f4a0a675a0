"""The hooks the session and protocol apps call (re-exported by ``plans``): each creates the
assignments its trigger asks for, idempotent per session and per course end. A patient without
an open enrolment gets nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from kapclinic.accounts.actor import SYSTEM, AnyActor
from kapclinic.audit.models import Operation
from kapclinic.measurement.assignments.outbox import queue_after_commit
from kapclinic.measurement.assignments.rules import session_anchor
from kapclinic.measurement.assignments.state import (
    Changes,
    create_for_rule,
    extend_follow_up,
    open_enrolment,
    plan_rules_for,
    record_event,
    spec_of,
)
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.models import Assignment, PlanEnrolment, PlanTrigger
from kapclinic.patients.models import Patient


def _hooked(
    *,
    action: MeasurementAuditAction,
    actor: AnyActor,
    enrolment: PlanEnrolment,
    changes: Changes,
    detail: dict[str, Any],
) -> list[Assignment]:
    queue_after_commit(changes)
    if changes.created or changes.moved:
        record_event(
            actor=actor,
            operation=Operation.UPDATE,
            action=action,
            patient=enrolment.patient,
            target=enrolment,
            detail={**detail, **changes.summary()},
        )
    return changes.created


@transaction.atomic
def on_session_scheduled(
    *,
    patient: Patient,
    session_ref: UUID,
    starts_at: datetime,
    actor: AnyActor = SYSTEM,
) -> list[Assignment]:
    """A dosing session of ``patient`` was booked (or moved) to start at ``starts_at``:
    assign the plan's before-session questionnaires. Returns the new assignments."""
    enrolment = open_enrolment(patient)
    if enrolment is None:
        return []
    changes = Changes()
    for rule in plan_rules_for(enrolment.plan, PlanTrigger.BEFORE_SESSION):
        anchor = session_anchor(spec_of(rule), starts_at=starts_at, ended_at=None)
        if anchor is not None:
            changes.extend(
                create_for_rule(
                    enrolment=enrolment, rule=rule, anchor_at=anchor, session_ref=session_ref
                )
            )
    return _hooked(
        action=MeasurementAuditAction.SESSION_SCHEDULED,
        actor=actor,
        enrolment=enrolment,
        changes=changes,
        detail={"session": str(session_ref), "starts_at": starts_at},
    )


@transaction.atomic
def on_session_ended(
    *,
    patient: Patient,
    session_ref: UUID,
    ended_at: datetime,
    actor: AnyActor = SYSTEM,
) -> list[Assignment]:
    """A dosing session of ``patient`` ended at ``ended_at``: assign the plan's after-session
    and hours-after-session questionnaires. Returns the new assignments."""
    enrolment = open_enrolment(patient)
    if enrolment is None:
        return []
    changes = Changes()
    triggers = (PlanTrigger.AFTER_SESSION, PlanTrigger.HOURS_AFTER_SESSION)
    for rule in plan_rules_for(enrolment.plan, *triggers):
        anchor = session_anchor(spec_of(rule), starts_at=None, ended_at=ended_at)
        if anchor is not None:
            changes.extend(
                create_for_rule(
                    enrolment=enrolment, rule=rule, anchor_at=anchor, session_ref=session_ref
                )
            )
    return _hooked(
        action=MeasurementAuditAction.SESSION_ENDED,
        actor=actor,
        enrolment=enrolment,
        changes=changes,
        detail={"session": str(session_ref), "ended_at": ended_at},
    )


@transaction.atomic
def on_session_cancelled(
    *,
    patient: Patient,
    session_ref: UUID,
    now: datetime,
    actor: AnyActor = SYSTEM,
) -> int:
    """A dosing session was called off: its open, unstarted assignments are cancelled (one a
    patient already began stays, and is completed or cancelled by hand). Returns how many."""
    enrolment = open_enrolment(patient)
    if enrolment is None:
        return 0
    open_ones = Assignment.objects.filter(
        enrolment=enrolment,
        session_ref=session_ref,
        status=Assignment.Status.OPEN,
        assessment__isnull=True,
    )
    ids = [str(a.public_id) for a in open_ones]
    open_ones.update(
        status=Assignment.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=actor.user,
        cancel_reason="The session was cancelled.",
        updated_at=now,
    )
    if ids:
        record_event(
            actor=actor,
            operation=Operation.UPDATE,
            action=MeasurementAuditAction.SESSION_CANCELLED,
            patient=patient,
            target=enrolment,
            detail={"session": str(session_ref), "cancelled": ids},
        )
    return len(ids)


@transaction.atomic
def on_course_ended(
    *,
    patient: Patient,
    ended_at: datetime,
    now: datetime | None = None,
    actor: AnyActor = SYSTEM,
) -> list[Assignment]:
    """The course of ``patient`` ended at ``ended_at``: the enrolment moves to follow-up, and
    the end-of-course questionnaires and the first follow-up are assigned (the later ones
    follow lazily: see ``assignments.state.extend_follow_up``). ``now`` (default: ``ended_at``)
    decides which follow-up is first when the hook is called late. Called again, it changes
    nothing."""
    enrolment = open_enrolment(patient)
    if enrolment is None:
        return []
    if enrolment.status == PlanEnrolment.Status.ACTIVE:
        enrolment.status = PlanEnrolment.Status.FOLLOW_UP
        enrolment.course_ended_at = ended_at
        enrolment.save(update_fields=["status", "course_ended_at", "updated_at"])
    course_ended_at = enrolment.course_ended_at or ended_at
    changes = Changes()
    for rule in plan_rules_for(enrolment.plan, PlanTrigger.END_OF_COURSE):
        changes.extend(create_for_rule(enrolment=enrolment, rule=rule, anchor_at=course_ended_at))
    for rule in plan_rules_for(enrolment.plan, PlanTrigger.FOLLOW_UP_EVERY_N_DAYS):
        if not Assignment.objects.filter(enrolment=enrolment, rule=rule).exists():
            changes.extend(
                extend_follow_up(enrolment=enrolment, rule=rule, now=now or course_ended_at)
            )
    return _hooked(
        action=MeasurementAuditAction.COURSE_ENDED,
        actor=actor,
        enrolment=enrolment,
        changes=changes,
        detail={"ended_at": course_ended_at},
    )
