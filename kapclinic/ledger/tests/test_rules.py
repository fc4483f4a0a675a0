"""The ledger's pure rules (R-CS-1, R-CS-5..7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kapclinic.ledger import rules
from kapclinic.ledger.models.entries import EntryKind
from kapclinic.ledger.quantities import Quantity, QuantityError, parse_mg

NEW_YORK = ZoneInfo("America/New_York")


def test_r_cs_1_a_dea_number_is_checked_with_its_check_digit() -> None:
    """R-CS-1: the supplier's DEA number (1+3+5 + 2 x (2+4+6), last digit = 7th digit)."""
    assert rules.dea_number_problem("AB1234563") is None
    assert rules.dea_number_problem("AB1234567") is not None
    assert rules.dea_number_problem("A1234563") is not None


def test_r_cs_7_the_written_notice_is_due_by_the_end_of_the_next_business_day() -> None:
    """R-CS-7: a Friday discovery is noticed by Monday; a closed Monday moves it to Tuesday."""
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=NEW_YORK)
    due = rules.next_business_day_end(friday, NEW_YORK, frozenset())
    assert (due.date(), due.hour) == (date(2026, 12, 7), 23)
    closed = frozenset({date(2026, 12, 7)})
    assert rules.next_business_day_end(friday, NEW_YORK, closed).date() == date(2026, 12, 8)


def test_r_cs_7_form_106_is_due_45_days_after_discovery() -> None:
    """R-CS-7: DEA Form 106 within 45 days (88 FR 40707)."""
    found = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert rules.form_106_due(found) == found + timedelta(days=45)


def test_r_cs_5_the_next_inventory_is_due_within_two_years() -> None:
    """R-CS-5: biennial inventory, a 29 February taken to the 28th."""
    assert rules.biennial_inventory_due(date(2026, 3, 1)) == date(2028, 3, 1)
    assert rules.biennial_inventory_due(date(2028, 2, 29)) == date(2030, 2, 28)


def test_r_cs_6_records_are_kept_at_least_two_years() -> None:
    """R-CS-6: retention never below two years, configurable upward."""
    assert rules.retained_until(date(2026, 12, 7), 1) == date(2028, 12, 7)
    assert rules.retained_until(date(2026, 12, 7), 5) == date(2031, 12, 7)
    assert rules.retained_until(date(2028, 2, 29), 2) == date(2030, 2, 28)


def test_milligrams_too_large_to_hold_are_refused_not_an_error() -> None:
    """Every bad input gets a clear message: 1e309 and 20 nines are refused by size."""
    for text in ("1e309", "99999999999999999999", "-1e309"):
        with pytest.raises(QuantityError, match="more than the ledger can hold"):
            parse_mg(text)


NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
IN = Quantity(Decimal("500.000"), 1)
OUT = -IN
SUPPLIER = {
    "supplier_name": "Example Pharma Distribution",
    "supplier_address": "1 Supply Way, Columbus, OH 43004",
    "supplier_dea": "RE1234563",
    "invoice_number": "INV-1",
}


def _draft(kind: EntryKind, movement: Quantity = OUT, **fields: object) -> rules.Draft:
    return rules.Draft(kind=kind, movement=movement, occurred_at=NOW, **fields)  # type: ignore[arg-type]


def _problems(draft: rules.Draft, *, waste_needs_witness: bool = True) -> list[str]:
    return rules.entry_problems(draft, now=NOW, waste_needs_witness=waste_needs_witness)


def test_every_kind_moves_stock_its_own_way() -> None:
    """Credits add and debits take out; a sign the wrong way is refused with its reason."""
    receipt = _draft(EntryKind.RECEIPT, OUT, containers=1, **SUPPLIER)
    assert any("must be positive" in p for p in _problems(receipt))
    dose = _draft(EntryKind.ADMINISTRATION, IN, has_patient=True, has_administrator=True)
    assert _problems(dose) == ["An administration takes stock out: its quantity must be negative."]
    assert (
        _problems(_draft(EntryKind.ADMINISTRATION, has_patient=True, has_administrator=True)) == []
    )


def test_an_entry_dated_in_the_future_is_refused() -> None:
    """21 CFR 1304.21(d): the date of the transaction; five minutes of clock drift allowed."""
    ok = rules.Draft(
        kind=EntryKind.ADMINISTRATION,
        movement=OUT,
        occurred_at=NOW + timedelta(minutes=4),
        has_patient=True,
        has_administrator=True,
    )
    assert _problems(ok) == []
    late = rules.Draft(
        kind=EntryKind.ADMINISTRATION,
        movement=OUT,
        occurred_at=NOW + timedelta(minutes=6),
        has_patient=True,
        has_administrator=True,
    )
    assert any("in the future" in p for p in _problems(late))


