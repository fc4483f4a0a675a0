"""Writes about questionnaire responses: start, save answers, complete (score, store, raise
safety tasks), amend, mark entered in error, and one-time links for the patient's phone.

Every write runs in one transaction with its audit entry. A completed response is immutable:
corrections create an amended version that points at the original.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final
from uuid import UUID

from django.db import transaction

from kapclinic.accounts.actor import PATIENT_BY_LINK, Actor, AnyActor
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.assignments.outbox import queue_after_commit
from kapclinic.measurement.assignments.state import (
    follow_amendment,
    lock_answering,
    mark_answered,
    open_to_answer,
    release_withdrawn,
)
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.auditing import record_event
from kapclinic.measurement.exceptions import (
    AssessmentError,
    InvalidAnswersError,
    LinkRefusedError,
)
from kapclinic.measurement.instruments import Instrument
from kapclinic.measurement.instruments.alerts import alerts
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.instruments.scoring import ScoreResult, score
from kapclinic.measurement.instruments.skiplogic import check_answers, visible_items
from kapclinic.measurement.licensing.selectors import instrument_for_clinic
from kapclinic.measurement.licensing.wording import unavailable_message
from kapclinic.measurement.models import Assessment, AssessmentLink, Mode, Occasion, SafetyTask
from kapclinic.measurement.safety.jobs import enqueue_escalations
from kapclinic.patients.models import Patient

LINK_LIFETIME: Final = timedelta(hours=72)
MIN_REASON_LENGTH: Final = 10


def instrument_of(assessment: Assessment) -> Instrument:
    """The response's instrument version as its clinic gives it (with its licensed wording)."""
    return instrument_for_clinic(
        assessment.clinic_id, assessment.instrument_code, assessment.instrument_version
    )


def _audit(
    assessment: Assessment,
    *,
    actor: AnyActor,
    operation: Operation,
    action: MeasurementAuditAction,
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_event(
        actor=actor,
        operation=operation,
        action=action,
        patient=assessment.patient,
        target=assessment,
        changes=changes,
        detail=detail,
    )


@transaction.atomic
def start_assessment(
    *,
    actor: AnyActor,
    patient: Patient,
    instrument_code: str,
    mode: Mode,
    occasion: Occasion = Occasion.AD_HOC,
    session_ref: UUID | None = None,
) -> Assessment:
    """Open an empty response to the current version of ``instrument_code`` for ``patient``.

    Raises AssessmentError when the instrument's wording is licensed and the patient's clinic
    has not loaded it (it cannot be shown to anyone) or the patient record was merged away."""
    instrument = _administrable(instrument_code, patient)
    assessment = Assessment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        mode=mode,
        occasion=occasion,
        session_ref=session_ref,
        started_by=actor.user,
    )
    _audit(
        assessment,
        actor=actor,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.STARTED,
        detail={"instrument": instrument.code, "version": instrument.version, "mode": mode},
    )
    return assessment


def _administrable(instrument_code: str, patient: Patient) -> Instrument:
    """The current version of the instrument, if it can be given to ``patient``.

    Raises AssessmentError when the instrument's wording is licensed and the patient's clinic
    has not loaded it (it cannot be shown to anyone) or the patient record was merged away."""
    instrument = instrument_for_clinic(patient.clinic_id, instrument_code)
    if not instrument.has_texts:
        raise AssessmentError(unavailable_message(instrument))
    if patient.merged_into_id is not None:
        msg = "This record was merged into another: use the surviving record."
        raise AssessmentError(msg)
    return instrument


def _locked(assessment: Assessment) -> Assessment:
    # patient__clinic: the audit entry names the patient's clinic (no query per write for it).
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "clinic")
        .get(pk=assessment.pk)
    )


def parse_answers(instrument: Instrument, raw: Mapping[str, str]) -> dict[str, int]:
    """Form values {item id: "2"} → {item id: 2}; blanks are left out. Raises AssessmentError
    for text that is not a whole number (the engine checks the values themselves)."""
    answers: dict[str, int] = {}
    bad: list[str] = []
    for item in instrument.items:
        value = raw.get(item.id, "")
        if value == "":
            continue
        try:
            answers[item.id] = int(value)
        except ValueError:
            bad.append(item.id)
    if bad:
        msg = "Choose one of the answers offered."
        raise AssessmentError(msg, items=bad)
    return answers


def _checked(instrument: Instrument, answers: Mapping[str, int]) -> dict[str, int]:
    """Only the answers the skip logic still asks (a changed gate question drops the answers
    it no longer asks), each one checked against its options."""
    asked = {item.id for item in visible_items(instrument, answers)}
    kept = {k: v for k, v in answers.items() if k in asked}
    try:
        check_answers(instrument, kept)
    except InvalidAnswersError as error:
        raise AssessmentError(str(error)) from error
    return kept


