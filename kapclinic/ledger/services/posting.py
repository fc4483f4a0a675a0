"""The one writer of ledger entries and balances (issue 14.2, R-CS-1..7).

Every kind of entry (receipt, administration, dispensing, return, waste, transfer, destruction,
adjustment, reversal) is posted here, in one transaction:

1. lock the chain head of every account involved, in one order (no deadlock between two
   transfers in opposite directions). On PostgreSQL that row lock makes a second posting to the
   same account wait until the first commits, so two concurrent debits never read the same
   balance and never spend the same milligrams. On SQLite every write transaction is BEGIN
   IMMEDIATE (config/settings.py): one writer at a time, the same guarantee.
2. check each entry against the pure rules (``rules.entry_problems``, ``quantities``) and
   against the locked balance: a balance never goes negative;
3. seal each entry into its account's chain, move the balance (``Holding``), and write the
   audit entry. Any refusal raises ``LedgerError`` with every reason and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.audit import services as audit
from kapclinic.audit.chaining import ChainHead, append, locked_head
from kapclinic.audit.models import Operation
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import Entry, EntryKind, Holding, LedgerSettings, Lot, StockAccount
from kapclinic.ledger.quantities import (
    ProductFacts,
    Quantity,
    balance_problem,
    movement_problem,
)
from kapclinic.ledger.rules import Draft, entry_problems
from kapclinic.ledger.services.witnesses import WitnessSignature, distinct_witnesses
from kapclinic.ledger.trail import LEDGER_TRAIL


@dataclass(frozen=True)
class Posting:
    """One entry to post: where, which lot, the draft the rules check, and the model fields
    beyond it (patient, supplier, reason...)."""

    account: StockAccount
    lot: Lot
    draft: Draft
    fields: Mapping[str, Any] = field(default_factory=dict)
    witnesses: tuple[WitnessSignature, ...] = ()


def product_facts(lot: Lot) -> ProductFacts:
    product = lot.product
    return ProductFacts(
        mg_per_unit=product.mg_per_unit,
        whole_units=product.whole_units,
        unit_name=product.get_unit_kind_display(),
    )


def settings_of(account: StockAccount) -> LedgerSettings:
    found = LedgerSettings.objects.filter(clinic_id=account.clinic_id).first()
    return found if found is not None else LedgerSettings(clinic_id=account.clinic_id)


def _boundary_problems(actor: Actor, posting: Posting) -> list[str]:
    clinic = actor.current_clinic
    if posting.account.clinic_id != clinic.pk or posting.lot.product.clinic_id != clinic.pk:
        return ["That stock is not in your clinic."]
    problems = []
    if not posting.account.is_active:
        problems.append(f"{posting.account} is closed: it takes no new entries.")
    patient = posting.fields.get("patient")
    if patient is not None and patient.clinic_id != clinic.pk:
        problems.append("That patient is not in your clinic.")
    return problems


def _witness_fields(witnesses: tuple[WitnessSignature, ...]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if witnesses:
        fields["witness"] = witnesses[0].user
        fields["witness_label"] = witnesses[0].label
    if len(witnesses) > 1:
        fields["second_witness"] = witnesses[1].user
        fields["second_witness_label"] = witnesses[1].label
    return fields


def _already_posted(posting: Posting) -> Entry | None:
    """The entry an earlier call with the same source key posted (a retried administration)."""
    key = posting.fields.get("source_key")
    if not key:
        return None
    return Entry.objects.filter(source_key=key).first()


def _post_one(
    actor: Actor, posting: Posting, head: ChainHead, now: datetime, problems: list[str]
) -> Entry | None:
    facts = product_facts(posting.lot)
    draft = posting.draft
    found = entry_problems(
        draft, now=now, waste_needs_witness=settings_of(posting.account).waste_needs_witness
    )
    found += distinct_witnesses(actor=actor, witnesses=posting.witnesses)
    move = movement_problem(facts, draft.movement, allow_zero=draft.kind == EntryKind.RETURN)
    if move:
        found.append(move)
    holding, _ = Holding.objects.get_or_create(account=posting.account, lot=posting.lot)
    after = Quantity(holding.balance_mg, holding.balance_units) + draft.movement
    balance = balance_problem(facts, after)
    if balance and not found:
        found.append(f"{posting.lot}, {posting.account}: {balance}")
    if found:
        problems.extend(found)
        return None
    entry = Entry(
        account=posting.account,
        lot=posting.lot,
        kind=draft.kind,
        occurred_at=draft.occurred_at,
        recorded_at=now,
        recorded_by=actor.user,
        recorded_by_label=actor.user.display_name,
        quantity_mg=draft.movement.mg,
        units=draft.movement.units,
        balance_mg=after.mg,
        balance_units=after.units,
        **_witness_fields(posting.witnesses),
        **posting.fields,
    )
    append(LEDGER_TRAIL, entry, head)
    holding.balance_mg = after.mg
    holding.balance_units = after.units
    holding.last_position = entry.position
    holding.save(update_fields=["balance_mg", "balance_units", "last_position"])
    patient = posting.fields.get("patient")
    audit.record(
        actor=actor.user,
        operation=Operation.CREATE,
        action=LedgerAuditAction.ENTRY_POSTED,
        actor_roles=actor.roles,
        clinic_id=actor.current_clinic.public_id,
        patient_id=patient.public_id if patient is not None else None,
        target=audit.target_of(entry),
        detail={"kind": entry.kind, "account": str(posting.account.public_id)},
    )
    return entry


def post(*, actor: Actor, postings: Sequence[Posting], now: datetime) -> list[Entry]:
    """Post ``postings`` together (all or none) and return their entries in order.

    A posting whose ``source_key`` was already posted in its account returns that entry again
    instead of debiting twice, when it is the same movement; a different one is refused.
    """
    problems = [p for posting in postings for p in _boundary_problems(actor, posting)]
    if problems:
        raise LedgerError(problems)
    with transaction.atomic():
        heads = {
            key: locked_head(LEDGER_TRAIL, key)
            for key in sorted({posting.account.chain_key for posting in postings})
        }
        entries: list[Entry] = []
        for posting in postings:
            earlier = _already_posted(posting)
            if earlier is not None:
                if (
                    earlier.account_id,
                    earlier.lot_id,
                    earlier.kind,
                    earlier.quantity_mg,
                    earlier.units,
                ) != (
                    posting.account.pk,
                    posting.lot.pk,
                    posting.draft.kind,
                    posting.draft.movement.mg,
                    posting.draft.movement.units,
                ):
                    problems.append(
                        "This was already recorded with a different quantity, lot or account: "
                        "reverse that entry first."
                    )
                else:
                    entries.append(earlier)
                continue
            entry = _post_one(actor, posting, heads[posting.account.chain_key], now, problems)
            if entry is not None:
                entries.append(entry)
        if problems:
            raise LedgerError(problems)
    return entries
