"""The books' reads: the clinic's accounts with their balances and badges, an account's entries,
one entry, and the pickers of the entry forms (issue 14). Every read is scoped to the clinic
and answers 404 for "missing" and "not yours" alike. A page or an entry that shows a patient is
audited (issue 14.6: every read of a patient-bearing entry is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.models import (
    ChainCheck,
    Entry,
    EntryKind,
    Holding,
    LedgerSettings,
    Lot,
    Product,
    StockAccount,
)
from kapclinic.patients.models import Patient

ENTRIES_PER_PAGE = 25


@dataclass(frozen=True)
class AccountSummary:
    """One storage account on the ledger's home page: its balances and its newest check."""

    account: StockAccount
    holdings: list[Holding]
    check: ChainCheck | None


def _holdings() -> QuerySet[Holding]:
    return (
        Holding.objects.select_related("lot__product")
        .filter(Q(balance_mg__gt=0) | Q(balance_units__gt=0))
        .order_by("lot__product__name", "lot__expires_on", "lot__number")
    )


def stock_overview(clinic: Clinic) -> list[AccountSummary]:
    """The clinic's accounts (open ones first), each with the lots it holds (mg, units,
    expiry) and its newest chain check, in three queries whatever the number of accounts,
    lots, entries or checks."""
    accounts = list(StockAccount.objects.filter(clinic=clinic).order_by("-is_active", "name"))
    newest = ChainCheck.objects.filter(account=OuterRef("account")).order_by("-checked_at")
    checks = {
        check.account_id: check
        for check in ChainCheck.objects.filter(
            account__clinic=clinic, pk=Subquery(newest.values("pk")[:1])
        )
    }
    held: dict[int, list[Holding]] = {a.pk: [] for a in accounts}
    for holding in _holdings().filter(account__clinic=clinic):
        held[holding.account_id].append(holding)
    return [
        AccountSummary(account=a, holdings=held[a.pk], check=checks.get(a.pk)) for a in accounts
    ]


def access_account(clinic: Clinic, public_id: UUID) -> StockAccount:
    account = StockAccount.objects.filter(clinic=clinic, public_id=public_id).first()
    if account is None:
        raise Http404
    return account


def holdings_of(account: StockAccount) -> list[Holding]:
    """What ``account`` holds now, lot by lot (one query)."""
    return list(_holdings().filter(account=account))


def list_accounts(clinic: Clinic, *, open_only: bool = True) -> QuerySet[StockAccount]:
    accounts = StockAccount.objects.filter(clinic=clinic)
    return accounts.filter(is_active=True) if open_only else accounts


def list_products(clinic: Clinic, *, active_only: bool = False) -> QuerySet[Product]:
    products = Product.objects.filter(clinic=clinic).order_by("-is_active", "name")
    return products.filter(is_active=True) if active_only else products


def list_lots(clinic: Clinic) -> QuerySet[Lot]:
    """Lots of the clinic's active products, for the receipt form (soonest expiry first)."""
    return Lot.objects.filter(product__clinic=clinic, product__is_active=True).select_related(
        "product"
    )


def held_lots(account: StockAccount) -> QuerySet[Lot]:
    """Lots with stock in ``account``, for the forms that take stock out."""
    return Lot.objects.filter(
        Q(holdings__balance_mg__gt=0) | Q(holdings__balance_units__gt=0),
        holdings__account=account,
    ).select_related("product")


def access_product(clinic: Clinic, public_id: UUID) -> Product:
    product = Product.objects.filter(clinic=clinic, public_id=public_id).first()
    if product is None:
        raise Http404
    return product


def settings_for(clinic: Clinic) -> LedgerSettings:
    """The clinic's ledger settings (the defaults when none were saved yet)."""
    found = LedgerSettings.objects.filter(clinic=clinic).first()
    return found if found is not None else LedgerSettings(clinic=clinic)


def find_patient(clinic: Clinic, mrn: str) -> Patient | None:
    """The clinic's current record with this MRN, for dispensing."""
    return Patient.objects.filter(clinic=clinic, mrn=mrn.strip(), merged_into=None).first()


