"""Counts, inventories, discrepancies and the DEA tasks (issue 14.4; R-CS-5, R-CS-7).

A count is blind and taken by two people: the lines are typed without the expected balance,
and the second counter signs with their own credentials when it is submitted. Only then, under
the account's lock (no entry slips in between), are the expected balances read from the
running balances and stored on each line; a lot with a balance and no line counts as zero,
and every line that differs opens a discrepancy. A discrepancy is closed with a finding
(R-CS-7); a theft or significant loss raises the DEA's written notice (end of the next business
day) and Form 106 (45 days) as compliance tasks. Entries are posted through the ledger's own
services (``adjust``), never written here. Every refusal raises ``LedgerError`` and writes
nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from kapclinic.accounts.actor import Actor, AnyActor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.chaining import locked_head
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason
from kapclinic.ledger import services as ledger
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.counts import selectors
from kapclinic.ledger.counts.policy import end_of_day, line_problems
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import (
    ComplianceTask,
    CountLine,
    Discrepancy,
    Lot,
    StockAccount,
    StockCount,
)
from kapclinic.ledger.quantities import Quantity, QuantityError, parse_mg
from kapclinic.ledger.rules import biennial_inventory_due, form_106_due, next_business_day_end
from kapclinic.ledger.services.posting import product_facts
from kapclinic.ledger.trail import LEDGER_TRAIL
from kapclinic.scheduling.availability import closures_between

INITIAL_INVENTORY_REASON = "Initial inventory (R-CS-5)"
Finding = Discrepancy.Finding


def _refuse(message: str) -> LedgerError:
    return LedgerError([message])


def _may(actor: Actor, capability: Capability) -> None:
    if not actor.can(capability):
        msg = "Your role in this clinic does not allow this."
        raise _refuse(msg)


def _audit(
    actor: AnyActor, clinic: Clinic, action: LedgerAuditAction, target: object, **detail: object
) -> None:
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=action,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(target),
        detail={key: str(value) for key, value in detail.items()},
    )


def _in_clinic(actor: Actor, account: StockAccount) -> Clinic:
    clinic = actor.current_clinic
    if account.clinic_id != clinic.pk:
        msg = "That stock is not in your clinic."
        raise _refuse(msg)
    return clinic


def start_count(
    *,
    actor: Actor,
    account: StockAccount,
    kind: StockCount.Kind,
    moment: StockCount.Moment,
    now: datetime,
) -> StockCount:
    """A count of ``account`` begins (R-CS-5 records whether at opening or close of business)."""
    _may(actor, Capability.COUNT_STOCK)
    clinic = _in_clinic(actor, account)
    if not account.is_active:
        msg = f"{account} is closed: it is not counted any more."
        raise _refuse(msg)
    with transaction.atomic():
        count = StockCount.objects.create(
            account=account,
            kind=StockCount.Kind(kind),
            moment=StockCount.Moment(moment),
            counted_by=actor.user,
            counted_by_label=actor.user.display_name,
            started_at=now,
        )
        _audit(actor, clinic, LedgerAuditAction.COUNT_STARTED, count, kind=kind)
    return count


def _counted(lot: Lot, mg: Decimal | str | None, units: int) -> Quantity:
    """The counted quantity: milligrams as typed, or left blank for full containers."""
    if mg is None or (isinstance(mg, str) and not mg.strip()):
        return Quantity(units * lot.product.mg_per_unit, units)
    try:
        return Quantity(parse_mg(mg), units)
    except QuantityError as error:
        raise _refuse(str(error)) from error


def record_line(
    *,
    actor: Actor,
    count: StockCount,
    lot: Lot,
    counted_mg: Decimal | str | None,
    counted_units: int,
    estimated: bool,
    now: datetime,
) -> CountLine:
    """What the counters found of ``lot`` (typed again, it replaces the earlier line until the
    count is submitted). ``counted_mg`` None: every container counted is full."""
    _may(actor, Capability.COUNT_STOCK)
    clinic = _in_clinic(actor, count.account)
    if lot.product.clinic_id != clinic.pk:
        msg = "That lot is not in your clinic."
        raise _refuse(msg)
    counted = _counted(lot, counted_mg, counted_units)
    problems = line_problems(product_facts(lot), counted, estimated=estimated)
    if problems:
        raise LedgerError(problems)
    with transaction.atomic():
        current = StockCount.objects.select_for_update().get(pk=count.pk)
        if current.status != StockCount.Status.IN_PROGRESS:
            msg = "This count has been submitted: its lines can no longer change."
            raise _refuse(msg)
        line, _ = CountLine.objects.update_or_create(
            count=current,
            lot=lot,
            defaults={
                "counted_mg": counted.mg,
                "counted_units": counted.units,
                "estimated": estimated,
            },
        )
        _audit(actor, clinic, LedgerAuditAction.COUNT_LINE_RECORDED, current, lot=lot.public_id)
    return line


def _post_initial_inventory(actor: Actor, count: StockCount, now: datetime) -> None:
    """R-CS-5: an account's first inventory, before any entry, opens its balances: one
    adjustment per counted lot, posted by the ledger's one writer."""
    for line in count.lines.select_related("lot__product").order_by("pk"):
        if line.counted_mg or line.counted_units:
            ledger.adjust(
                actor=actor,
                account=count.account,
                lot=line.lot,
                mg=line.counted_mg,
                units=line.counted_units,
                reason=INITIAL_INVENTORY_REASON,
                occurred_at=now,
                now=now,
            )