@transaction.atomic
def save_answers(
    *,
    actor: AnyActor,
    assessment: Assessment,
    answers: Mapping[str, int],
) -> Assessment:
    """Merge ``answers`` into an in-progress response (partial answers are kept).

    Raises AssessmentError for a response that is no longer in progress or an invalid answer."""
    assessment = _locked(assessment)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        msg = "This questionnaire is already finished: it cannot be changed."
        raise AssessmentError(msg)
    instrument = instrument_of(assessment)
    merged = _checked(instrument, {**assessment.answers, **answers})
    if merged == assessment.answers:
        return assessment
    old = dict(assessment.answers)
    assessment.answers = merged
    assessment.save(update_fields=["answers", "updated_at"])
    _audit(
        assessment,
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ANSWERS_SAVED,
        changes={k: (old.get(k), v) for k, v in merged.items() if old.get(k) != v},
    )
    return assessment


def unanswered(instrument: Instrument, answers: Mapping[str, int]) -> list[str]:
    """Asked, required items still blank (what stops a response from being completed)."""
    return [
        item.id
        for item in visible_items(instrument, answers)
        if item.id not in answers and not item.optional
    ]


def _complete(instrument: Instrument, answers: Mapping[str, int]) -> dict[str, int]:
    """The checked answers (``_checked``) if they answer every required item asked.

    Raises AssessmentError naming the items still unanswered."""
    merged = _checked(instrument, answers)
    missing = unanswered(instrument, merged)
    if missing:
        labels = ", ".join(instrument.item(i).label for i in missing)
        msg = f"Please answer every question: {labels}."
        raise AssessmentError(msg, items=missing)
    return merged


def store_score(assessment: Assessment, result: ScoreResult) -> None:
    """Copy the engine's result onto the response (total, band, category, named scores, rule)."""
    assessment.total = result.total
    assessment.band = result.band.code if result.band else ""
    assessment.category = result.category or ""
    assessment.scores = {
        "scores": dict(result.scores),
        "band_label": result.band.label if result.band else "",
        "flags": dict(result.flags),
        "missing_items": list(result.missing_items),
        "refused_reason": result.refused_reason,
        "rule": {"id": result.rule.id, "text": result.rule.text},
    }


def _raise_safety_tasks(assessment: Assessment, instrument: Instrument, now: datetime) -> int:
    fired = alerts(instrument, assessment.answers)
    tasks = [
        SafetyTask(
            patient=assessment.patient,
            clinic=assessment.clinic,
            assessment=assessment,
            rule_id=a.rule_id,
            severity=str(a.severity),
            message=a.message,
            triggered_by=[list(pair) for pair in a.triggered_by],
            created_at=now,
        )
        for a in fired
    ]
    SafetyTask.objects.bulk_create(tasks)
    # Escalation to the clinic admins when nobody acknowledges in time (safety/services.py).
    transaction.on_commit(partial(enqueue_escalations, tasks))
    return sum(1 for a in fired if a.severity is AlertSeverity.URGENT)


@dataclass(frozen=True)
class Completion:
    assessment: Assessment
    urgent_alerts: int  # how many urgent safety tasks the answers raised


@transaction.atomic
def complete_assessment(
    *,
    actor: AnyActor,
    assessment: Assessment,
    answers: Mapping[str, int] | None = None,
    now: datetime,
) -> Completion:
    """Save the last ``answers``, score the response and freeze it; raise a safety task for
    every alert rule the answers fire (in this transaction, so no alert is ever lost).

    Raises AssessmentError naming the required items still unanswered (nothing is completed)."""
    lock_answering(assessment)  # its plan assignment first: the lock order of every path
    assessment = _locked(assessment)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        msg = "This questionnaire is already finished."
        raise AssessmentError(msg)
    instrument = instrument_of(assessment)
    merged = _complete(instrument, {**assessment.answers, **(answers or {})})
    assessment.answers = merged
    store_score(assessment, score(instrument, merged))
    assessment.status = Assessment.Status.COMPLETED
    assessment.completed_at = now
    assessment.save()
    urgent = _raise_safety_tasks(assessment, instrument, now)
    # Its plan assignment; completing it may schedule the next follow-up, e-mailed when due.
    queue_after_commit(mark_answered(actor=actor, assessment=assessment, now=now))
    _audit(
        assessment,
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.COMPLETED,
        changes={"status": (Assessment.Status.IN_PROGRESS, Assessment.Status.COMPLETED)},
        detail={"total": assessment.total, "band": assessment.band, "urgent_alerts": urgent},
    )
    return Completion(assessment=assessment, urgent_alerts=urgent)


