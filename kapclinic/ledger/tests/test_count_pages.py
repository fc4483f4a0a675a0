"""The count pages and the ledger's Today lists (issue 14.4): a blind count at the safe (the
expected balance is in no page or htmx answer before submission), the result after it, closing
a discrepancy, DEA tasks, the expiry report; counts due, discrepancies, DEA tasks (R-CS-7),
inventories (R-CS-5) and expiring lots on Today, in a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import OpeningHours, Role
from kapclinic.demo.generator.organisation import DEMO_LOGINS, DEMO_PASSWORD
from kapclinic.ledger import services as ledger
from kapclinic.ledger.counts import services
from kapclinic.ledger.models import (
    ComplianceTask,
    CountLine,
    Discrepancy,
    Entry,
    StockCount,
)
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.counting import take_count
from kapclinic.today.todo import list_todo

Finding = Discrepancy.Finding


def _start(client: Client, stock: Stock) -> StockCount:
    response = client.post(
        reverse("ledger:count-start", args=[stock.safe.public_id]),
        {"kind": "day", "moment": "close"},
    )
    assert response.status_code == 302
    return StockCount.objects.get(account=stock.safe)


def test_a_blind_count_shows_no_expected_balance_until_the_second_counter_signs(
    stock: Stock, receive: Callable[..., Entry], client_for: Callable[[Role], Client]
) -> None:
    receive(stock, stock.vials, 7)  # 3500 mg, 7 vials: neither figure may be shown
    nurse = client_for(Role.NURSE)
    count = _start(nurse, stock)
    page = nurse.get(reverse("ledger:count", args=[count.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "lot V-1" in html
    assert "3500" not in html
    assert 'value="7"' not in html
    row = nurse.post(
        reverse("ledger:count-line", args=[count.public_id]),
        {"lot": str(stock.vials.public_id), "counted_units": "6", "counted_mg": "2950"},
        headers={"HX-Request": "true"},
    )
    text = row.content.decode()
    assert row.status_code == 200
    assert "2950 mg" in text
    assert "3500" not in text
    assert "<html" not in text
    refused = nurse.post(
        reverse("ledger:count-line", args=[count.public_id]),
        {"lot": str(stock.devices.public_id), "counted_units": "1", "estimated": "on"},
        headers={"HX-Request": "true"},
    )
    assert "counted exactly" in refused.content.decode()
    assert CountLine.objects.filter(count=count).count() == 1
    wrong = nurse.post(
        reverse("ledger:count-submit", args=[count.public_id]),
        {"email": DEMO_LOGINS[Role.PRESCRIBER][0], "password": "not the password"},
    )
    assert wrong.status_code == 422
    assert "3500" not in wrong.content.decode()
    assert StockCount.objects.get(pk=count.pk).status == StockCount.Status.IN_PROGRESS
    signed = nurse.post(
        reverse("ledger:count-submit", args=[count.public_id]),
        {"email": DEMO_LOGINS[Role.PRESCRIBER][0], "password": DEMO_PASSWORD},
    )
    assert signed.status_code == 302
    result = nurse.get(reverse("ledger:count", args=[count.public_id])).content.decode()
    assert "3500 mg, 7 vials" in result
    assert "-550 mg, -1" in result
    assert Discrepancy.objects.filter(account=stock.safe).count() == 1


def test_a_prescriber_closes_a_theft_and_the_dea_tasks_appear_on_today(
    stock: Stock, receive: Callable[..., Entry], client_for: Callable[[Role], Client]
) -> None:
    receive(stock, stock.devices, 4)
    take_count(stock, {stock.devices: (None, 2)})
    discrepancy = Discrepancy.objects.get()
    prescriber = client_for(Role.PRESCRIBER)
    page = prescriber.get(reverse("ledger:discrepancy", args=[discrepancy.public_id]))
    assert "Close with the investigation" in page.content.decode()
    close = reverse("ledger:discrepancy-close", args=[discrepancy.public_id])
    empty = prescriber.post(close, {"finding": Finding.THEFT_OR_SIGNIFICANT_LOSS})
    assert empty.status_code == 422
    assert not ComplianceTask.objects.exists()
    done = prescriber.post(
        close,
        {
            "finding": Finding.THEFT_OR_SIGNIFICANT_LOSS,
            "investigation": "Two devices missing; the safe's lock was forced.",
        },
    )
    assert done.status_code == 302
    today = {t.key: t for t in list_todo(stock.clinic, {Role.PRESCRIBER}, stock.now)}
    assert [i.label for i in today["dea_tasks"].items] == [
        "Written notice to the DEA Field Division",
        "DEA Form 106 filed electronically",
    ]
    assert today["dea_tasks"].items[0].urgent
    assert today["discrepancies"].total == 0
    admin = client_for(Role.CLINIC_ADMIN)
    tasks = admin.get(reverse("ledger:tasks")).content.decode()
    assert "Written notice" in tasks
    task = ComplianceTask.objects.get(kind=ComplianceTask.Kind.DEA_FORM_106)
    url = reverse("ledger:task", args=[task.public_id])
    assert admin.post(url, {"reference": ""}).status_code == 422
    assert admin.post(url, {"reference": "DEA-106-123456"}).status_code == 302
    assert ComplianceTask.objects.get(pk=task.pk).reference == "DEA-106-123456"


def test_the_expiry_report_lists_lots_with_stock_per_account_and_refuses_bad_days(
    stock: Stock, receive: Callable[..., Entry], client_for: Callable[[Role], Client]
) -> None:
    soon = ledger.add_lot(
        actor=stock.prescriber,
        product=stock.vials.product,
        number="V-SOON",
        expires_on=stock.now.date() + timedelta(days=10),
    )
    receive(stock, soon, 2)
    receive(stock, stock.vials, 1)  # expires in about two years
    nurse = client_for(Role.NURSE)
    html = nurse.get(reverse("ledger:expiry")).content.decode()
    assert "lot V-SOON" in html
    assert "lot V-1" not in html
    assert "lot V-1" in nurse.get(reverse("ledger:expiry"), {"days": "730"}).content.decode()
    assert nurse.get(reverse("ledger:expiry"), {"days": "-4"}).status_code == 200
    today = {t.key: t for t in list_todo(stock.clinic, {Role.NURSE}, stock.now)}
    assert [i.label for i in today["expiring"].items] == [f"{soon.product.name}, lot V-SOON"]


def test_r_cs_5_today_asks_for_counts_and_inventories_until_they_are_submitted(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    for weekday in range(7):
        OpeningHours.objects.get_or_create(
            clinic=stock.clinic, weekday=weekday, opens_at=time(8), closes_at=time(18)
        )

    def due(key: str) -> list[str]:
        lists = {t.key: t for t in list_todo(stock.clinic, {Role.NURSE}, stock.now)}
        return [i.label for i in lists[key].items]

    assert {"Test safe", "Test infusion cart"} <= set(due("counts_due"))
    assert {"Test safe", "Test infusion cart"} <= set(due("inventories_due"))
    take_count(stock, {}, kind=StockCount.Kind.INITIAL)
    assert "Test safe" not in due("counts_due")
    assert "Test safe" not in due("inventories_due")
    assert "Test infusion cart" in due("counts_due")


def test_the_ledger_lists_on_today_take_one_query_each_whatever_the_data(
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
            expires_on=date.today() + timedelta(days=5),
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
def test_roles_without_the_ledger_see_none_of_it(
    role: Role, stock: Stock, client_for: Callable[[Role], Client]
) -> None:
    client = client_for(role)
    assert client.get(reverse("ledger:counts")).status_code == 403
    lists = {t.key for t in list_todo(stock.clinic, {role}, stock.now)}
    assert not lists & {"counts_due", "discrepancies", "dea_tasks", "inventories_due", "expiring"}
