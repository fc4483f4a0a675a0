"""Questionnaires nobody answered: closed as missed, so the worklist keeps what can still be done.

An open assignment still unanswered ``Clinic.questionnaire_missed_after_days`` after it turned
overdue (default 7) is closed as ``missed`` by the plan sweep (``manage.py
sweep_measurement_plans``). It leaves the worklist and the chart's due list, stays in the record
as missed, and a missed monthly follow-up schedules the next one (``plan_assignments.close``), so
the follow-up chain never stops. Without the sweep nothing is lost: the questionnaire stays
overdue on the worklist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from django.db import transaction

from kapclinic.audit.models import Operation
from kapclinic.measurement.models import Assignment
from kapclinic.measurement.plan_assignments import close, record_event

# The shortest a clinic may set (accounts.Clinic): nothing younger is even looked at.
MIN_DAYS: Final = 1


def _missed_from(assignment: Assignment) -> datetime:
    return assignment.overdue_at + timedelta(days=assignment.clinic.questionnaire_missed_after_days)


@transaction.atomic
def close_if_missed(*, assignment_public_id: UUID, now: datetime) -> bool:
    """Close the assignment as missed if it is still open and its clinic's time for it has
    passed; otherwise nothing. Audited ("measurement.assignment_missed", no actor)."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient__clinic", "rule", "enrolment")
        .filter(public_id=assignment_public_id, status=Assignment.Status.OPEN)
        .first()
    )
    if assignment is None or now < _missed_from(assignment):
        return False
    changes = close(assignment, to=Assignment.Status.MISSED, now=now)
    record_event(
        actor=None,
        roles=(),
        operation=Operation.UPDATE,
        action="measurement.assignment_missed",
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
    transaction). Returns how many were closed."""
    candidates = Assignment.objects.filter(
        status=Assignment.Status.OPEN, overdue_at__lte=now - timedelta(days=MIN_DAYS)
    ).select_related("clinic")
    due = [a.public_id for a in candidates.order_by("overdue_at", "id") if now >= _missed_from(a)]
    return sum(close_if_missed(assignment_public_id=p, now=now) for p in due)