@transaction.atomic
def record_response(
    *,
    actor: Actor,
    patient: Patient,
    instrument_code: str,
    mode: Mode,
    occasion: Occasion | None,
    answers: Mapping[str, int],
    now: datetime,
    session_ref: UUID | None = None,
    assignment_id: UUID | None = None,
) -> Completion:
    """Record a response given whole (the JSON API, a paper form typed in): checked, scored
    and stored completed in one row, its safety tasks raised, and one audit entry
    ("measurement.recorded") for what ``start_assessment`` and ``complete_assessment`` would
    audit in two. ``occasion`` None is an ad hoc response.

    With ``assignment_id`` it answers that open plan assignment of the patient instead (see
    ``_record_for_assignment``): the assignment's occasion and session, and it is completed.

    Raises AssessmentError, and stores nothing, for what either of those would refuse: an
    instrument whose licensed wording the clinic has not loaded, a merged record, an invalid
    answer, or a required item unanswered (named)."""
    if assignment_id is not None:
        return _record_for_assignment(
            actor=actor,
            patient=patient,
            instrument_code=instrument_code,
            occasion=occasion,
            answers=answers,
            now=now,
            assignment_id=assignment_id,
        )
    occasion = occasion or Occasion.AD_HOC
    instrument = _administrable(instrument_code, patient)
    merged = _complete(instrument, answers)
    assessment = Assessment(
        patient=patient,
        clinic=patient.clinic,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        status=Assessment.Status.COMPLETED,
        mode=mode,
        occasion=occasion,
        session_ref=session_ref,
        answers=merged,
        started_by=actor.user,
        completed_at=now,
    )
    store_score(assessment, score(instrument, merged))
    assessment.save(force_insert=True)
    urgent = _raise_safety_tasks(assessment, instrument, now)
    # No plan assignment can point at a response created just now: nothing to mark answered.
    _audit(
        assessment,
        actor=actor,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.RECORDED,
        detail={
            "instrument": instrument.code,
            "version": instrument.version,
            "mode": mode,
            "total": assessment.total,
            "band": assessment.band,
            "urgent_alerts": urgent,
        },
    )
    return Completion(assessment=assessment, urgent_alerts=urgent)


def _record_for_assignment(
    *,
    actor: Actor,
    patient: Patient,
    instrument_code: str,
    occasion: Occasion | None,
    answers: Mapping[str, int],
    now: datetime,
    assignment_id: UUID,
) -> Completion:
    """Answer an open plan assignment with a whole response: the response it already has in
    progress (a link sent, or started in the clinic) is completed with ``answers``, or a new one
    is started with the assignment's occasion and session; either way the assignment is
    completed (``complete_assessment``). Audited as those two steps are."""
    assignment = open_to_answer(
        patient=patient, public_id=assignment_id, instrument_code=instrument_code
    )
    if assignment is None:
        msg = (
            "No open questionnaire with that assignment id for this patient and instrument: it "
            "may have been answered or cancelled already."
        )
        raise AssessmentError(msg)
    if occasion is not None and occasion != assignment.occasion:
        msg = (
            f"The assignment is for the occasion {assignment.occasion!r}, not {occasion!r}: "
            "leave the occasion out, or send the assignment's."
        )
        raise AssessmentError(msg)
    current = assignment.assessment
    if current is None or current.status != Assessment.Status.IN_PROGRESS:
        current = start_assessment(
            actor=actor,
            patient=patient,
            instrument_code=instrument_code,
            mode=Mode.STAFF,
            occasion=Occasion(assignment.occasion),
            session_ref=assignment.session_ref,
        )
        assignment.assessment = current
        assignment.save(update_fields=["assessment", "updated_at"])
        record_event(
            actor=actor,
            operation=Operation.UPDATE,
            action=MeasurementAuditAction.ASSIGNMENT_STARTED,
            patient=patient,
            target=assignment,
            detail={"assessment": str(current.public_id)},
        )
    return complete_assessment(actor=actor, assessment=current, answers=answers, now=now)


