"""Background jobs for measurement plans (Django tasks API; the database backend runs them)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from django.utils import timezone
from django_tasks import task

from kapclinic.measurement.assignments.state import LinkSend
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.plans.links import send_link_if_due

logger = logging.getLogger(__name__)


@task()
def send_link_when_due(*, assignment_public_id: str) -> int:
    """E-mail the assignment's one-time link if, when this runs, it is due and still unsent
    (``plans.links.send_link_if_due``); otherwise nothing. Idempotent: safe to run early, late or
    twice."""
    try:
        return send_link_if_due(assignment_public_id=UUID(assignment_public_id), now=timezone.now())
    except PlanError as error:  # it stays on the worklist; the message names no patient
        logger.warning(
            "The link of assignment %s was refused: %s", assignment_public_id, error.message
        )
        return 0


def enqueue_link_sends(sends: Sequence[LinkSend]) -> None:
    """Queue ``send_link_when_due`` for each assignment at its due time (registered as the
    link queuer of ``assignments.outbox``, which calls it after the assignments are committed).

    A backend that cannot defer (the immediate backend of tests and small installs) runs the job
    at once, which sends only what is already due; the ``sweep_measurement_plans`` sweep
    sends the rest. A failure to queue is logged, never raised: the assignment is stored and on
    the worklist, and the sweep catches it."""
    job = send_link_when_due
    defers = job.get_backend().supports_defer
    for send in sends:
        try:
            (job.using(run_after=send.due_at) if defers else job).enqueue(
                assignment_public_id=str(send.public_id)
            )
        except Exception:
            logger.exception("Could not queue the link of assignment %s.", send.public_id)
