"""Background work for measurement plans (Django tasks API; the database backend runs them)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_questionnaire_link(
    *, recipient: str, urls: list[str], clinic_name: str, hours: int
) -> int:
    """E-mail a patient one message with one-time questionnaire links. Nothing about their care:
    no name, no diagnosis, no instrument; only the clinic's name, "short questionnaire(s)" and
    the links."""
    many = len(urls) > 1
    asked = f"{len(urls)} short questionnaires" if many else "a short questionnaire"
    works = "Each link works once" if many else "The link works once"
    again = "If one no longer works" if many else "If it no longer works"
    return send_mail(
        subject=f"{clinic_name}: {'short questionnaires' if many else 'a short questionnaire'} "
        "for you",
        message=(
            f"{clinic_name} asks you to fill in {asked}:\n\n"
            + "".join(f"{url}\n" for url in urls)
            + f"\n{works}, within {hours} hours. {again}, ask the clinic for a new one.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )


@task()
def send_link_when_due(*, assignment_public_id: str) -> int:
    """E-mail the assignment's one-time link if, when this runs, it is due and still unsent
    (``plans.links.send_link_if_due``); otherwise nothing. Idempotent: safe to run early, late or
    twice."""
    # plans.links imports plans.services, which imports this module: imported when the job runs.
    from kapclinic.measurement.exceptions import PlanError
    from kapclinic.measurement.plans.links import send_link_if_due

    try:
        return send_link_if_due(assignment_public_id=UUID(assignment_public_id), now=timezone.now())
    except PlanError as error:  # it stays on the worklist; the message names no patient
        logger.warning(
            "The link of assignment %s was refused: %s", assignment_public_id, error.message
        )
        return 0


def enqueue_link_sends(due: Iterable[tuple[UUID, datetime]]) -> None:
    """Queue ``send_link_when_due`` for each (assignment public id, due time) at its due time
    (call after the assignments are committed: transaction.on_commit).

    A backend that cannot defer (the immediate backend of tests and small installs) runs the job
    at once, which sends only what is already due; the ``sweep_measurement_plans`` sweep
    sends the rest. A failure to queue is logged, never raised: the assignment is stored and on
    the worklist, and the sweep catches it."""
    job = send_link_when_due
    defers = job.get_backend().supports_defer
    for public_id, due_at in due:
        try:
            (job.using(run_after=due_at) if defers else job).enqueue(
                assignment_public_id=str(public_id)
            )
        except Exception:
            logger.exception("Could not queue the link of assignment %s.", public_id)
