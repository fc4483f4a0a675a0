"""The dose (issue 15.4): checked with its arithmetic, recorded, and debited from the
controlled-substance ledger in the same transaction through the ledger's one administration
call (``kapclinic.ledger.services.record_administration``; ADR 0009)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.dosing.audit_actions import DosingAuditAction
from kapclinic.dosing.models import Administration, DosingSession
from kapclinic.dosing.models.sessions import ROUTES_OF, Drug, Route
from kapclinic.dosing.rules import dose
from kapclinic.dosing.rules.dose import DoseCheck, Verdict
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services.recording import record
from kapclinic.dosing.services.sessions import DosingError
from kapclinic.ledger import services as ledger
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import Lot, StockAccount, Substance
from kapclinic.patients.selectors import latest_weight_kg


def _refuse(message: str) -> DosingError:
    return DosingError(message)


def check_dose(session: DosingSession, dose_mg: Decimal, *, on: datetime) -> DoseCheck:
    """The dose check the prescriber sees before confirming (R-IV-1 or R-ESK-1/2/5)."""
    patient = session.patient
    if session.drug == Drug.ESKETAMINE:
        if dose_mg != dose_mg.to_integral_value():
            return DoseCheck(Verdict.BLOCK, "", "Esketamine doses are whole milligrams.", "R-ESK-5")
        earlier = Administration.objects.filter(
            session__patient=patient, session__drug=Drug.ESKETAMINE
        ).exclude(session=session)
        return dose.esketamine(
            int(dose_mg), first_dose=not earlier.exists(), age=patient.age_on(on.date())
        )
    weight = latest_weight_kg(patient)
    return dose.weight_based(dose_mg, weight or Decimal(0))


def record_dose(
    *,
    actor: Actor,
    session: DosingSession,
    lot: Lot,
    account: StockAccount,
    dose_mg: str | Decimal,
    started_at: datetime,
    ended_at: datetime,
    now: datetime,
    containers_emptied: int = 0,
    confirm_warning: str = "",
    route: str = "",
) -> Administration:
    """Record the dose given and debit the ledger, all or nothing. A blocked dose is refused; a
    warned one needs the prescriber's written confirmation."""
    try:
        quantity = Decimal(str(dose_mg).strip())
    except InvalidOperation as error:
        msg = f"'{dose_mg}' is not a dose in milligrams."
        raise DosingError(msg) from error
    if session.current != State.DOSING:
        msg = "Record the dose while the session is dosing."
        raise DosingError(msg)
    if ended_at < started_at or ended_at > now:
        msg = "The dose ends after it starts, and not in the future."
        raise DosingError(msg)
    substance = Substance.ESKETAMINE if session.drug == Drug.ESKETAMINE else Substance.KETAMINE
    if lot.product.substance != substance:
        msg = f"This session gives {session.get_drug_display().lower()}: pick a lot of it."
        raise DosingError(msg)
    allowed = ROUTES_OF[session.drug]
    given_route = Route(route) if route in Route.values else None
    if route and (given_route is None or given_route not in allowed):
        names = " or ".join(r.label.lower() for r in allowed)
        msg = f"This session's drug is given {names}."
        raise DosingError(msg)
    check = check_dose(session, quantity, on=started_at)
    if check.verdict == Verdict.BLOCK:
        msg = f"{check.message} ({check.rule_id}) {check.arithmetic}".strip()
        raise DosingError(msg)
    if session.drug == Drug.ESKETAMINE:
        spacing = dose.devices_spacing_problem(int(quantity), started_at, ended_at)
        if spacing is not None:
            raise DosingError(spacing)
    confirmation = ""
    if check.verdict == Verdict.WARN:
        # R-IV-1: a dose in the warning band is given only on the prescriber's written word.
        if not actor.can(Capability.CLEAR_SAFETY_HOLD):
            msg = f"{check.message} ({check.rule_id}) A prescriber confirms this dose in writing."
            raise DosingError(msg)
        confirmation = clean_reason(confirm_warning, error=_refuse)
    with transaction.atomic():
        try:
            entry = ledger.record_administration(
                actor=actor,
                account=account,
                lot=lot,
                patient=session.patient,
                mg=quantity,
                containers_emptied=containers_emptied,
                administered_by=actor.user,
                occurred_at=started_at,
                source_key=f"dosing-session:{session.public_id}:{started_at.isoformat()}",
                now=now,
            )
        except LedgerError as error:
            raise DosingError(error.message) from error
        earlier = Administration.objects.filter(ledger_entry=entry).first()
        if earlier is not None:
            return earlier  # a retried call: the ledger returned the same entry
        given = Administration.objects.create(
            session=session,
            lot=lot,
            account=account,
            dose_mg=quantity,
            route=(given_route or allowed[0]).value,
            started_at=started_at,
            ended_at=ended_at,
            administered_by=actor.user,
            ledger_entry=entry,
            arithmetic=check.arithmetic,
            confirmed_warning=confirmation,
        )
        if session.dosed_at is None:
            session.dosed_at = started_at
            session.save(update_fields=["dosed_at"])
        record(
            actor=actor,
            action=DosingAuditAction.DOSE_RECORDED,
            session=session,
            operation=Operation.CREATE,
            detail={"ledger_entry": str(entry.public_id)},
        )
    return given
