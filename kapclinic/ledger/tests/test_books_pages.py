"""The books' reading pages (issue 14): the ledger's home with balances and integrity badges in
a constant number of queries, an account's entries in chain order, an entry's page, and the
audit of every read that shows a patient (issue 14.6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.ledger import services
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.models import ChainCheck, Entry
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import Stock, staff
from kapclinic.patients.models import Patient


def _administer(stock: Stock, mg: str, key: str) -> Entry:
    patient = Patient.objects.filter(clinic=stock.clinic).order_by("id")[0]
    return services.record_administration(
        actor=stock.nurse,
        account=stock.safe,
        lot=stock.vials,
        patient=patient,
        mg=mg,
        administered_by=stock.nurse.user,
        occurred_at=stock.now,
        source_key=f"dosing-session:{key}",
        now=stock.now,
    )


def _queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured)


def test_the_home_page_shows_each_account_balance_and_badge(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 3)
    receive(stock, stock.devices, 2, stock.cart)
    ChainCheck.objects.create(account=stock.safe, checked_at=stock.now, ok=True, entries_checked=1)
    ChainCheck.objects.create(
        account=stock.cart,
        checked_at=stock.now,
        ok=False,
        entries_checked=1,
        first_bad_position=1,
        problem="entry changed after it was sealed",
    )
    page = client_for(stock.nurse).get(reverse("ledger:home")).content.decode()
    assert "1500 mg" in page
    assert "3 vials" in page
    assert "56 mg" in page
    assert "2 devices" in page
    assert "Verified" in page
    assert "1 entry" in page
    assert "BROKEN at entry #1: entry changed after it was sealed" in page
    assert "Record a waste" in page
    # The nurse may not correct the ledger nor set up stock.
    assert "Adjust a balance" not in page
    assert reverse("ledger:setup") not in page


def test_an_account_never_checked_says_so(stock: Stock) -> None:
    page = client_for(stock.nurse).get(reverse("ledger:home")).content.decode()
    assert "Not verified yet" in page


def test_the_home_page_costs_the_same_queries_whatever_the_entries(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 1)
    client = client_for(stock.nurse)
    url = reverse("ledger:home")
    _queries(client, url)  # warm the session
    few = _queries(client, url)
    for n in range(5):
        receive(stock, stock.vials, 1)
        receive(stock, stock.devices, 1, stock.cart)
        receive(stock, stock.lozenges, 2)
        ChainCheck.objects.create(account=stock.safe, checked_at=stock.now + timedelta(n), ok=True)
    services.open_account(actor=stock.prescriber, name="Third safe")
    assert _queries(client, url) == few


def test_the_account_page_costs_the_same_queries_whatever_the_entries(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 2)
    _administer(stock, "10", "q-1")
    client = client_for(stock.nurse)
    url = reverse("ledger:account", args=[stock.safe.public_id])
    _queries(client, url)
    few = _queries(client, url)
    for n in range(8):
        _administer(stock, "5", f"q-more-{n}")
        receive(stock, stock.lozenges, 1)
    assert _queries(client, url) == few


def test_entries_are_shown_newest_first_and_a_page_naming_a_patient_is_audited(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 1)
    client = client_for(stock.nurse)
    url = reverse("ledger:account", args=[stock.safe.public_id])
    client.get(url)
    assert not AuditEvent.objects.filter(action=LedgerAuditAction.ENTRIES_VIEWED).exists()
    given = _administer(stock, "35.5", "a-1")
    page = client.get(url).content.decode()
    assert page.index("#2 Administration") < page.index("#1 Receipt")
    assert given.patient is not None
    assert f"MRN {given.patient.mrn}" in page
    event = AuditEvent.objects.get(action=LedgerAuditAction.ENTRIES_VIEWED)
    assert event.patient_public_id == given.patient.public_id
    assert event.detail["entries"] == [str(given.public_id)]


def test_an_entry_naming_a_patient_is_audited_when_opened(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receipt = receive(stock, stock.vials, 1)
    given = _administer(stock, "20", "a-2")
    client = client_for(stock.nurse)
    page = client.get(reverse("ledger:entry", args=[receipt.public_id])).content.decode()
    assert "RE1234563" in page
    assert "INV-1001" in page
    assert not AuditEvent.objects.filter(action=LedgerAuditAction.ENTRY_VIEWED).exists()
    page = client.get(reverse("ledger:entry", args=[given.public_id])).content.decode()
    assert given.patient is not None
    assert given.patient.mrn in page
    event = AuditEvent.objects.get(action=LedgerAuditAction.ENTRY_VIEWED)
    assert event.patient_public_id == given.patient.public_id
    # Only a prescriber may reverse: the nurse is not offered the form.
    assert "Reverse this entry" not in page


def test_an_entry_shows_its_reversal_and_the_transfer_it_belongs_to(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.vials, 2)
    sent, received = services.transfer(
        actor=stock.nurse,
        source=stock.safe,
        destination=stock.cart,
        lot=stock.vials,
        mg="500",
        units=1,
        occurred_at=stock.now,
        now=stock.now,
    )
    client = client_for(stock.prescriber)
    page = client.get(reverse("ledger:entry", args=[sent.public_id])).content.decode()
    assert f"Test infusion cart, entry #{received.position}" in page
    assert "Reverse this entry" not in page  # a transfer is reversed by transferring back
    given = _administer(stock, "20", "a-3")
    reversal = services.reverse(
        actor=stock.prescriber, entry=given, reason="Recorded on the wrong vial", now=stock.now
    )
    page = client.get(reverse("ledger:entry", args=[given.public_id])).content.decode()
    assert "Reversed by" in page
    assert f"entry #{reversal.position}" in page


def test_another_clinics_account_and_entry_answer_404(
    stock: Stock, receive: Callable[..., Entry], clinics: list[Clinic]
) -> None:
    entry = receive(stock, stock.vials, 1)
    other = clinics[1]
    someone = Actor.for_user(staff(other, Role.NURSE), other)
    client = client_for(someone)
    assert client.get(reverse("ledger:account", args=[stock.safe.public_id])).status_code == 404
    assert client.get(reverse("ledger:entry", args=[entry.public_id])).status_code == 404
    assert client.get(reverse("ledger:waste", args=[stock.safe.public_id])).status_code == 404


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.RESEARCHER])
def test_roles_without_the_ledger_see_nothing_of_it(
    role: Role, stock: Stock, receive: Callable[..., Entry], demo_user: Callable[[Role], User]
) -> None:
    entry = receive(stock, stock.vials, 1)
    client = client_for(Actor.for_user(demo_user(role), stock.clinic))
    today = client.get(reverse("today:today")).content.decode()
    assert reverse("ledger:home") not in today
    for url in (
        reverse("ledger:home"),
        reverse("ledger:account", args=[stock.safe.public_id]),
        reverse("ledger:entry", args=[entry.public_id]),
    ):
        assert client.get(url).status_code == 403


def test_the_navigation_offers_the_ledger_to_those_who_may_see_it(stock: Stock) -> None:
    page = client_for(stock.nurse).get(reverse("ledger:home")).content.decode()
    assert f'href="{reverse("ledger:home")}" aria-current="page">Ledger' in page
