"""The dosing session's one transition function (issue 15.1) and opening a session.

``move`` is the only writer of a session's state: it builds the guards from the record, asks
``rules.workflow.transition_problem``, records the move and audits it. Discharge goes through
``rules.discharge.unmet`` here, whichever page or API asks for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import Operation
from kapclinic.core.exceptions import DomainError
from kapclinic.core.reasons import clean_reason
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import DosingSession, SessionMove
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules import discharge
from kapclinic.dosing.rules.checklist import blocking_text
from kapclinic.dosing.rules.workflow import FINAL, Guards, State, transition_problem
from kapclinic.dosing.services.discharge import write_discharge_summary
from kapclinic.dosing.services.facts import Checklist, checklist_of, discharge_facts
from kapclinic.dosing.services.following import FollowError, follow_appointment
from kapclinic.dosing.services.recording import record
from kapclinic.scheduling.models import Appointment, ProtocolVersion
from kapclinic.scheduling.protocols.definition import Modality, SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol


class DosingError(DomainError):
    pass


class SessionHeldError(DosingError):
    """The checks did not pass and the session was held instead (R-SCR-4)."""

    def __init__(self, message: str, session: DosingSession) -> None:
        super().__init__(message)
        self.session = session


DRUG_OF: dict[Modality, Drug] = {
    Modality.ESKETAMINE_REMS: Drug.ESKETAMINE,
    Modality.RACEMIC_KETAMINE_OFF_LABEL: Drug.KETAMINE_IV,
    # KAP is given IM or sublingually; the dose order names the route (sublingual by default).
    Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY: Drug.KETAMINE_SL,
}


def _refuse(message: str) -> DosingError:
    return DosingError(message)


def open_session(*, actor: Actor, appointment: Appointment, now: datetime) -> DosingSession:
    """The dosing session of a booked dosing appointment (once per appointment)."""
    clinic = actor.current_clinic
    if appointment.clinic_id != clinic.pk:
        msg = "That appointment is not in your clinic."
        raise DosingError(msg)
    version: ProtocolVersion = appointment.course.protocol
    protocol = parse_protocol(version.document)
    session_type = next(
        (t for t in protocol.session_types if t.code == appointment.session_type), None
    )
    if session_type is None or session_type.kind != SessionKind.DOSING:
        msg = "Only a dosing appointment opens a dosing session."
        raise DosingError(msg)
    observation = next((p.minutes for p in session_type.phases if p.observation), 0)
    with transaction.atomic():
        session, created = DosingSession.objects.get_or_create(
            appointment=appointment,
            defaults={
                "clinic": clinic,
                "patient": appointment.patient,
                "drug": DRUG_OF[Modality(version.modality)],
                "state_changed_at": now,
                "minimum_observation_minutes": observation,
            },
        )
        if created:
            record(
                actor=actor,
                action=DosingAuditAction.SESSION_OPENED,
                session=session,
                operation=Operation.CREATE,
            )
    return session


def _guards(
    session: DosingSession, target: State, reason: str, now: datetime, checks: Checklist | None
) -> Guards:
    criteria = True
    if target == State.READY_FOR_DISCHARGE:
        unmet = discharge.unmet(discharge_facts(session), now)
        # R-REMS-4 is never overridden; the rest may be, by a prescriber with a reason.
        criteria = not unmet or (
            bool(session.discharge_override_reason) and all(u.overridable for u in unmet)
        )
    return Guards(
        # Issue 15.3: every item of the protocol's pre-dose checklist passed, was overridden by
        # a prescriber with a reason, or does not apply (rules.checklist).
        checks_passed_or_overridden=checks is not None and checks.clear,
        dose_recorded=session.doses.exists(),
        discharge_criteria_met_or_overridden=criteria,
        reason_given=bool(reason),
    )


def move(
    *,
    actor: Actor,
    session: DosingSession,
    target: State,
    now: datetime,
    reason: str = "",
    override_discharge: bool = False,
) -> DosingSession:
    """Move ``session`` to ``target``: the one transition function (issue 15.1).

    Moving to checks passed evaluates the pre-dose checklist (issue 15.3): a blood pressure
    above the protocol's hold (R-SCR-4) moves a checked-in session to held, with that reason,
    for a prescriber's documented decision, and the move asked for is refused."""
    text = clean_reason(reason, error=_refuse) if reason else ""
    held: str | None = None
    with transaction.atomic():
        locked = DosingSession.objects.select_for_update().get(pk=session.pk)
        if override_discharge:
            if not actor.can(Capability.CLEAR_SAFETY_HOLD):
                msg = "Only a prescriber overrides the discharge criteria."
                raise DosingError(msg)
            if not text:
                msg = "Say why the patient may leave before the criteria are met."
                raise DosingError(msg)
            locked.discharge_override_by = actor.user
            locked.discharge_override_reason = text
        checks = checklist_of(locked, now) if target == State.CHECKS_PASSED else None
        problem = transition_problem(
            locked.current, target, _guards(locked, target, text, now, checks)
        )
        if problem is not None and checks is not None and not checks.clear:
            held = checks.hold_reason
            if held is None or locked.current != State.CHECKED_IN:
                msg = f"{problem} {blocking_text(checks.results)}"
                raise DosingError(msg)
            target, text = State.HELD, held
        elif problem is not None:
            raise DosingError(problem)
        SessionMove.objects.create(
            session=locked,
            from_state=locked.state,
            to_state=target.value,
            at=now,
            by=actor.user,
            reason=text,
        )
        before = locked.state
        locked.state = target.value
        locked.state_changed_at = now
        locked.save()
        record(
            actor=actor,
            action=DosingAuditAction.SESSION_MOVED,
            session=locked,
            detail={"from": before, "to": target.value},
        )
        # Issue 15.1: the course's appointment and the measurement plan follow the session.
        try:
            follow_appointment(actor=actor, session=locked, target=target, reason=text, now=now)
        except FollowError as error:
            raise DosingError(error.message) from error
        if target == State.DISCHARGED:
            write_discharge_summary(locked, now)  # issue 15.7, R-DC-1, R-REMS-6
    if held is not None:
        # Committed: the hold stands, and the caller hears why the checks did not pass.
        msg = f"The session is held: {held}"
        raise SessionHeldError(msg, locked)
    return locked


