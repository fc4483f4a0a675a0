"""One service per kind of entry (issue 14.2). Each builds its posting and calls
``posting.post``, the one writer; none writes an entry itself.

``record_administration`` is the call the dosing workflow (issue 15) makes when a dose is given:
the dose is typed once, in the session, and the ledger entry follows from it. Its
``source_key`` (the dosing session's id) makes a retried call return the same entry instead of
debiting twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import User
from kapclinic.core.reasons import clean_reason
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DispensingUse, Entry, EntryKind, Lot, StockAccount
from kapclinic.ledger.quantities import Quantity, QuantityError, parse_mg
from kapclinic.ledger.rules import Draft
from kapclinic.ledger.services.posting import Posting, post
from kapclinic.ledger.services.witnesses import WitnessSignature
from kapclinic.patients.models import Patient


def _mg(value: Decimal | str | int) -> Decimal:
    try:
        return parse_mg(value)
    except QuantityError as error:
        raise LedgerError([str(error)]) from error


def _refuse(message: str) -> LedgerError:
    return LedgerError([message])


def _reason(text: str) -> str:
    """The one rule for written reasons (kapclinic.core.reasons), refused as a ledger refusal."""
    return clean_reason(text, error=_refuse)


def _one(actor: Actor, posting: Posting, now: datetime) -> Entry:
    return post(actor=actor, postings=[posting], now=now)[0]


def receive(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    containers: int,
    supplier_name: str,
    supplier_address: str,
    supplier_dea: str,
    invoice_number: str,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """R-CS-1: sealed containers received, from the invoice or packing slip."""
    movement = Quantity(containers * lot.product.mg_per_unit, containers)
    draft = Draft(
        kind=EntryKind.RECEIPT,
        movement=movement,
        occurred_at=occurred_at,
        supplier_name=supplier_name,
        supplier_address=supplier_address,
        supplier_dea=supplier_dea.strip().upper(),
        invoice_number=invoice_number,
        containers=containers,
    )
    fields = {
        "supplier_name": supplier_name.strip(),
        "supplier_address": supplier_address.strip(),
        "supplier_dea": supplier_dea.strip().upper(),
        "invoice_number": invoice_number.strip(),
        "containers": containers,
    }
    return _one(actor, Posting(account, lot, draft, fields), now)


def record_administration(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    patient: Patient,
    mg: Decimal | str,
    containers_emptied: int = 0,
    administered_by: User,
    occurred_at: datetime,
    source_key: str,
    now: datetime,
) -> Entry:
    """R-CS-2: a dose given to ``patient`` by ``administered_by``. The dosing workflow's one
    call; ``source_key`` ("dosing-session:<uuid>") makes it safe to retry."""
    quantity = _mg(mg)
    product = lot.product
    units = int(quantity / product.mg_per_unit) if product.whole_units else containers_emptied
    draft = Draft(
        kind=EntryKind.ADMINISTRATION,
        movement=Quantity(-quantity, -units),
        occurred_at=occurred_at,
        has_patient=True,
        has_administrator=True,
    )
    fields = {
        "patient": patient,
        "administered_by": administered_by,
        "administered_by_label": administered_by.display_name,
        "source_key": source_key,
    }
    return _one(actor, Posting(account, lot, draft, fields), now)


def dispense(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    patient: Patient,
    units: int,
    use: DispensingUse,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """R-CS-2, R-LT-3: whole dosage units (lozenges) handed to the patient for a supervised or
    an at-home session; reconciled later by ``record_return``."""
    if units < 1:
        raise LedgerError(["Dispense at least one unit."])
    movement = Quantity(-(units * lot.product.mg_per_unit), -units)
    draft = Draft(
        kind=EntryKind.DISPENSING,
        movement=movement,
        occurred_at=occurred_at,
        has_patient=True,
        has_administrator=True,
    )
    fields = {
        "patient": patient,
        "administered_by": actor.user,
        "administered_by_label": actor.user.display_name,
        "dispensing_use": use,
    }
    return _one(actor, Posting(account, lot, draft, fields), now)


def record_return(
    *,
    actor: Actor,
    dispensing: Entry,
    units_returned: int,
    units_taken: int,
    units_lost: int,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """R-LT-3: the reconciliation of a dispensing: what the patient brings back (back into the
    account, for destruction), took, and reports lost. The three add up to what was dispensed."""
    if dispensing.kind != EntryKind.DISPENSING:
        raise LedgerError(["Only a dispensing is reconciled by a return."])
    if dispensing.returns.exists():
        raise LedgerError(["This dispensing has already been reconciled."])
    if min(units_returned, units_taken, units_lost) < 0:
        raise LedgerError(["Counts cannot be negative."])
    if units_returned + units_taken + units_lost != -dispensing.units:
        raise LedgerError(
            [f"Returned, taken and lost must add up to the {-dispensing.units} units dispensed."]
        )
    lot = dispensing.lot
    movement = Quantity(units_returned * lot.product.mg_per_unit, units_returned)
    draft = Draft(
        kind=EntryKind.RETURN, movement=movement, occurred_at=occurred_at, has_patient=True
    )
    fields = {
        "patient": dispensing.patient,
        "reconciles": dispensing,
        "units_reported_taken": units_taken,
        "units_reported_lost": units_lost,
    }
    return _one(actor, Posting(dispensing.account, lot, draft, fields), now)


def waste(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    mg: Decimal | str,
    containers_emptied: int = 0,
    reason: str,
    witness: WitnessSignature | None,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """R-CS-3: drug left in a vial or syringe after a partial dose, with its reason, witnessed
    by another staff member who signs with their own credentials."""
    quantity = _mg(mg)
    product = lot.product
    units = int(quantity / product.mg_per_unit) if product.whole_units else containers_emptied
    text = _reason(reason)
    draft = Draft(
        kind=EntryKind.WASTE,
        movement=Quantity(-quantity, -units),
        occurred_at=occurred_at,
        reason=text,
        witnesses=1 if witness else 0,
    )
    witnesses = (witness,) if witness else ()
    return _one(actor, Posting(account, lot, draft, {"reason": text}, witnesses), now)


def transfer(
    *,
    actor: Actor,
    source: StockAccount,
    destination: StockAccount,
    lot: Lot,
    mg: Decimal | str,
    units: int,
    occurred_at: datetime,
    now: datetime,
) -> tuple[Entry, Entry]:
    """Stock moved between two accounts of the clinic: two entries, one transaction."""
    if source.pk == destination.pk:
        raise LedgerError(["A transfer goes to another account."])
    quantity = Quantity(_mg(mg), units)
    group = uuid.uuid4()
    out = Posting(
        source,
        lot,
        Draft(kind=EntryKind.TRANSFER_OUT, movement=-quantity, occurred_at=occurred_at),
        {"transfer_group": group},
    )
    into = Posting(
        destination,
        lot,
        Draft(kind=EntryKind.TRANSFER_IN, movement=quantity, occurred_at=occurred_at),
        {"transfer_group": group},
    )
    sent, received = post(actor=actor, postings=[out, into], now=now)
    return sent, received


def destroy(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    mg: Decimal | str,
    units: int,
    reason: str,
    method: str,
    witnesses: tuple[WitnessSignature, ...],
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """R-CS-4: inventory destroyed (expired, damaged, returned), the DEA Form 41 record, with
    two witnesses."""
    text = _reason(reason)
    draft = Draft(
        kind=EntryKind.DESTRUCTION,
        movement=Quantity(-_mg(mg), -units),
        occurred_at=occurred_at,
        reason=text,
        witnesses=len(witnesses),
        destruction_method=method,
    )
    fields = {"reason": text, "destruction_method": method.strip()}
    return _one(actor, Posting(account, lot, draft, fields, witnesses), now)


def adjust(
    *,
    actor: Actor,
    account: StockAccount,
    lot: Lot,
    mg: Decimal | str,
    units: int,
    reason: str,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """A correction of the balance with a written reason (a count's finding, an initial
    inventory of stock held before the ledger)."""
    text = _reason(reason)
    draft = Draft(
        kind=EntryKind.ADJUSTMENT,
        movement=Quantity(_mg(mg), units),
        occurred_at=occurred_at,
        reason=text,
    )
    return _one(actor, Posting(account, lot, draft, {"reason": text}), now)


def reverse(*, actor: Actor, entry: Entry, reason: str, now: datetime) -> Entry:
    """The only correction of an entry: a new entry moving exactly the opposite, pointing at it
    (once). The reversed entry stays as it was."""
    text = _reason(reason)
    movement = -Quantity(entry.quantity_mg, entry.units)
    draft = Draft(
        kind=EntryKind.REVERSAL,
        movement=movement,
        occurred_at=now,
        reason=text,
        reverses_kind=EntryKind(entry.kind),
        reverses_movement=Quantity(entry.quantity_mg, entry.units),
        reverses_reversed=Entry.objects.filter(reverses=entry).exists(),
    )
    fields = {"reason": text, "reverses": entry, "patient": entry.patient}
    return _one(actor, Posting(entry.account, entry.lot, draft, fields), now)
