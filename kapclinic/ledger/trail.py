"""The ledger as a family of keyed hash chains, one per storage account (issue 14.3).

Built on the audit trail's primitive (``kapclinic.audit.chaining``): the same HMAC key kept
outside the database (AUDIT_KEY), the same gap-free positions, the same signed checkpoints and
the same verifier. The seal covers every recorded field of an entry, so a changed quantity,
balance, patient, witness or date breaks it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kapclinic.audit.chaining import Trail
from kapclinic.ledger.models import Entry, LedgerChainHead

MG_FORMAT = "{:.3f}"


def _mg(value: Decimal) -> str:
    return MG_FORMAT.format(Decimal(value))


def _when(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _uuid(value: object) -> str | None:
    return str(value) if value is not None else None


def sealed_fields(entry: Entry) -> dict[str, Any]:
    """The fields an entry's seal covers, as they read after a database round trip."""
    return {
        "public_id": str(entry.public_id),
        "account": entry.account_id,
        "lot": entry.lot_id,
        "kind": entry.kind,
        "occurred_at": _when(entry.occurred_at),
        "recorded_at": _when(entry.recorded_at),
        "recorded_by": entry.recorded_by_id,
        "recorded_by_label": entry.recorded_by_label,
        "quantity_mg": _mg(entry.quantity_mg),
        "units": entry.units,
        "balance_mg": _mg(entry.balance_mg),
        "balance_units": entry.balance_units,
        "supplier_name": entry.supplier_name,
        "supplier_address": entry.supplier_address,
        "supplier_dea": entry.supplier_dea,
        "invoice_number": entry.invoice_number,
        "containers": entry.containers,
        "patient": entry.patient_id,
        "administered_by": entry.administered_by_id,
        "administered_by_label": entry.administered_by_label,
        "dispensing_use": entry.dispensing_use,
        "source_key": entry.source_key,
        "reason": entry.reason,
        "witness": entry.witness_id,
        "witness_label": entry.witness_label,
        "second_witness": entry.second_witness_id,
        "second_witness_label": entry.second_witness_label,
        "destruction_method": entry.destruction_method,
        "transfer_group": _uuid(entry.transfer_group),
        "reverses": entry.reverses_id,
        "reconciles": entry.reconciles_id,
        "units_reported_taken": entry.units_reported_taken,
        "units_reported_lost": entry.units_reported_lost,
    }


ACCOUNT_CHAIN_PREFIX = "account:"  # StockAccount.chain_key


def is_account_chain(chain: str) -> bool:
    return chain.startswith(ACCOUNT_CHAIN_PREFIX)


LEDGER_TRAIL: Trail[Entry] = Trail(
    name="controlled-substance ledger",
    entries=Entry,
    heads=LedgerChainHead,
    content=sealed_fields,
    owns=is_account_chain,
)
