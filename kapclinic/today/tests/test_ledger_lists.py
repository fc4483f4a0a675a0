"""The controlled-substance ledger's Today lists (issue 14.4): counts due, inventories due
(R-CS-5), open discrepancies and DEA tasks (R-CS-7), lots expiring with stock; one query each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapclinic.accounts.models import OpeningHours, Role
from kapclinic.ledger import services as ledger
from kapclinic.ledger.counts import services
from kapclinic.ledger.models import Discrepancy, Entry, StockCount
from kapclinic.ledger.tests.conftest import Stock, receive, stock
from kapclinic.ledger.tests.counting import take_count
from kapclinic.today.todo import list_todo

__all__ = ["receive", "stock"]  # the ledger's fixtures, used here
Finding = Discrepancy.Finding
LEDGER_LISTS = {"counts_due", "discrepancies", "dea_tasks", "inventories_due", "expiring"}


def _lists(stock: Stock, role: Role) -> dict[str, list[str]]:
    return {t.key: [i.label for i in t.items] for t in list_todo(stock.clinic, {role}, stock.now)}


def test_r_cs_7_a_theft_puts_the_dea_notice_and_form_106_on_todays_lists(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 4)
    take_count(stock, {stock.devices: (None, 2)})
    assert len(_lists(stock, Role.PRESCRIBER)["discrepancies"]) == 1
    services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=Discrepancy.objects.get(),
        finding=Finding.THEFT_OR_SIGNIFICANT_LOSS,
        investigation="Two devices missing; the safe's lock was forced.",
        now=stock.now,
    )
    expected = ["Written notice to the DEA Field Division", "DEA Form 106 filed electronically"]
    for role in (Role.PRESCRIBER, Role.CLINIC_ADMIN):
        assert _lists(stock, role)["dea_tasks"] == expected
    lists = {t.key: t for t in list_todo(stock.clinic, {Role.PRESCRIBER}, stock.now)}
    assert lists["dea_tasks"].items[0].urgent
    assert lists["discrepancies"].total == 0
    assert "dea_tasks" not in _lists(stock, Role.NURSE)


def test_r_cs_5_today_asks_for_counts_and_inventories_until_they_are_submitted(
    stock: Stock,
) -> None:
    for weekday in range(7):
        OpeningHours.objects.get_or_create(
            clinic=stock.clinic, weekday=weekday, opens_at=time(8), closes_at=time(18)
        )
    lists = _lists(stock, Role.NURSE)
    assert {"Test safe", "Test infusion cart"} <= set(lists["counts_due"])
    assert {"Test safe", "Test infusion cart"} <= set(lists["inventories_due"])
    take_count(stock, {}, kind=StockCount.Kind.INITIAL)
    lists = _lists(stock, Role.NURSE)
    assert "Test safe" not in lists["counts_due"]
    assert "Test safe" not in lists["inventories_due"]
    assert "Test infusion cart" in lists["counts_due"]


def test_lots_expiring_within_30_days_with_stock_are_listed(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    soon = ledger.add_lot(
        actor=stock.prescriber,
        product=stock.vials.product,
        number="V-SOON",
        expires_on=stock.now.date() + timedelta(days=10),
    )
    receive(stock, soon, 2)
    receive(stock, stock.vials, 1)  # expires in about two years
    expiring = _lists(stock, Role.NURSE)["expiring"]  # the demo's own short-dated lot aside
    assert [item for item in expiring if item.startswith("Test ")] == [
        f"{soon.product.name}, lot V-SOON"
    ]


def test_the_ledger_lists_take_one_query_each_whatever_the_data(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            list_todo(stock.clinic, {Role.PRESCRIBER, Role.NURSE}, stock.now)
        return len(captured.captured_queries)

    before = queries()
    for n in range(3):
        lot = ledger.add_lot(
            actor=stock.prescriber,
            product=stock.devices.product,
            number=f"Q-{n}",
            expires_on=stock.now.date() + timedelta(days=5),
        )
        receive(stock, lot, 2)
    take_count(stock, {})
    services.close_discrepancy(
        actor=stock.prescriber,
        discrepancy=Discrepancy.objects.order_by("pk")[0],
        finding=Finding.THEFT_OR_SIGNIFICANT_LOSS,
        investigation="Missing from the safe after the weekend.",
        now=stock.now,
    )
    assert queries() == before


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.RESEARCHER])
def test_roles_without_the_ledger_get_none_of_its_lists(role: Role, stock: Stock) -> None:
    assert not set(_lists(stock, role)) & LEDGER_LISTS