@transaction.atomic
def amend_assessment(
    *,
    actor: Actor,
    original: Assessment,
    answers: Mapping[str, int],
    reason: str,
    now: datetime,
) -> Assessment:
    """Correct a completed response: a new completed response with the corrected answers that
    ``amends`` the original (which turns ``amended`` and stays). Alerts are raised anew for the
    corrected answers. The plan assignment the original answered names the amended version.

    Raises AssessmentError for a response that is not completed, a short reason, or answers
    that do not complete the instrument."""
    reason = clean_reason(reason, minimum=MIN_REASON_LENGTH, error=AssessmentError)
    lock_answering(original)
    original = _locked(original)
    if original.status != Assessment.Status.COMPLETED:
        msg = "Only a completed response can be amended."
        raise AssessmentError(msg)
    instrument = instrument_of(original)
    merged = _complete(instrument, dict(answers))
    original.status = Assessment.Status.AMENDED
    original.save(update_fields=["status", "updated_at"])
    amended = Assessment(
        patient=original.patient,
        clinic=original.clinic,
        instrument_code=original.instrument_code,
        instrument_version=original.instrument_version,
        status=Assessment.Status.COMPLETED,
        mode=original.mode,
        occasion=original.occasion,
        session_ref=original.session_ref,
        answers=merged,
        started_by=actor.user,
        completed_at=original.completed_at,  # the answers describe that moment, not now
        amends=original,
        amendment_reason=reason,
    )
    store_score(amended, score(instrument, merged))
    amended.save()
    _raise_safety_tasks(amended, instrument, now)
    _audit(
        amended,
        actor=actor,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.AMENDED,
        changes={k: (original.answers.get(k), v) for k, v in merged.items()},
        detail={"amends": str(original.public_id), "reason": reason},
    )
    follow_amendment(actor=actor, original=original, amended=amended)
    return amended


@transaction.atomic
def enter_in_error(*, actor: Actor, assessment: Assessment, reason: str) -> Assessment:
    """Withdraw a response recorded by mistake (wrong patient, test entry): kept, not counted.
    The plan assignment it answered, if any, is open again (``release_withdrawn``)."""
    reason = clean_reason(reason, minimum=MIN_REASON_LENGTH, error=AssessmentError)
    lock_answering(assessment)
    assessment = _locked(assessment)
    if assessment.status in (Assessment.Status.ENTERED_IN_ERROR, Assessment.Status.AMENDED):
        msg = "This response no longer counts already."
        raise AssessmentError(msg)
    old = assessment.status
    assessment.status = Assessment.Status.ENTERED_IN_ERROR
    assessment.status_reason = reason
    if assessment.completed_at is None:
        assessment.completed_at = assessment.updated_at
    assessment.save(update_fields=["status", "status_reason", "completed_at", "updated_at"])
    _audit(
        assessment,
        actor=actor,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.ENTERED_IN_ERROR,
        changes={"status": (old, assessment.status)},
        detail={"reason": reason},
    )
    queue_after_commit(release_withdrawn(actor=actor, assessment=assessment, reason=reason))
    return assessment


# --- one-time links --------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_link(
    *,
    actor: AnyActor,
    assessment: Assessment,
    now: datetime,
    lifetime: timedelta = LINK_LIFETIME,
) -> str:
    """A new one-time link token for an in-progress response (earlier links to it stop
    working). Returns the token, which is shown or sent once and stored only as a hash."""
    assessment = _locked(assessment)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        msg = "This questionnaire is already finished: no link is needed."
        raise AssessmentError(msg)
    AssessmentLink.objects.filter(assessment=assessment, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    link = AssessmentLink.objects.create(
        assessment=assessment,
        token_hash=hash_token(token),
        created_by=actor.user,
        created_at=now,
        expires_at=now + lifetime,
    )
    _audit(
        assessment,
        actor=actor,
        operation=Operation.CREATE,
        action=MeasurementAuditAction.LINK_ISSUED,
        detail={"link": str(link.public_id), "expires_at": link.expires_at.isoformat()},
    )
    return token


@transaction.atomic
def open_link(token: str, *, now: datetime) -> Assessment:
    """The response a one-time link leads to, marking the link used on first opening.

    Raises LinkRefusedError, with the same words for every case so a guess learns nothing,
    when the token is unknown, revoked, expired, already opened, or its response finished."""
    link = (
        AssessmentLink.objects.select_for_update(of=("self",))
        .select_related("assessment__patient", "assessment__clinic")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if (
        link is None
        or link.revoked_at is not None
        or link.opened_at is not None
        or link.expires_at <= now
        or link.assessment.status != Assessment.Status.IN_PROGRESS
    ):
        msg = "This link no longer works: links work once and expire. Ask the clinic for a new one."
        raise LinkRefusedError(msg)
    link.opened_at = now
    link.save(update_fields=["opened_at"])
    _audit(
        link.assessment,
        actor=PATIENT_BY_LINK,
        operation=Operation.READ,
        action=MeasurementAuditAction.LINK_OPENED,
        detail={"link": str(link.public_id)},
    )
    return link.assessment
