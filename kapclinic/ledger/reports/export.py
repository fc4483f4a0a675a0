"""The ledger report as CSV: every entry with every regulatory field of its kind (R-CS-1..4),
streamed row by row (no row limit, nothing cut), each cell safe to open in a spreadsheet.

A text cell a spreadsheet would read as a formula (starting with =, +, -, @, or a tab or
carriage return) is prefixed with a single quote (OWASP, CSV injection). Quantities are numbers
the ledger stored (a Decimal or an int, never typed text): written as plain numbers, so that
"-35.5" stays a number the inspector can add up; a spreadsheet reads a number, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from kapclinic.ledger.models import Entry

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

HEADER: Final = [
    "position",
    "date",
    "recorded_at",
    "kind",
    "product",
    "lot",
    "lot_expires_on",
    "quantity_mg",
    "units",
    "lot_balance_mg_after",
    "lot_balance_units_after",
    "supplier_name",
    "supplier_address",
    "supplier_dea",
    "invoice_number",
    "containers",
    "patient_name",
    "patient_address",
    "patient_mrn",
    "administered_or_dispensed_by",
    "dispensing_use",
    "reason",
    "witness",
    "second_witness",
    "destruction_method",
    "reverses_position",
    "reconciles_position",
    "units_reported_taken",
    "units_reported_lost",
    "recorded_by",
    "entry_id",
    "entry_hash",
]


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as text: a leading formula character is quoted."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)  # a number of ours: never a formula
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _address(entry: Entry) -> str:
    patient = entry.patient
    if patient is None:
        return ""
    parts = [patient.address_line, patient.city, f"{patient.region} {patient.postal_code}".strip()]
    return ", ".join(part for part in parts if part)


def entry_row(entry: Entry, tz: ZoneInfo) -> list[object]:
    lot = entry.lot
    patient = entry.patient
    return [
        entry.position,
        entry.occurred_at.astimezone(tz),
        entry.recorded_at.astimezone(tz),
        entry.get_kind_display(),
        lot.product.name,
        lot.number,
        lot.expires_on,
        entry.quantity_mg,
        entry.units,
        entry.balance_mg,
        entry.balance_units,
        entry.supplier_name,
        entry.supplier_address,
        entry.supplier_dea,
        entry.invoice_number,
        entry.containers,
        patient.full_name if patient else "",
        _address(entry),
        patient.mrn if patient else "",
        entry.administered_by_label,
        entry.get_dispensing_use_display() if entry.dispensing_use else "",
        entry.reason,
        entry.witness_label,
        entry.second_witness_label,
        entry.destruction_method,
        getattr(entry, "reverses_position", None),
        getattr(entry, "reconciles_position", None),
        entry.units_reported_taken,
        entry.units_reported_lost,
        entry.recorded_by_label,
        entry.public_id,
        entry.entry_hash,
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(entries: Iterable[Entry], tz: ZoneInfo) -> Iterator[str]:
    """The header and one line per entry, each as soon as its entry is read."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for entry in entries:
        yield writer.writerow([safe_cell(cell) for cell in entry_row(entry, tz)])
