"""Ledger entries: append-only, hash-chained per storage account (issue 14.2, 14.3).

One table for every kind, with the regulatory fields each kind needs (R-CS-1..5); which fields
a kind requires is the pure rule ``kapclinic.ledger.rules.entry_problems``. An entry is never
changed or deleted: the database refuses UPDATE and DELETE (migration 0002, both databases),
the model and its queryset refuse both in Python, and a mistake is corrected by a reversal
that points at the entry it reverses (at most one per entry).

Each entry stores the balance of its lot in its account after it, and is sealed into its
account's chain (``kapclinic.audit.chaining``: the audit trail's keyed hash, positions and
checkpoints) by ``kapclinic.ledger.services.posting``, the only writer.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from kapclinic.audit.chaining import ChainedEntry, ChainHead
from kapclinic.ledger.models.stock import Lot, StockAccount, mg_field
from kapclinic.patients.models import Patient


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    ADMINISTRATION = "administration", "Administration"
    DISPENSING = "dispensing", "Dispensing"
    RETURN = "return", "Return by the patient"
    WASTE = "waste", "Waste"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    DESTRUCTION = "destruction", "Destruction (DEA Form 41)"
    ADJUSTMENT = "adjustment", "Adjustment"
    REVERSAL = "reversal", "Reversal"


class DispensingUse(models.TextChoices):
    SUPERVISED = "supervised", "Supervised in the clinic"
    AT_HOME = "at_home", "At home (R-SL-*, with a sitter)"


class AppendOnlyLedgerError(Exception):
    pass


class EntryQuerySet(models.QuerySet["Entry"]):
    def update(self, **kwargs: Any) -> int:
        msg = "Ledger entries are append-only: correct one with a reversal."
        raise AppendOnlyLedgerError(msg)

    def delete(self) -> tuple[int, dict[str, int]]:
        msg = "Ledger entries are append-only: nothing is ever deleted."
        raise AppendOnlyLedgerError(msg)


class LedgerChainHead(ChainHead):
    """The head of one account's chain (chain key ``account:<public id>``)."""


class Entry(ChainedEntry):
    """One movement of one lot in or out of one account, with the balance after it."""

    # chain (the account's key), position 1, 2, 3... in it, prev_hash, entry_hash, key_id:
    # ChainedEntry. Entries are never updated, so no TimeStampedModel.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(StockAccount, on_delete=models.PROTECT, related_name="entries")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    # 21 CFR 1304.21(d): the actual date of the transaction (may be earlier than recorded_at,
    # e.g. a receipt entered the next morning); recorded_at is when it was written here.
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Name and credentials as they were (R-CS-2 "name or initials of the individual").
    recorded_by_label = models.CharField(max_length=200)

    # Signed: credits positive, debits negative. Whole units (containers or dosage units).
    quantity_mg = mg_field()
    units = models.IntegerField(default=0)
    balance_mg = mg_field()  # of this lot in this account, after this entry
    balance_units = models.IntegerField()

    # Receipt (R-CS-1): from the invoice or packing slip (Schedule III: no Form 222, U.4).
    supplier_name = models.CharField(max_length=200, blank=True)
    supplier_address = models.CharField(max_length=300, blank=True)
    supplier_dea = models.CharField("supplier DEA number", max_length=9, blank=True)
    invoice_number = models.CharField(max_length=60, blank=True)
    containers = models.PositiveIntegerField(null=True, blank=True)

    # Administration and dispensing (R-CS-2): the patient, and who gave it.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    administered_by_label = models.CharField(max_length=200, blank=True)
    dispensing_use = models.CharField(max_length=12, choices=DispensingUse.choices, blank=True)
    # Where the entry came from when another workflow posted it ("dosing-session:<uuid>:..."):
    # unique, so a retried call never debits twice, from any account (the dosing workflow's call).
    source_key = models.CharField(max_length=100, blank=True, default="")

    # Waste (R-CS-3), destruction (R-CS-4), adjustment and reversal: why, and who witnessed.
    reason = models.TextField(blank=True)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness_label = models.CharField(max_length=200, blank=True)
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_witness_label = models.CharField(max_length=200, blank=True)
    destruction_method = models.CharField(max_length=200, blank=True)

    # Links between entries: a transfer's two halves share ``transfer_group``; a reversal names
    # the entry it reverses (once); a patient's return names the dispensing it reconciles.
    transfer_group = models.UUIDField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reconciles = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    # A return's reconciliation of an at-home dispensing (R-LT-3): what the patient reports.
    units_reported_taken = models.PositiveIntegerField(null=True, blank=True)
    units_reported_lost = models.PositiveIntegerField(null=True, blank=True)

    objects: ClassVar[EntryQuerySet] = EntryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta(ChainedEntry.Meta):
        ordering = ["account_id", "position"]
        constraints = [
            *ChainedEntry.Meta.constraints,
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="ledger_entry_source_once",
            ),
            models.CheckConstraint(
                condition=Q(balance_mg__gte=0, balance_units__gte=0),
                name="ledger_entry_balance_never_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="ledger_entry_account_time"),
            models.Index(fields=["lot", "account", "position"], name="ledger_entry_lot_position"),
            models.Index(fields=["patient", "occurred_at"], name="ledger_entry_patient_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.get_kind_display()} {self.quantity_mg} mg"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            msg = "Ledger entries are append-only: correct one with a reversal."
            raise AppendOnlyLedgerError(msg)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        msg = "Ledger entries are append-only: nothing is ever deleted."
        raise AppendOnlyLedgerError(msg)


class ChainCheck(models.Model):
    """The result of one verification of one account's chain (``manage.py verify_ledger`` and
    its scheduled task write these; the account page's badge shows the newest)."""

    account = models.ForeignKey(StockAccount, on_delete=models.PROTECT, related_name="checks")
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    entries_checked = models.PositiveBigIntegerField(default=0)
    # The first bad entry's position, when an entry is to blame; the problem in words.
    first_bad_position = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)
    used_checkpoints = models.BooleanField(default=False)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["account", "-checked_at"], name="ledger_check_newest")]

    def __str__(self) -> str:
        return f"{self.account}: {'verified' if self.ok else 'BROKEN'} at {self.checked_at}"
