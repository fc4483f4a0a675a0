"""Vital signs and the alerts they raise (issue 15.5; R-ALR-*, R-COD-1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import AdverseEvent, DosingSession, SessionAlert, VitalsSet
from kapclinic.dosing.models.monitoring import CADSS_MAX
from kapclinic.dosing.rules import alerts, vitals
from kapclinic.dosing.rules.adverse import KIND_LABELS, OUTCOME_LABELS
from kapclinic.dosing.rules.vitals import VitalKind
from kapclinic.dosing.rules.workflow import FINAL, State
from kapclinic.dosing.services.recording import record
from kapclinic.dosing.services.sessions import DosingError


def _refuse(message: str) -> DosingError:
    return DosingError(message)


def _raise_new_alerts(actor: Actor, session: DosingSession, now: datetime) -> list[SessionAlert]:
    """Evaluate the session's readings so far; store each alert not raised before."""
    readings = [
        alerts.Reading(v.taken_at, v.readings()) for v in session.vitals.order_by("taken_at")
    ]
    found = alerts.vital_alerts(readings)
    latest = session.vitals.order_by("-taken_at", "-id").first()
    if latest is not None and latest.moaas is not None:
        sedation = alerts.sedation_alert(latest.moaas, latest.taken_at)
        if sedation is not None:
            found.append(sedation)
    if latest is not None and latest.cadss_total is not None:
        dissociation = alerts.dissociation_alert(latest.cadss_total, latest.taken_at)  # R-ALR-6
        if dissociation is not None:
            found.append(dissociation)
    raised = []
    for alert in found:
        try:
            with transaction.atomic():
                stored = SessionAlert.objects.create(
                    session=session,
                    rule_id=alert.rule_id,
                    severity=alert.severity.value,
                    text=alert.text,
                    raised_at=now,
                    reading_at=alert.at,
                )
        except IntegrityError:
            continue  # raised before for this reading (dosing_alert_once)
        record(
            actor=actor,
            action=DosingAuditAction.ALERT_RAISED,
            session=session,
            operation=Operation.CREATE,
            detail={"rule": alert.rule_id},
        )
        raised.append(stored)
    return raised


def record_vitals(
    *,
    actor: Actor,
    session: DosingSession,
    readings: dict[VitalKind, Decimal],
    taken_at: datetime,
    now: datetime,
    moaas: int | None = None,
    cadss_total: int | None = None,
) -> tuple[VitalsSet, list[SessionAlert]]:
    """Store a set of readings (impossible values refused, nothing stored) and raise the
    alerts they cause (R-ALR-1..6). Readings before the dose are the baseline (R-DC-2)."""
    problems = vitals.set_problems(readings)
    if not readings and moaas is None and cadss_total is None:
        problems.append("Enter at least one reading.")
    if moaas is not None and not 0 <= moaas <= 5:
        problems.append(f"MOAA/S is scored 0 to 5, not {moaas}.")
    if cadss_total is not None and not 0 <= cadss_total <= CADSS_MAX:
        problems.append(f"A CADSS total is 0 to {CADSS_MAX}, not {cadss_total}.")
    if taken_at > now:
        problems.append("A reading cannot be taken in the future.")
    if session.current in FINAL:
        problems.append("This session has ended: readings can no longer be added.")
    if problems:
        raise DosingError(" ".join(problems))
    with transaction.atomic():
        stored = VitalsSet.objects.create(
            session=session,
            taken_at=taken_at,
            recorded_by=actor.user,
            pre_dose=session.dosed_at is None
            and session.current in {State.BOOKED, State.CHECKED_IN, State.HELD},
            moaas=moaas,
            cadss_total=cadss_total,
            **{kind.value: value for kind, value in readings.items()},
        )
        record(
            actor=actor,
            action=DosingAuditAction.VITALS_RECORDED,
            session=session,
            operation=Operation.CREATE,
        )
        raised = _raise_new_alerts(actor, session, now)
    return stored, raised


def acknowledge_alert(
    *, actor: Actor, alert: SessionAlert, action_taken: str, now: datetime
) -> SessionAlert:
    """An alert stays on the console until someone records what they did about it."""
    text = clean_reason(action_taken, error=_refuse)
    with transaction.atomic():
        locked = SessionAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            msg = "This alert was already acknowledged."
            raise DosingError(msg)
        locked.acknowledged_by = actor.user
        locked.acknowledged_at = now
        locked.action_taken = text
        locked.save(update_fields=["acknowledged_by", "acknowledged_at", "action_taken"])
        record(
            actor=actor,
            action=DosingAuditAction.ALERT_ACKNOWLEDGED,
            session=locked.session,
            detail={"rule": locked.rule_id},
        )
    return locked


def record_adverse_event(
    *,
    actor: Actor,
    session: DosingSession,
    kind: str,
    onset_at: datetime,
    interventions: str,
    outcome: str,
    now: datetime,
    description: str = "",
    serious: bool = False,
    alert: SessionAlert | None = None,
) -> AdverseEvent:
    """An adverse event of the session (issue 15.5), with what was done and how it ended; an
    alert that implied it (R-ALR-5) is linked so it stops prompting."""
    problems = []
    if kind not in {k.value for k in KIND_LABELS}:
        problems.append("Choose what happened.")
    if outcome not in {o.value for o in OUTCOME_LABELS}:
        problems.append("Choose how it ended (or that it is ongoing).")
    if onset_at > now:
        problems.append("An adverse event cannot start in the future.")
    if alert is not None and alert.session_id != session.pk:
        problems.append("That alert belongs to another session.")
    text = interventions.strip()
    if not text:
        problems.append("Say what was done (write 'none' if nothing was needed).")
    if problems:
        raise DosingError(" ".join(problems))
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            session=session,
            kind=kind,
            onset_at=onset_at,
            description=description.strip(),
            interventions=text,
            outcome=outcome,
            serious=serious,
            alert=alert,
            recorded_by=actor.user,
            recorded_at=now,
        )
        record(
            actor=actor,
            action=DosingAuditAction.ADVERSE_EVENT_RECORDED,
            session=session,
            operation=Operation.CREATE,
            detail={"kind": kind, "serious": serious},
        )
    return event
