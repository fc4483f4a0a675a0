"""Recording a session's pre-dose checklist and a prescriber's per-item overrides (issue 15.3).

Whether the checklist lets dosing start is decided in one place, ``rules.checklist`` through
``facts.checklist_of``; ``sessions.move`` asks it before a session's checks pass. Escort and the
no-driving instruction are recorded with ``sessions.record_escort`` (R-DC-1), the pre-dose blood
pressure with ``monitoring.record_vitals``; the rest of what staff find is recorded here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from django.db import IntegrityError, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import CheckAnswer, CheckOverride, DosingSession
from kapclinic.dosing.rules.checklist import LABELS, NEVER_OVERRIDDEN, Pregnancy
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services.facts import checklist_of, protocol_checks
from kapclinic.dosing.services.recording import record
from kapclinic.dosing.services.sessions import DosingError
from kapclinic.scheduling.protocols.definition import CheckItem

# The checks staff answer here (the others are read from the record).
YES_NO: Final = frozenset(
    {
        CheckItem.IDENTITY,
        CheckItem.MEDICATIONS,
        CheckItem.REMS_ENROLMENT,
        CheckItem.REMS_SETTING,
        CheckItem.REMS_PRESCRIBER,
        CheckItem.REMS_PULSE_OXIMETER,
    }
)
RECORDED: Final = YES_NO | {CheckItem.FASTING, CheckItem.PREGNANCY}
# The checklist is worked before the dose: not once it has passed or the session has moved on.
OPEN_STATES: Final = frozenset({State.BOOKED, State.CHECKED_IN, State.HELD})
RECORD_CAPABILITY: Final = Capability.RECORD_MEASUREMENTS
# Overriding a check is the prescriber's dosing decision, as clearing a safety hold is.
OVERRIDE_CAPABILITY: Final = Capability.CLEAR_SAFETY_HOLD
NEVER_WHY: Final = {
    CheckItem.IDENTITY: "the identity of the patient dosed is never overridden",
    CheckItem.CONSENT_ELIGIBILITY: "only a valid consent and a signed eligibility decision "
    "clear it",
    CheckItem.SAFETY: "only a prescriber's evaluation on the safety task clears it (R-OUT-5)",
    CheckItem.REMS_ENROLMENT: "the REMS blocks esketamine without it (R-REMS-1)",
    CheckItem.REMS_SETTING: "the REMS blocks esketamine without it (R-REMS-1)",
    CheckItem.REMS_PRESCRIBER: "the REMS blocks esketamine without it (R-REMS-2)",
    CheckItem.REMS_PULSE_OXIMETER: "the REMS blocks esketamine without it (R-REMS-2)",
}


def _open(session: DosingSession) -> None:
    if session.current not in OPEN_STATES:
        state = session.state.replace("_", " ")
        msg = f"The pre-dose checks are closed: the session is {state}."
        raise DosingError(msg)


def _item(session: DosingSession, value: str) -> CheckItem:
    try:
        item = CheckItem(value)
    except ValueError:
        msg = "There is no such pre-dose check."
        raise DosingError(msg) from None
    if item not in protocol_checks(session).items:
        msg = f"This session's protocol does not check '{LABELS[item]}'."
        raise DosingError(msg)
    return item


def _answer_of(item: CheckItem, answer: str) -> CheckAnswer.Answer:
    if item in YES_NO:
        allowed = {CheckAnswer.Answer.YES, CheckAnswer.Answer.NO}
    elif item is CheckItem.PREGNANCY:
        allowed = {CheckAnswer.Answer(p.value) for p in Pregnancy}
    else:
        allowed = {CheckAnswer.Answer.TIMES}
    found = next((a for a in allowed if a.value == answer), None)
    if found is None:
        words = " or ".join(sorted(a.label.lower() for a in allowed))
        msg = f"Answer {words}."
        raise DosingError(msg)
    return found


def _fasting_times(
    last_food_at: datetime | None, last_liquid_at: datetime | None, now: datetime
) -> None:
    if last_food_at is None or last_liquid_at is None:
        msg = "Give the time the patient last ate and the time they last drank."
        raise DosingError(msg)
    if last_food_at > now or last_liquid_at > now:
        msg = "The last meal and drink cannot be later than now."
        raise DosingError(msg)


def record_check(
    *,
    actor: Actor,
    session: DosingSession,
    item: str,
    answer: str,
    now: datetime,
    last_food_at: datetime | None = None,
    last_liquid_at: datetime | None = None,
) -> CheckAnswer:
    """Record what staff found for one pre-dose check (who and when), audited."""
    if not actor.can(RECORD_CAPABILITY):
        msg = "Only a nurse or a prescriber records pre-dose checks."
        raise DosingError(msg)
    if session.clinic_id != actor.current_clinic.pk:
        msg = "That session is not in your clinic."
        raise DosingError(msg)
    check = _item(session, item)
    if check not in RECORDED:
        msg = f"'{LABELS[check]}' is read from the record, not answered here."
        raise DosingError(msg)
    if check is CheckItem.FASTING:
        answer = CheckAnswer.Answer.TIMES.value
        _fasting_times(last_food_at, last_liquid_at, now)
    else:
        last_food_at = last_liquid_at = None
    value = _answer_of(check, answer)
    with transaction.atomic():
        locked = DosingSession.objects.select_for_update().get(pk=session.pk)
        _open(locked)
        stored = CheckAnswer.objects.create(
            session=locked,
            item=check.value,
            answer=value.value,
            last_food_at=last_food_at,
            last_liquid_at=last_liquid_at,
            recorded_by=actor.user,
            recorded_at=now,
        )
        record(
            actor=actor,
            action=DosingAuditAction.CHECK_RECORDED,
            session=locked,
            operation=Operation.CREATE,
            detail={"item": check.value},
        )
    return stored


def override_check(
    *, actor: Actor, session: DosingSession, item: str, reason: str, now: datetime
) -> CheckOverride:
    """A prescriber's documented decision that a check that did not pass does not block this
    dose (e.g. R-SCR-4's blood-pressure hold), with the reason; audited. Never for the items
    of ``rules.checklist.NEVER_OVERRIDDEN``."""
    if not actor.can(OVERRIDE_CAPABILITY):
        msg = "Only a prescriber overrides a pre-dose check."
        raise DosingError(msg)
    if session.clinic_id != actor.current_clinic.pk:
        msg = "That session is not in your clinic."
        raise DosingError(msg)
    check = _item(session, item)
    if check in NEVER_OVERRIDDEN:
        msg = f"'{LABELS[check]}' is never overridden: {NEVER_WHY[check]}."
        raise DosingError(msg)
    text = clean_reason(reason, error=DosingError)
    with transaction.atomic():
        locked = DosingSession.objects.select_for_update().get(pk=session.pk)
        _open(locked)
        result = next(r for r in checklist_of(locked, now).results if r.item is check)
        if result.clear:
            msg = f"'{LABELS[check]}' does not need an override: it is {result.status.value}."
            raise DosingError(msg.replace("not_applicable", "not applicable"))
        try:
            with transaction.atomic():
                stored = CheckOverride.objects.create(
                    session=locked,
                    item=check.value,
                    finding=result.reason[:400],
                    reason=text,
                    by=actor.user,
                    at=now,
                )
        except IntegrityError:
            msg = f"'{LABELS[check]}' is already overridden."
            raise DosingError(msg) from None
        record(
            actor=actor,
            action=DosingAuditAction.CHECK_OVERRIDDEN,
            session=locked,
            operation=Operation.CREATE,
            detail={"item": check.value, "status": result.status.value},
        )
    return stored
