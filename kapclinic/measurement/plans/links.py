"""Questionnaire links e-mailed when they fall due, without anyone pressing "Send link".

An assignment of a ``link``-mode rule is sent once, by the system, as soon as its window opens
(``due_at``) and while it is still due: open, never sent, not started in the clinic, not yet
overdue, and the patient has an e-mail address. Two paths lead here, both idempotent:

- ``plans.jobs.send_link_when_due``, queued for ``due_at`` when the assignment is created,
  moved or opened again (``assignments.outbox``; the database task backend defers it);
- ``send_due_links``, the sweep behind ``manage.py sweep_measurement_plans``, run every few
  minutes from cron as the safety net for jobs that were lost or that a backend could not defer.

Both check under the row locks of the patient's due links (taken in id order), so a job and
the sweep running together send one e-mail; the patient's links due at the same time go in one
message. A link that falls overdue unsent (no e-mail address, no base URL) stays on the
worklist, where staff send it, give it in the clinic or cancel it with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.urls import reverse

from kapclinic.accounts.actor import SYSTEM
from kapclinic.measurement.assignments.state import OPEN_ENROLMENT, lock_enrolments, measuring
from kapclinic.measurement.exceptions import PlanError, UnknownInstrumentError
from kapclinic.measurement.licensing.selectors import instrument_for_clinic
from kapclinic.measurement.licensing.wording import unavailable_message
from kapclinic.measurement.models import Assignment, Mode
from kapclinic.measurement.plans.services import send_links

logger = logging.getLogger(__name__)


def absolute_link(token: str) -> str:
    """The one-time link's URL on the site's public origin (``settings.BASE_URL``)."""
    if not settings.BASE_URL:
        msg = (
            "KAPCLINIC_BASE_URL is not set, so links cannot be e-mailed automatically. Set it to "
            "the site's public address, or send links from the worklist."
        )
        raise PlanError(msg)
    return settings.BASE_URL + reverse("questionnaire-link", args=[token])


def _unsent(now: datetime) -> QuerySet[Assignment]:
    """Link-mode assignments due at ``now`` that nobody has sent or started."""
    return measuring().filter(
        mode=Mode.LINK,
        link_sent_at__isnull=True,
        assessment__isnull=True,
        due_at__lte=now,
        overdue_at__gt=now,
    )


@transaction.atomic
def send_link_if_due(*, assignment_public_id: UUID, now: datetime) -> int:
    """Send the assignment's link if it is due, unsent and the patient has an e-mail address,
    in one e-mail with the patient's other links due and unsent at ``now`` (baseline PHQ-9 and
    GAD-7 come as one message). Returns how many links were sent: 0 when the assignment was sent
    already, started, cancelled, moved later, overdue, has no address, or there is no base URL;
    it then stays on the worklist.

    Raises PlanError when the assignment's own instrument cannot be shown (its licensed wording
    not loaded in the clinic); the patient's other links are sent without it."""
    target = (
        _unsent(now)
        .filter(public_id=assignment_public_id, patient__email__gt="")
        .values_list("pk", "patient_id", "clinic_id", "instrument_code")
        .first()
    )
    if target is None:
        return 0
    if not settings.BASE_URL:
        logger.warning(
            "KAPCLINIC_BASE_URL is not set: the link of assignment %s was not sent.",
            assignment_public_id,
        )
        return 0
    pk, patient_id, clinic_id, code = target
    refusal = _cannot_be_shown(clinic_id, code)
    if refusal:
        raise PlanError(refusal)
    # The patient's open enrolment first, as the plan hooks and end_enrolment lock it; then all of
    # the patient's due links in id order (as send_links locks), checked again.
    lock_enrolments(patient_id=patient_id, status__in=OPEN_ENROLMENT)
    due = list(
        _unsent(now).select_for_update(of=("self",)).filter(patient_id=patient_id).order_by("id")
    )
    together = [a for a in due if not _cannot_be_shown(a.clinic_id, a.instrument_code)]
    if pk not in {a.pk for a in together}:
        return 0
    send_links(actor=SYSTEM, assignments=together, now=now, link_for=absolute_link)
    return len(together)


def _cannot_be_shown(clinic_id: int, instrument_code: str) -> str:
    """Why the instrument cannot be sent to a patient of the clinic ("" when it can): its
    licensed wording is not loaded there, or the code is unknown."""
    try:
        instrument = instrument_for_clinic(clinic_id, instrument_code)
    except UnknownInstrumentError:
        return f"There is no instrument {instrument_code!r}."
    return "" if instrument.has_texts else unavailable_message(instrument)


@dataclass(frozen=True)
class SweepResult:
    sent: int
    without_email: int  # due, but the patient has no e-mail address: staff must act
    refused: int = 0  # could not be sent (e.g. an instrument without its licensed wording)


def send_due_links(*, now: datetime) -> SweepResult:
    """Send every due, unsent link of every clinic (each in its own transaction). One that is
    refused (``send_link`` raised PlanError) is logged by its public id and counted, and the
    sweep goes on with the others.

    Raises PlanError when ``KAPCLINIC_BASE_URL`` is not set, before sending anything."""
    absolute_link("check")  # refuses early, with the message, when there is no base URL
    due = _unsent(now)
    without_email = due.filter(patient__email="").count()
    public_ids = list(
        due.exclude(patient__email="").order_by("due_at", "id").values_list("public_id", flat=True)
    )
    sent = refused = 0
    for public_id in public_ids:
        try:
            sent += send_link_if_due(assignment_public_id=public_id, now=now)
        except PlanError as error:
            refused += 1
            logger.warning("The link of assignment %s was refused: %s", public_id, error.message)
        except DatabaseError:  # e.g. a deadlock PostgreSQL broke: the next sweep tries again
            refused += 1
            logger.exception("Could not send the link of assignment %s.", public_id)
    return SweepResult(sent=sent, without_email=without_email, refused=refused)
