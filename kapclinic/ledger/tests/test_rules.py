"""The ledger's pure rules (R-CS-1, R-CS-5..7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kapclinic.ledger import rules
from kapclinic.ledger.quantities import QuantityError, parse_mg

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
