"""The count pages (issue 14.4): a blind count at the safe (the expected balance is in no page
or htmx answer before submission), the result after it, closing a discrepancy and its DEA tasks
(R-CS-7), the expiry report. The Today lists: kapclinic/today/tests/test_ledger_lists.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.ledger import services as ledger
from kapclinic.ledger.models import (
    ComplianceTask,
    CountLine,
    Discrepancy,
    Entry,
    StockCount,
)
from kapclinic.ledger.tests.conftest import Stock
from kapclinic.ledger.tests.counting import PASSWORD, counters, take_count

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
    second = counters(stock).prescriber.user.email
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
        {"email": second, "password": "not the password"},
    )
    assert wrong.status_code == 422
    assert "3500" not in wrong.content.decode()
    assert StockCount.objects.get(pk=count.pk).status == StockCount.Status.IN_PROGRESS
    signed = nurse.post(
        reverse("ledger:count-submit", args=[count.public_id]),
        {"email": second, "password": PASSWORD},
    )
    assert signed.status_code == 302
    result = nurse.get(reverse("ledger:count", args=[count.public_id])).content.decode()
    assert "3500 mg, 7 vials" in result
    assert "-550 mg, -1" in result
    assert Discrepancy.objects.filter(account=stock.safe).count() == 1


def test_a_prescriber_closes_a_theft_and_the_dea_tasks_are_raised(
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
    assert ComplianceTask.objects.filter(discrepancy=discrepancy).count() == 2
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


def test_roles_without_the_ledger_see_none_of_it(client_for: Callable[[Role], Client]) -> None:
    for role in (Role.FRONT_DESK, Role.THERAPIST, Role.RESEARCHER):
        assert client_for(role).get(reverse("ledger:counts")).status_code == 403
