"""Background work for measurement (Django tasks API; the database backend runs them)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

from django.utils import timezone
from django_tasks import task

from kapclinic.measurement.models import SafetyTask
from kapclinic.measurement.safety.services import URGENT, escalate_if_overdue, escalation_due_at

logger = logging.getLogger(__name__)


@task()
def escalate_safety_task(*, task_public_id: str) -> bool:
    """Escalate an urgent safety task to the clinic admins if, when this runs, it is overdue
    and still not acknowledged; otherwise nothing (idempotent: safe to run twice or early)."""
    return escalate_if_overdue(task_public_id=UUID(task_public_id), now=timezone.now())


def enqueue_escalations(tasks: Iterable[SafetyTask]) -> None:
    """Queue the escalation check of each urgent task for when it falls due (call after the
    tasks are committed: transaction.on_commit).

    A backend that cannot defer (the immediate backend of tests and small installs) runs the
    check at once, which finds nothing due; the ``escalate_overdue_safety_tasks`` sweep
    escalates those. A failure to queue is logged, never raised: the task itself is already
    stored and shown, and the sweep catches it."""
    for safety_task in tasks:
        if safety_task.severity != URGENT:
            continue
        job = escalate_safety_task
        if job.get_backend().supports_defer:
            job = job.using(run_after=escalation_due_at(safety_task))
        try:
            job.enqueue(task_public_id=str(safety_task.public_id))
        except Exception:
            logger.exception("Could not queue the escalation of safety task %s.", safety_task.pk)