def submit_count(
    *, actor: Actor, count: StockCount, second_counter: ledger.WitnessSignature, now: datetime
) -> StockCount:
    """The count is submitted, signed by a second counter (their own credentials: R-CS-5's
    two-person count). Under the account's lock, the expected balances are read and stored,
    missing lots count as zero, and each difference opens a discrepancy (R-CS-7)."""
    _may(actor, Capability.COUNT_STOCK)
    clinic = _in_clinic(actor, count.account)
    if second_counter.user.pk in {actor.user.pk, count.counted_by_id}:
        msg = "The second counter is another person than the one who counted."
        raise _refuse(msg)
    with transaction.atomic():
        head = locked_head(LEDGER_TRAIL, count.account.chain_key)
        current = StockCount.objects.select_for_update().select_related("account").get(pk=count.pk)
        if current.status != StockCount.Status.IN_PROGRESS:
            msg = "This count has already been submitted."
            raise _refuse(msg)
        if current.kind == StockCount.Kind.INITIAL and head.last_position == 0:
            _post_initial_inventory(actor, current, now)
            head = locked_head(LEDGER_TRAIL, current.account.chain_key)
        opened = _fix_expected(current, now)
        current.status = StockCount.Status.SUBMITTED
        current.submitted_at = now
        current.second_counter = second_counter.user
        current.second_counter_label = second_counter.label
        current.at_position = head.last_position
        current.save(
            update_fields=[
                "status",
                "submitted_at",
                "second_counter",
                "second_counter_label",
                "at_position",
                "updated_at",
            ]
        )
        _audit(
            actor,
            clinic,
            LedgerAuditAction.COUNT_SUBMITTED,
            current,
            second_counter=second_counter.user.public_id,
            discrepancies=opened,
        )
    return current


def _fix_expected(count: StockCount, now: datetime) -> int:
    """Store each line's expected balance, add zero lines for held lots nobody counted, open a
    discrepancy for each difference; how many were opened."""
    lines = {line.lot_id: line for line in count.lines.all()}
    balances = {h.lot_id: h for h in selectors.holdings_of(count.account)}
    for lot_id, holding in balances.items():
        if lot_id not in lines and (holding.balance_mg or holding.balance_units):
            lines[lot_id] = CountLine(
                count=count, lot_id=lot_id, counted_mg=Decimal(0), counted_units=0
            )
    opened = 0
    for lot_id, line in lines.items():
        held = balances.get(lot_id)
        line.expected_mg = held.balance_mg if held else Decimal(0)
        line.expected_units = held.balance_units if held else 0
        line.save()
        if line.differs:
            Discrepancy.objects.create(
                account=count.account,
                line=line,
                difference_mg=line.counted_mg - line.expected_mg,
                difference_units=line.counted_units - line.expected_units,
                opened_at=now,
            )
            opened += 1
    return opened


def _closed_days(clinic: Clinic, discovered: date) -> frozenset[date]:
    """The whole days the clinic is closed (holidays, closures) in the weeks after
    ``discovered``: not business days for R-CS-7's one business day. One query."""
    closures = closures_between(clinic, discovered, discovered + timedelta(days=21))
    return frozenset(
        closure.span.starts_at.astimezone(clinic.tzinfo).date()
        for closure in closures
        if closure.whole_day
    )


def _raise_dea_tasks(actor: Actor, discrepancy: Discrepancy, clinic: Clinic) -> None:
    """R-CS-7, 21 CFR 1301.76(b): written notice to the DEA Field Division by the end of the
    next business day after discovery, DEA Form 106 within 45 days of it."""
    discovered = discrepancy.opened_at
    for kind, due in (
        (
            ComplianceTask.Kind.DEA_WRITTEN_NOTICE,
            next_business_day_end(
                discovered,
                clinic.tzinfo,
                _closed_days(clinic, discovered.astimezone(clinic.tzinfo).date()),
            ),
        ),
        (ComplianceTask.Kind.DEA_FORM_106, form_106_due(discovered)),
    ):
        task = ComplianceTask.objects.create(
            clinic=clinic, kind=kind, discrepancy=discrepancy, due_at=due
        )
        _audit(actor, clinic, LedgerAuditAction.COMPLIANCE_TASK_RAISED, task, kind=kind)


