"""Questionnaires nobody answered: closed as missed, so the worklist keeps what can still be done.

An open assignment still unanswered ``Clinic.questionnaire_missed_after_days`` after it turned
overdue (default 7; counted from its last change if later, and never while a sent link still
works: ``missed_from``) is closed as ``missed`` by the plan sweep (``manage.py
sweep_measurement_plans``). It leaves the worklist and the chart's due list, stays in the record
as missed, and a missed monthly follow-up schedules the next one (``assignments.state.close``), so
the follow-up chain never stops. Without the sweep nothing is lost: the questionnaire stays
overdue on the worklist.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from django.db import DatabaseError, transaction

from kapclinic.accounts.actor import SYSTEM
from kapclinic.audit.models import Operation
from kapclinic.measurement.assignments.outbox import queue_after_commit
from kapclinic.measurement.assignments.state import close, lock_enrolments, measuring, record_event
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.models import Assignment
from kapclinic.measurement.responses.services import LINK_LIFETIME

logger = logging.getLogger(__name__)

# The shortest a clinic may set (accounts.Clinic): nothing younger is even looked at.
MIN_DAYS: Final = 1


def missed_from(assignment: Assignment) -> datetime:
    """When an open assignment counts as missed: the clinic's days after it turned overdue, or
    after it was last changed (reopened, started, moved) if that came later, and never while a
    link sent to the patient still works."""
    days = timedelta(days=assignment.clinic.questionnaire_missed_after_days)
    at = max(assignment.overdue_at, assignment.updated_at) + days
    if assignment.link_sent_at is not None:
        at = max(at, assignment.link_sent_at + LINK_LIFETIME)
    return at


@transaction.atomic
def close_if_missed(*, assignment_public_id: UUID, now: datetime) -> bool:
    """Close the assignment as missed if it is still open, its enrolment still measuring and
    its time (``missed_from``) has passed; otherwise nothing. The enrolment is locked before
    the assignment, as the plan hooks and ``end_enrolment`` lock them. Audited
    ("measurement.assignment_missed", no actor)."""
    found = (
        measuring().filter(public_id=assignment_public_id).values_list("enrolment_id", flat=True)
    )
    enrolment_id = found.first()
    if enrolment_id is None:
        return False
    lock_enrolments(pk=enrolment_id)
    assignment = (
        measuring()
        .select_for_update(of=("self",))
        .select_related("clinic", "patient__clinic", "rule", "enrolment")
        .filter(public_id=assignment_public_id)
        .first()
    )
    if assignment is None or now < missed_from(assignment):
        return False
    changes = close(assignment, to=Assignment.Status.MISSED, now=now)
    queue_after_commit(changes)
    record_event(
        actor=SYSTEM,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ASSIGNMENT_MISSED,
        patient=assignment.patient,
        target=assignment,
        changes={"status": (Assignment.Status.OPEN, Assignment.Status.MISSED)},
        detail={
            "overdue_since": assignment.overdue_at,
            "after_days": assignment.clinic.questionnaire_missed_after_days,
            **changes.summary(),
        },
    )
    return True


def close_missed(*, now: datetime) -> int:
    """Close every open assignment of every clinic whose time has passed (each in its own
    transaction; one that fails, e.g. a deadlock PostgreSQL broke, is logged by its id and the
    sweep goes on). Returns how many were closed."""
    candidates = (
        measuring()
        .filter(overdue_at__lte=now - timedelta(days=MIN_DAYS))
        .select_related("clinic")
        .order_by("overdue_at", "id")
    )
    due = [a.public_id for a in candidates if now >= missed_from(a)]
    closed = 0
    for public_id in due:
        try:
            closed += close_if_missed(assignment_public_id=public_id, now=now)
        except DatabaseError:
            logger.exception("Could not close assignment %s as missed.", public_id)
    return closed