def test_r_cs_1_a_receipt_names_its_supplier_invoice_and_containers() -> None:
    """R-CS-1: each missing field has its own message; containers must equal the units."""
    assert _problems(_draft(EntryKind.RECEIPT, IN, containers=1, **SUPPLIER)) == []
    bare = _problems(_draft(EntryKind.RECEIPT, IN, supplier_dea="AB1234567"))
    assert "A receipt needs the supplier's name." in bare
    assert "A receipt needs the supplier's address." in bare
    assert "A receipt needs the invoice or packing-slip number." in bare
    assert "A receipt needs the number of containers received." in bare
    assert any(p.startswith("Supplier's DEA number:") for p in bare)
    two = _problems(_draft(EntryKind.RECEIPT, IN, containers=2, **SUPPLIER))
    assert two == ["The containers received must equal the units added."]


def test_r_cs_2_patient_entries_name_the_patient_and_who_gave_it() -> None:
    """R-CS-2: administrations and dispensings name both; a return names the patient only."""
    problems = _problems(_draft(EntryKind.DISPENSING))
    assert problems == [
        "It must name the patient (R-CS-2).",
        "It must name who administered or dispensed it (R-CS-2).",
    ]
    assert _problems(_draft(EntryKind.RETURN, IN)) == ["It must name the patient (R-CS-2)."]
    assert _problems(_draft(EntryKind.RETURN, IN, has_patient=True)) == []


def test_r_cs_3_a_waste_needs_its_reason_and_by_default_a_witness() -> None:
    """R-CS-3: the reason always; the witness unless the clinic's setting says otherwise."""
    reason = "Drawn up, not given: the session was stopped."
    assert _problems(_draft(EntryKind.WASTE)) == [
        "A waste needs its reason (R-CS-3).",
        "A waste is witnessed by another staff member (R-CS-3).",
    ]
    assert _problems(_draft(EntryKind.WASTE, reason=reason, witnesses=1)) == []
    unwitnessed = _draft(EntryKind.WASTE, reason=reason)
    assert _problems(unwitnessed, waste_needs_witness=False) == []


def test_r_cs_4_a_destruction_says_how_and_why_with_two_witnesses() -> None:
    """R-CS-4: DEA Form 41's method, two witnesses and the reason."""
    assert _problems(_draft(EntryKind.DESTRUCTION, witnesses=1)) == [
        "Say how it was destroyed.",
        "A destruction (DEA Form 41) needs two witnesses (R-CS-4).",
        "Say why the stock is destroyed (expired, damaged, returned).",
    ]
    done = _draft(
        EntryKind.DESTRUCTION,
        witnesses=2,
        destruction_method="Reverse distributor, Form 41 filed",
        reason="Expired lot, returned for destruction.",
    )
    assert _problems(done) == []


def test_an_adjustment_goes_either_way_but_needs_a_reason() -> None:
    """Adjustments correct a count (R-CS-7's findings): either sign, never without a reason."""
    assert _problems(_draft(EntryKind.ADJUSTMENT, IN)) == ["An adjustment needs a reason."]
    reversal = _draft(EntryKind.REVERSAL, IN, reverses_kind=EntryKind.WASTE, reverses_movement=OUT)
    assert _problems(reversal) == ["A reversal needs a reason."]
    assert _problems(_draft(EntryKind.ADJUSTMENT, OUT, reason="Count found one vial short.")) == []


@pytest.mark.parametrize(
    ("reverses", "message"),
    [
        ({}, "A reversal must name the entry it reverses."),
        (
            {"reverses_kind": EntryKind.WASTE, "reverses_movement": OUT, "reverses_reversed": True},
            "That entry has already been reversed.",
        ),
        (
            {"reverses_kind": EntryKind.REVERSAL, "reverses_movement": OUT},
            "A reversal cannot itself be reversed: post the entry again instead.",
        ),
        (
            {"reverses_kind": EntryKind.TRANSFER_OUT, "reverses_movement": OUT},
            "A transfer is reversed by transferring the stock back.",
        ),
        (
            {"reverses_kind": EntryKind.WASTE, "reverses_movement": OUT + OUT},
            "A reversal moves exactly the opposite of the entry it reverses.",
        ),
    ],
)
def test_a_reversal_undoes_exactly_one_entry_once(
    reverses: dict[str, object], message: str
) -> None:
    """A reversal needs its entry, once, not a transfer or a reversal, and moves its opposite."""
    draft = _draft(EntryKind.REVERSAL, IN, reason="Posted to the wrong lot.", **reverses)
    assert _problems(draft) == [message]
    good = _draft(
        EntryKind.REVERSAL,
        IN,
        reason="Posted to the wrong lot.",
        reverses_kind=EntryKind.WASTE,
        reverses_movement=OUT,
    )
    assert _problems(good) == []