def close_discrepancy(
    *,
    actor: Actor,
    discrepancy: Discrepancy,
    finding: Finding,
    investigation: str,
    now: datetime,
) -> Discrepancy:
    """R-CS-7: the investigation's finding closes the discrepancy. A recording error or a loss
    brings the balance to what was counted with an adjustment (posted by ``ledger.adjust`` and
    linked); a theft or significant loss also raises the two DEA tasks. A counting error (a
    recount found no difference) changes no balance."""
    _may(actor, Capability.CORRECT_LEDGER)
    clinic = _in_clinic(actor, discrepancy.account)
    finding = Finding(finding)
    text = clean_reason(investigation, error=_refuse)
    with transaction.atomic():
        current = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if current.status != Discrepancy.Status.OPEN:
            msg = "This discrepancy has already been closed."
            raise _refuse(msg)
        if finding != Finding.COUNTING_ERROR:
            line = CountLine.objects.select_related("lot__product").get(pk=current.line_id)
            current.adjustment = ledger.adjust(
                actor=actor,
                account=discrepancy.account,
                lot=line.lot,
                mg=current.difference_mg,
                units=current.difference_units,
                reason=f"Count discrepancy, {finding.label.lower()}: {text}",
                occurred_at=now,
                now=now,
            )
        if finding == Finding.THEFT_OR_SIGNIFICANT_LOSS:
            _raise_dea_tasks(actor, current, clinic)
        current.status = Discrepancy.Status.CLOSED
        current.finding = finding
        current.investigation = text
        current.closed_by = actor.user
        current.closed_at = now
        current.save()
        _audit(actor, clinic, LedgerAuditAction.DISCREPANCY_CLOSED, current, finding=finding)
    return current


def complete_task(
    *, actor: Actor, task: ComplianceTask, reference: str, note: str, now: datetime
) -> ComplianceTask:
    """A DEA task is done, with its reference (the notice's date and recipient, the Form 106
    confirmation number, the inventory's date)."""
    _may(actor, Capability.REPORT_LEDGER)
    clinic = actor.current_clinic
    if task.clinic_id != clinic.pk:
        msg = "That task is not in your clinic."
        raise _refuse(msg)
    reference = reference.strip()
    if not reference:
        msg = "Give the reference: the confirmation number, or the date and recipient."
        raise _refuse(msg)
    with transaction.atomic():
        current = ComplianceTask.objects.select_for_update().get(pk=task.pk)
        if current.status != ComplianceTask.Status.OPEN:
            msg = "This task is already done."
            raise _refuse(msg)
        current.status = ComplianceTask.Status.DONE
        current.done_at = now
        current.done_by = actor.user
        current.reference = reference[:100]
        current.note = note.strip()
        current.save()
        _audit(actor, clinic, LedgerAuditAction.COMPLIANCE_TASK_DONE, current, kind=current.kind)
    return current


def raise_inventory_task(
    *, actor: AnyActor, clinic: Clinic, now: datetime
) -> ComplianceTask | None:
    """R-CS-5: a BIENNIAL_INVENTORY task when an account's last inventory makes the next one due
    within the notice period; due at the end of the earliest due day. Idempotent (the daily
    job and the Today list may call it any number of times): one task per due date."""
    due_accounts = list(selectors.accounts_due_for_inventory(clinic, now))
    if not due_accounts:
        return None
    tz = clinic.tzinfo
    last = min(a.last_inventory_at for a in due_accounts).astimezone(tz).date()  # type: ignore[attr-defined]
    due = end_of_day(biennial_inventory_due(last), tz)
    with transaction.atomic():
        if ComplianceTask.objects.filter(
            clinic=clinic, kind=ComplianceTask.Kind.BIENNIAL_INVENTORY, due_at=due
        ).exists():
            return None
        task = ComplianceTask.objects.create(
            clinic=clinic,
            kind=ComplianceTask.Kind.BIENNIAL_INVENTORY,
            due_at=due,
            note="Accounts due: " + ", ".join(a.name for a in due_accounts),
        )
        _audit(actor, clinic, LedgerAuditAction.COMPLIANCE_TASK_RAISED, task, kind=task.kind)
    return task


def raise_inventory_tasks(*, actor: AnyActor, now: datetime) -> int:
    """``raise_inventory_task`` for every clinic (the daily job); how many were raised."""
    return sum(
        raise_inventory_task(actor=actor, clinic=clinic, now=now) is not None
        for clinic in Clinic.objects.order_by("pk")
    )
