"""The REMS Patient Monitoring Forms due on Today (R-REMS-5, issue 15.8): the prescriber's and
the clinic admin's, not the nurse's; overdue ones urgent; one query whatever the forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapclinic.accounts.models import Role
from kapclinic.dosing.tests.esketamine import esketamine_appointments, esketamine_session
from kapclinic.ledger.models import Entry
from kapclinic.ledger.tests.conftest import Stock, receive, stock
from kapclinic.today.todo import list_todo

__all__ = ["receive", "stock"]  # the ledger's fixtures, used here
FRIDAY = date(2026, 12, 4)


def _noon(stock: Stock, day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=stock.clinic.tzinfo)


def test_an_overdue_form_is_urgent_on_the_prescribers_and_admins_today(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5 with §U.1, frozen time: a Friday's form is due by the next Friday; on the
    Saturday it is overdue and urgent; nurses do not track REMS forms."""
    esketamine_session(stock, receive, dosed_at=_noon(stock, FRIDAY))

    def items(roles: set[Role], day: date) -> list[tuple[str, bool]]:
        with time_machine.travel(_noon(stock, day), tick=False):
            lists = {t.key: t for t in list_todo(stock.clinic, roles, timezone.now())}
        return [(i.detail, i.urgent) for i in lists["rems_forms"].items]

    for roles in ({Role.PRESCRIBER}, {Role.CLINIC_ADMIN}):
        assert (
            "REMS Patient Monitoring Form of the session of Fri 04 Dec: due by Fri 11 Dec",
            False,
        ) in items(roles, date(2026, 12, 7))
        assert (
            "REMS Patient Monitoring Form of the session of Fri 04 Dec: due today",
            True,
        ) in items(roles, date(2026, 12, 11))
        assert (
            "REMS Patient Monitoring Form of the session of Fri 04 Dec: overdue since Fri 11 Dec",
            True,
        ) in items(roles, date(2026, 12, 12))
    nurse = list_todo(stock.clinic, {Role.NURSE}, stock.now)
    assert "rems_forms" not in {t.key for t in nurse}


def test_the_rems_list_takes_the_same_queries_whatever_the_forms(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    """R-REMS-5: the Today list of forms due is one query, however many sessions."""
    appointments = esketamine_appointments(stock)
    now = _noon(stock, date(2026, 12, 20))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            list_todo(stock.clinic, {Role.PRESCRIBER}, now)
        return len(captured.captured_queries)

    esketamine_session(stock, receive, dosed_at=_noon(stock, FRIDAY), appointment=appointments[0])
    one = queries()
    for n, appointment in enumerate(appointments[1:3], start=1):
        esketamine_session(
            stock,
            receive,
            dosed_at=_noon(stock, FRIDAY + timedelta(days=n)),
            appointment=appointment,
        )
    assert queries() == one
    with time_machine.travel(now, tick=False):
        lists = {t.key: t for t in list_todo(stock.clinic, {Role.PRESCRIBER}, timezone.now())}
    assert lists["rems_forms"].total >= 3
