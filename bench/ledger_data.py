"""Bench data for the controlled-substance ledger (issue 14, Performance): a storage account
with a long chain of entries, built fast.

Posting 100,000 or 1,000,000 entries one by one through ``kapclinic.ledger.services.post``
would take hours; the bench needs the account, not the posting. So the chain is computed in
Python with the real sealing function (``kapclinic.audit.chain.sealed_entry_hash`` over
``LEDGER_TRAIL.sealed_content``, the key of settings.AUDIT_KEY), exactly as ``append`` seals
one entry, and bulk-inserted (the append-only triggers stay in place: they refuse UPDATE and
DELETE, not INSERT). The chain head and the balance (``Holding``) are then set to the last
entry's, so the next entry the services post continues the chain and ``verify_trail`` checks
every entry.

The entries: every 21st a receipt of 50 esketamine 28 mg devices from the demo's supplier, the
others administrations of 2 devices (56 mg) to one of the clinic's patients by a nurse; spread
evenly over ``start`` to ``end``. Django must be set up before this module is imported.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.audit.chain import sealed_entry_hash
from kapclinic.audit.keys import current_key
from kapclinic.demo.ledger import DEMO_SUPPLIER, ESKETAMINE_DEVICE
from kapclinic.ledger import services
from kapclinic.ledger.models import Entry, EntryKind, Holding, LedgerChainHead, Lot, StockAccount
from kapclinic.ledger.trail import LEDGER_TRAIL
from kapclinic.patients.models import Patient

ACCOUNT_NAME = "Bench safe"
PRODUCT_NAME = "Bench esketamine 28 mg device"
CYCLE = 21  # a receipt, then 20 administrations
RECEIVED = 50
GIVEN = 2
BATCH = 5000


def staff(clinic: Clinic, role: Role) -> User:
    membership = (
        StaffMembership.objects.filter(clinic=clinic, role=role, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if membership is None:
        msg = f"the bench clinic {clinic} has no {role.label}"
        raise SystemExit(msg)
    return membership.user


def bench_account(clinic: Clinic, now: datetime) -> tuple[StockAccount, Lot]:
    """The clinic's bench account and its device lot (set up through the services once)."""
    account = StockAccount.objects.filter(clinic=clinic, name=ACCOUNT_NAME).first()
    lot = Lot.objects.filter(product__clinic=clinic, product__name=PRODUCT_NAME).first()
    if account is not None and lot is not None:
        return account, lot
    manager = Actor.for_user(staff(clinic, Role.PRESCRIBER), clinic)
    with transaction.atomic():
        account = services.open_account(actor=manager, name=ACCOUNT_NAME, location="Bench")
        product = services.add_product(actor=manager, **{**ESKETAMINE_DEVICE, "name": PRODUCT_NAME})
        lot = services.add_lot(
            actor=manager,
            product=product,
            number="BENCH-1",
            expires_on=(now + timedelta(days=900)).date(),
        )
    return account, lot


def extend_chain(
    *,
    account: StockAccount,
    lot: Lot,
    entries: int,
    start: datetime,
    end: datetime,
    seed: int = 1,
    progress: bool = False,
) -> None:
    """Append ``entries`` sealed entries to ``account``'s chain (module docstring)."""
    clinic = account.clinic
    nurse = staff(clinic, Role.NURSE)
    patients = list(
        Patient.objects.filter(clinic=clinic).order_by("id").values_list("id", flat=True)[:500]
    )
    if not patients:
        msg = "the bench clinic has no patients"
        raise SystemExit(msg)
    rng = random.Random(seed)
    key = current_key()
    mg_per_unit = lot.product.mg_per_unit
    with transaction.atomic():
        head, _ = LedgerChainHead.objects.select_for_update().get_or_create(chain=account.chain_key)
        holding, _ = Holding.objects.select_for_update().get_or_create(account=account, lot=lot)
        position, prev = head.last_position, head.last_hash
        units = holding.balance_units
        step = (end - start) / max(entries, 1)
        rows: list[Entry] = []
        for i in range(entries):
            at = start + step * i
            receipt = i % CYCLE == 0
            moved = RECEIVED if receipt else -GIVEN
            units += moved
            entry = Entry(
                account=account,
                lot=lot,
                kind=EntryKind.RECEIPT if receipt else EntryKind.ADMINISTRATION,
                occurred_at=at,
                recorded_at=at + timedelta(minutes=2),
                recorded_by=nurse,
                recorded_by_label=nurse.display_name,
                quantity_mg=Decimal(moved) * mg_per_unit,
                units=moved,
                balance_mg=Decimal(units) * mg_per_unit,
                balance_units=units,
            )
            if receipt:
                entry.supplier_name = DEMO_SUPPLIER["supplier_name"]
                entry.supplier_address = DEMO_SUPPLIER["supplier_address"]
                entry.supplier_dea = DEMO_SUPPLIER["supplier_dea"]
                entry.invoice_number = f"BENCH-{position + 1}"
                entry.containers = RECEIVED
            else:
                entry.patient_id = rng.choice(patients)
                entry.administered_by = nurse
                entry.administered_by_label = nurse.display_name
            position += 1
            entry.chain = account.chain_key
            entry.position = position
            entry.prev_hash = prev
            entry.key_id = key.id
            entry.entry_hash = sealed_entry_hash(LEDGER_TRAIL.sealed_content(entry), prev, key)
            prev = entry.entry_hash
            rows.append(entry)
            if len(rows) == BATCH:
                Entry.objects.bulk_create(rows)
                rows = []
                if progress and position % 100_000 == 0:
                    print(f"  ... {position:,} entries", flush=True)
        Entry.objects.bulk_create(rows)
        LedgerChainHead.objects.filter(pk=head.pk).update(last_position=position, last_hash=prev)
        Holding.objects.filter(pk=holding.pk).update(
            balance_mg=Decimal(units) * mg_per_unit, balance_units=units, last_position=position
        )
    if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would give
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_entry")


def account_with_entries(clinic: Clinic, entries: int, now: datetime) -> StockAccount:
    """The clinic's bench account, holding at least ``entries`` entries over the last two
    years (built on first use)."""
    account, lot = bench_account(clinic, now)
    have = Entry.objects.filter(account=account).count()
    if have < entries:
        extend_chain(
            account=account,
            lot=lot,
            entries=entries - have,
            start=now - timedelta(days=729),
            end=now - timedelta(hours=1),
        )
    return account