def _entries(account: StockAccount) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account=account)
        .select_related("lot__product", "patient", "reversed_by")
        .order_by("-position")
    )


def _audit_patients(
    actor: Actor, action: LedgerAuditAction, entries: list[Entry], detail: dict[str, object]
) -> None:
    named = [e for e in entries if e.patient_id is not None]
    if not named:
        return
    patients = sorted({str(e.patient.public_id) for e in named})  # type: ignore[union-attr]
    with transaction.atomic():
        audit.record(
            actor=actor.user,
            operation=Operation.ACCESS,
            action=action,
            actor_roles=actor.roles,
            clinic_id=actor.current_clinic.public_id,
            patient_id=named[0].patient.public_id if len(patients) == 1 else None,  # type: ignore[union-attr]
            target=audit.target_of(named[0]) if len(named) == 1 else "",
            detail={**detail, "entries": [str(e.public_id) for e in named], "patients": patients},
        )


@dataclass(frozen=True)
class AccountPage:
    entries: Page[Entry]
    open_dispensings: list[Entry]


OPEN_DISPENSINGS_SHOWN = 20


def audited_account_page(
    *, actor: Actor, account: StockAccount, page_number: str | int | None
) -> AccountPage:
    """One page of ``account``'s entries in chain order, newest first, and the dispensings
    still waiting for the patient's return (R-LT-3). When the page shows a patient
    (administration, dispensing, return, their reversals), the read is audited (ENTRIES_VIEWED,
    with the entries and patients shown). Constant queries: the count, the rows, the open
    dispensings, and the audit write."""
    page = Paginator(_entries(account), ENTRIES_PER_PAGE).get_page(page_number)
    waiting = list(open_dispensings(account)[:OPEN_DISPENSINGS_SHOWN])
    shown = {e.pk: e for e in [*page.object_list, *waiting]}
    _audit_patients(
        actor,
        LedgerAuditAction.ENTRIES_VIEWED,
        list(shown.values()),
        {"account": str(account.public_id), "page": page.number},
    )
    return AccountPage(entries=page, open_dispensings=waiting)


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    reversal: Entry | None
    transfer_partner: Entry | None
    returns: list[Entry]


def audited_entry(*, actor: Actor, public_id: UUID) -> EntryView:
    """One entry of the clinic with what points at it (its reversal, a transfer's other half,
    a dispensing's return); audited (ENTRY_VIEWED) when it names a patient."""
    entry = (
        Entry.objects.filter(public_id=public_id, account__clinic=actor.current_clinic)
        .select_related("account", "lot__product", "patient", "reverses", "reconciles")
        .first()
    )
    if entry is None:
        raise Http404
    reversal = Entry.objects.filter(reverses=entry).first()
    partner = None
    if entry.transfer_group is not None:
        partner = (
            Entry.objects.filter(transfer_group=entry.transfer_group)
            .exclude(pk=entry.pk)
            .select_related("account")
            .first()
        )
    returns = (
        list(Entry.objects.filter(reconciles=entry)) if entry.kind == EntryKind.DISPENSING else []
    )
    _audit_patients(actor, LedgerAuditAction.ENTRY_VIEWED, [entry], {})
    return EntryView(entry=entry, reversal=reversal, transfer_partner=partner, returns=returns)


def open_dispensings(account: StockAccount) -> QuerySet[Entry]:
    """Dispensings of ``account`` not yet reconciled by a return (R-LT-3), oldest first."""
    return (
        Entry.objects.filter(account=account, kind=EntryKind.DISPENSING, returns__isnull=True)
        .exclude(reversed_by__isnull=False)
        .select_related("lot__product", "patient")
        .order_by("position")
    )


def access_entry(clinic: Clinic, public_id: UUID) -> Entry:
    """An entry of the clinic for a write (reverse, reconcile): not audited as a read, the
    write that follows is."""
    entry = (
        Entry.objects.filter(public_id=public_id, account__clinic=clinic)
        .select_related("account", "lot__product", "patient")
        .first()
    )
    if entry is None:
        raise Http404
    return entry