def check_in(*, actor: Actor, appointment: Appointment, now: datetime) -> DosingSession:
    """The patient arrived for a dosing appointment: its session is opened (once) and moved to
    checked in, all or nothing (the appointment is marked attended by ``move``)."""
    with transaction.atomic():
        session = open_session(actor=actor, appointment=appointment, now=now)
        if session.current != State.BOOKED:
            return session  # checked in already (a second tap, another device)
        return move(actor=actor, session=session, target=State.CHECKED_IN, now=now)


def minutes_since(start: datetime | None, now: datetime) -> int | None:
    return None if start is None else int((now - start) / timedelta(minutes=1))


def attest_stable(*, actor: Actor, session: DosingSession, now: datetime) -> DosingSession:
    """R-REMS-4: a clinician attests that sedation, dissociation and breathing changes have
    resolved (needed before an esketamine patient may leave; nobody overrides it)."""
    if session.dosed_at is None:
        msg = "Attest stability after the dose, during observation."
        raise DosingError(msg)
    if session.current in FINAL:
        msg = "This session has ended."
        raise DosingError(msg)
    with transaction.atomic():
        session.stable_attested_by = actor.user
        session.save(update_fields=["stable_attested_by"])
        record(
            actor=actor,
            action=DosingAuditAction.STABILITY_ATTESTED,
            session=session,
            detail={"at": now.isoformat()},
        )
    return session


def record_escort(
    *,
    actor: Actor,
    session: DosingSession,
    escort_name: str,
    no_driving_acknowledged: bool,
    now: datetime,
) -> DosingSession:
    """R-DC-1: the responsible adult who takes the patient home, and the patient's
    acknowledgement of the no-driving instruction (R-REMS-6)."""
    name = escort_name.strip()
    if not name:
        msg = "Name the adult who takes the patient home."
        raise DosingError(msg)
    with transaction.atomic():
        session.escort_name = name
        if no_driving_acknowledged and session.no_driving_acknowledged_at is None:
            session.no_driving_acknowledged_at = now
        session.save(update_fields=["escort_name", "no_driving_acknowledged_at"])
        record(
            actor=actor,
            action=DosingAuditAction.SESSION_MOVED,
            session=session,
            detail={"escort": "recorded", "no_driving": no_driving_acknowledged},
        )
    return session
