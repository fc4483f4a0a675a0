"""Changing the ledger's set-up: the clinic's ledger settings, closing a storage account,
retiring a product (issue 14.1, R-CS-3, R-CS-6). Every change is audited; nothing is deleted."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import Entry, Holding, LedgerSettings, Product, StockAccount
from kapclinic.ledger.services.entries import receive
from kapclinic.ledger.services.stock import add_lot

MIN_RETENTION_YEARS = 2  # R-CS-6, 21 CFR 1304.04(a)
MAX_RETENTION_YEARS = 50


def _settings_fields(found: LedgerSettings) -> dict[str, object]:
    return {
        "retention_years": found.retention_years,
        "waste_needs_witness": found.waste_needs_witness,
        "count_cadence": found.count_cadence,
    }


def change_settings(
    *,
    actor: Actor,
    retention_years: int,
    waste_needs_witness: bool,
    count_cadence: LedgerSettings.CountCadence,
) -> LedgerSettings:
    """The clinic's ledger settings: retention of at least two years (R-CS-6, configurable
    upward), whether a waste needs a witness (R-CS-3, the institutional default), how often the
    safe is counted. Audited with what changed."""
    if not MIN_RETENTION_YEARS <= retention_years <= MAX_RETENTION_YEARS:
        msg = (
            f"Records are kept at least {MIN_RETENTION_YEARS} years (21 CFR 1304.04(a)) and at "
            f"most {MAX_RETENTION_YEARS} here: give a number of years between the two."
        )
        raise LedgerError([msg])
    clinic = actor.current_clinic
    with transaction.atomic():
        found, _ = LedgerSettings.objects.select_for_update().get_or_create(clinic=clinic)
        before = _settings_fields(found)
        found.retention_years = retention_years
        found.waste_needs_witness = waste_needs_witness
        found.count_cadence = count_cadence
        found.updated_by = actor.user
        found.save()
        changes = audit.diff(before, _settings_fields(found))
        if changes:
            audit.record(
                actor=actor.user,
                operation=Operation.UPDATE,
                action=LedgerAuditAction.SETTINGS_CHANGED,
                actor_roles=actor.roles,
                clinic_id=clinic.public_id,
                changes=changes,
            )
    return found


def close_account(*, actor: Actor, account: StockAccount) -> StockAccount:
    """Close a storage account: it takes no new entries and keeps its history. Only an account
    whose every balance is zero closes (move the stock out first)."""
    if account.clinic_id != actor.current_clinic.pk:
        raise LedgerError(["That account is not in your clinic."])
    if not account.is_active:
        raise LedgerError([f"{account} is already closed."])
    with transaction.atomic():
        locked = StockAccount.objects.select_for_update().get(pk=account.pk)
        held = Holding.objects.filter(account=locked).exclude(balance_mg=0, balance_units=0)
        if held.exists():
            msg = (
                f"{locked} still holds stock: transfer, destroy or adjust it to zero before "
                "closing the account."
            )
            raise LedgerError([msg])
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor.user,
            operation=Operation.UPDATE,
            action=LedgerAuditAction.ACCOUNT_CLOSED,
            actor_roles=actor.roles,
            clinic_id=actor.current_clinic.public_id,
            target=audit.target_of(locked),
            changes={"is_active": (True, False)},
        )
    return locked


def retire_product(*, actor: Actor, product: Product) -> Product:
    """Stop offering a product for new receipts. Stock already held stays usable and every
    record stays; the product is never deleted."""
    if product.clinic_id != actor.current_clinic.pk:
        raise LedgerError(["That product is not in your clinic."])
    if not product.is_active:
        raise LedgerError([f"{product} is already retired."])
    with transaction.atomic():
        product.is_active = False
        product.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor.user,
            operation=Operation.UPDATE,
            action=LedgerAuditAction.PRODUCT_RETIRED,
            actor_roles=actor.roles,
            clinic_id=actor.current_clinic.public_id,
            target=audit.target_of(product),
            changes={"is_active": (True, False)},
        )
    return product


def receive_new_lot(
    *,
    actor: Actor,
    account: StockAccount,
    product: Product,
    lot_number: str,
    expires_on: date,
    containers: int,
    supplier_name: str,
    supplier_address: str,
    supplier_dea: str,
    invoice_number: str,
    occurred_at: datetime,
    now: datetime,
) -> Entry:
    """A receipt of a lot not recorded before (the receipt form's "new lot"): the lot and the
    receipt together, so a refused receipt leaves no lot behind."""
    with transaction.atomic():
        lot = add_lot(actor=actor, product=product, number=lot_number, expires_on=expires_on)
        return receive(
            actor=actor,
            account=account,
            lot=lot,
            containers=containers,
            supplier_name=supplier_name,
            supplier_address=supplier_address,
            supplier_dea=supplier_dea,
            invoice_number=invoice_number,
            occurred_at=occurred_at,
            now=now,
        )
