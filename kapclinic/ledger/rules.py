"""The ledger's rules as pure functions of plain values (R-CS-1..7).

Every entry point (the services, the forms' previews, the generator, the tests) asks these; the
posting service refuses an entry for which ``entry_problems`` returns anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from kapclinic.core.reasons import reason_problem
from kapclinic.ledger.models.entries import EntryKind
from kapclinic.ledger.quantities import Quantity

# Which way each kind moves stock; adjustments go either way, a reversal the opposite way of
# the entry it reverses.
CREDITS = frozenset({EntryKind.RECEIPT, EntryKind.RETURN, EntryKind.TRANSFER_IN})
DEBITS = frozenset(
    {
        EntryKind.ADMINISTRATION,
        EntryKind.DISPENSING,
        EntryKind.WASTE,
        EntryKind.TRANSFER_OUT,
        EntryKind.DESTRUCTION,
    }
)
# Kinds that name a patient (R-CS-2); reading them is audited (issue 14.6).
PATIENT_KINDS = frozenset({EntryKind.ADMINISTRATION, EntryKind.DISPENSING, EntryKind.RETURN})
# Kinds a person records directly; transfers come in pairs and reversals point at an entry.
# DEA registration number: two letters and seven digits, the last a check digit (21 CFR 1301).
DEA_NUMBER = re.compile(r"^[A-Z][A-Z9][0-9]{7}$")

# R-CS-7, 21 CFR 1301.76(b) as amended by 88 FR 40707: written notice within one business
# day of discovery, DEA Form 106 within 45 days.
FORM_106_DAYS = 45
# R-CS-5, 21 CFR 1304.11(c): a new inventory at least every two years.
BIENNIAL_DAYS = 2 * 365


def dea_number_problem(number: str) -> str | None:
    """Why ``number`` is not a DEA registration number, or None (the check digit included:
    (d1 + d3 + d5) + 2 x (d2 + d4 + d6), last digit = d7)."""
    if not DEA_NUMBER.match(number):
        return "A DEA number is two letters and seven digits, e.g. AB1234563."
    digits = [int(c) for c in number[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    if total % 10 != digits[6]:
        return f"{number} fails the DEA number's check digit: please check it on the invoice."
    return None


@dataclass(frozen=True)
class Draft:
    """An entry as submitted, before it is posted: the fields the rules look at."""

    kind: EntryKind
    movement: Quantity
    occurred_at: datetime
    supplier_name: str = ""
    supplier_address: str = ""
    supplier_dea: str = ""
    invoice_number: str = ""
    containers: int | None = None
    has_patient: bool = False
    has_administrator: bool = False
    reason: str = ""
    witnesses: int = 0
    destruction_method: str = ""
    reverses_kind: EntryKind | None = None
    reverses_movement: Quantity | None = None
    reverses_reversed: bool = False


def _a(label: str) -> str:
    """The label with its article: "a receipt", "an administration"."""
    word = label.lower()
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def direction_problem(draft: Draft) -> str | None:
    if draft.kind in CREDITS and draft.movement.mg <= 0:
        return f"{_a(draft.kind.label).capitalize()} adds stock: its quantity must be positive."
    if draft.kind in DEBITS and draft.movement.mg >= 0:
        kind = _a(draft.kind.label).capitalize()
        return f"{kind} takes stock out: its quantity must be negative."
    return None


def _receipt_problems(draft: Draft) -> list[str]:
    # R-CS-1: supplier name, address and DEA number; containers; from the invoice or packing
    # slip (Schedule III needs no Form 222: 21 CFR 1305.03, reference U.4).
    problems = [
        f"A receipt needs the {label}."
        for label, value in (
            ("supplier's name", draft.supplier_name),
            ("supplier's address", draft.supplier_address),
            ("invoice or packing-slip number", draft.invoice_number),
        )
        if not value.strip()
    ]
    dea = dea_number_problem(draft.supplier_dea)
    if dea:
        problems.append(f"Supplier's DEA number: {dea}")
    if not draft.containers or draft.containers < 1:
        problems.append("A receipt needs the number of containers received.")
    elif draft.containers != draft.movement.units:
        problems.append("The containers received must equal the units added.")
    return problems


def _has_reason(draft: Draft) -> bool:
    """The one rule for written reasons (kapclinic.core.reasons: visible characters, minimum
    length)."""
    return reason_problem(draft.reason) is None


def _kind_problems(draft: Draft, *, waste_needs_witness: bool) -> list[str]:
    kind = draft.kind
    if kind == EntryKind.RECEIPT:
        return _receipt_problems(draft)
    if kind in PATIENT_KINDS:
        # R-CS-2: the patient, and who administered or dispensed it.
        problems = [] if draft.has_patient else ["It must name the patient (R-CS-2)."]
        if kind != EntryKind.RETURN and not draft.has_administrator:
            problems.append("It must name who administered or dispensed it (R-CS-2).")
        return problems
    if kind == EntryKind.WASTE:
        # R-CS-3: the reason, and (the clinic's default) a witness who signs.
        problems = [] if _has_reason(draft) else ["A waste needs its reason (R-CS-3)."]
        if waste_needs_witness and draft.witnesses < 1:
            problems.append("A waste is witnessed by another staff member (R-CS-3).")
        return problems
    if kind == EntryKind.DESTRUCTION:
        # R-CS-4: DEA Form 41, two authorised witnesses.
        problems = [] if draft.destruction_method.strip() else ["Say how it was destroyed."]
        if draft.witnesses < 2:
            problems.append("A destruction (DEA Form 41) needs two witnesses (R-CS-4).")
        if not _has_reason(draft):
            problems.append("Say why the stock is destroyed (expired, damaged, returned).")
        return problems
    if kind in {EntryKind.ADJUSTMENT, EntryKind.REVERSAL} and not _has_reason(draft):
        return [f"{_a(kind.label).capitalize()} needs a reason."]
    return []


def _reversal_problems(draft: Draft) -> list[str]:
    if draft.reverses_kind is None or draft.reverses_movement is None:
        return ["A reversal must name the entry it reverses."]
    if draft.reverses_reversed:
        return ["That entry has already been reversed."]
    if draft.reverses_kind == EntryKind.REVERSAL:
        return ["A reversal cannot itself be reversed: post the entry again instead."]
    if draft.reverses_kind in {EntryKind.TRANSFER_IN, EntryKind.TRANSFER_OUT}:
        return ["A transfer is reversed by transferring the stock back."]
    if draft.movement != -draft.reverses_movement:
        return ["A reversal moves exactly the opposite of the entry it reverses."]
    return []


def entry_problems(draft: Draft, *, now: datetime, waste_needs_witness: bool = True) -> list[str]:
    """Everything that stops ``draft`` from being posted (balance checks aside: those need the
    locked balance, ``quantities.balance_problem``)."""
    problems: list[str] = []
    if draft.occurred_at > now + timedelta(minutes=5):
        problems.append("The date of the transaction cannot be in the future (21 CFR 1304.21(d)).")
    if draft.kind == EntryKind.REVERSAL:
        problems.extend(_reversal_problems(draft))
    else:
        direction = direction_problem(draft)
        if direction:
            problems.append(direction)
    problems.extend(_kind_problems(draft, waste_needs_witness=waste_needs_witness))
    return problems


def next_business_day_end(
    discovered_at: datetime, tz: ZoneInfo, closed: frozenset[date]
) -> datetime:
    """R-CS-7: the end of the first business day after discovery (Monday to Friday, not a
    day the clinic lists as closed), in the clinic's time zone."""
    day = discovered_at.astimezone(tz).date() + timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return datetime.combine(day, time(23, 59), tzinfo=tz)


def form_106_due(discovered_at: datetime) -> datetime:
    """R-CS-7: DEA Form 106 is filed within 45 days of discovery."""
    return discovered_at + timedelta(days=FORM_106_DAYS)


def biennial_inventory_due(last_inventory_on: date) -> date:
    """R-CS-5: the next inventory is due at most two years after the previous one."""
    try:
        return last_inventory_on.replace(year=last_inventory_on.year + 2)
    except ValueError:  # 29 February
        return last_inventory_on.replace(year=last_inventory_on.year + 2, day=28)


def retained_until(occurred_on: date, retention_years: int) -> date:
    """R-CS-6: records are kept at least ``retention_years`` (>= 2) after their date; kapclinic
    never deletes them, this date is what reports show."""
    years = max(retention_years, 2)
    try:
        return occurred_on.replace(year=occurred_on.year + years)
    except ValueError:
        return occurred_on.replace(year=occurred_on.year + years, day=28)


def decimal_text(mg: Decimal) -> str:
    return f"{mg.normalize():f}"
