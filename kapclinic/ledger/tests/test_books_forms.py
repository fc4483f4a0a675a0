"""The entry forms (issue 14.2): each posts through its service; every refusal (a bad number,
more than three decimals, a balance below zero, a bad DEA number, a wrong witness password, the
recorder as their own witness) is a clear message on the same form, writes nothing, and keeps
what was typed (R-CS-1..4, R-LT-3)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.audit.models import AuditEvent
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.models import Entry, EntryKind, Holding, Lot
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import VIAL_SUPPLIER, Stock
from kapclinic.patients.models import Patient

WHEN = "2026-01-05T09:30"


def _post(client: Client, name: str, target: object, data: dict[str, Any]) -> Any:
    return client.post(reverse(f"ledger:{name}", args=[target]), data)


def _entries(stock: Stock) -> int:
    return Entry.objects.filter(account__in=[stock.safe, stock.cart]).count()


def _receipt(stock: Stock, **changes: Any) -> dict[str, Any]:
    return {
        "lot": str(stock.vials.public_id),
        "containers": "2",
        "occurred_at": WHEN,
        **VIAL_SUPPLIER,
        **changes,
    }


def test_r_cs_1_a_receipt_from_the_invoice(stock: Stock) -> None:
    client = client_for(stock.nurse)
    response = _post(client, "receive", stock.safe.public_id, _receipt(stock))
    assert response.status_code == 302
    entry = Entry.objects.get(account=stock.safe)
    assert (entry.kind, entry.quantity_mg, entry.units) == (EntryKind.RECEIPT, Decimal(1000), 2)
    assert entry.invoice_number == "INV-1001"
    assert entry.occurred_at.date().isoformat() == "2026-01-05"  # the actual date, 1304.21(d)


def test_a_receipt_of_a_new_lot_records_the_lot_with_it(stock: Stock) -> None:
    client = client_for(stock.nurse)
    data = _receipt(
        stock,
        lot="new",
        product=str(stock.vials.product.public_id),
        new_lot_number="V-2",
        new_lot_expires_on="2028-06-30",
    )
    assert _post(client, "receive", stock.safe.public_id, data).status_code == 302
    lot = Lot.objects.get(product=stock.vials.product, number="V-2")
    assert Holding.objects.get(account=stock.safe, lot=lot).balance_units == 2


def test_a_refused_receipt_of_a_new_lot_leaves_no_lot_behind(stock: Stock) -> None:
    client = client_for(stock.nurse)
    data = _receipt(
        stock,
        lot="new",
        product=str(stock.vials.product.public_id),
        new_lot_number="V-3",
        new_lot_expires_on="2028-06-30",
        occurred_at="2099-01-01T10:00",
    )
    response = _post(client, "receive", stock.safe.public_id, data)
    assert response.status_code == 422
    assert "date the transaction happened" in response.content.decode()
    data["occurred_at"] = WHEN
    data["new_lot_number"] = "V-1"  # already recorded
    response = _post(client, "receive", stock.safe.public_id, data)
    assert "already recorded" in response.content.decode()
    assert not Lot.objects.filter(number="V-3").exists()
    assert _entries(stock) == 0


def test_a_new_lot_needs_its_product_number_and_expiry(stock: Stock) -> None:
    response = _post(
        client_for(stock.nurse), "receive", stock.safe.public_id, _receipt(stock, lot="new")
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Choose the product of the new lot." in page
    assert "Give the lot number printed on the container." in page
    assert "expiry date" in page


def test_r_cs_1_a_bad_dea_number_or_containers_are_refused_and_kept(stock: Stock) -> None:
    client = client_for(stock.nurse)
    response = _post(
        client,
        "receive",
        stock.safe.public_id,
        _receipt(stock, supplier_dea="RE1234567", containers="two"),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "check digit" in page
    assert "Enter a whole number." in page
    assert 'value="RE1234567"' in page
    assert 'value="INV-1001"' in page
    assert "Nothing was recorded." in page
    assert _entries(stock) == 0


def _waste(stock: Stock, password: str, **changes: Any) -> dict[str, Any]:
    return {
        "lot": str(stock.vials.public_id),
        "mg": "12.5",
        "containers_emptied": "0",
        "reason": "Left in the vial after a 37.5 mg dose",
        "occurred_at": WHEN,
        "witness_email": stock.prescriber.user.email,
        "witness_password": password,
        **changes,
    }


def test_r_cs_3_a_nurse_records_a_waste_the_witness_signs(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 1)
    response = _post(
        client_for(stock.nurse), "waste", stock.safe.public_id, _waste(stock, demo_password)
    )
    assert response.status_code == 302
    entry = Entry.objects.get(account=stock.safe, kind=EntryKind.WASTE)
    assert entry.quantity_mg == Decimal("-12.500")
    assert entry.units == 0
    assert entry.witness == stock.prescriber.user
    assert entry.recorded_by == stock.nurse.user


def test_r_cs_3_a_wrong_witness_password_is_refused_inline_and_nothing_is_lost(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 1)
    before = _entries(stock)
    response = _post(
        client_for(stock.nurse),
        "waste",
        stock.safe.public_id,
        _waste(stock, demo_password, witness_password="not-the-password"),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "e-mail or password is not right" in page
    assert 'value="12.5"' in page
    assert "Left in the vial after a 37.5 mg dose" in page
    assert stock.prescriber.user.email in page
    assert "not-the-password" not in page  # a password is never sent back
    assert _entries(stock) == before
    assert AuditEvent.objects.filter(action=LedgerAuditAction.WITNESS_REFUSED).exists()


def test_r_cs_3_the_recorder_cannot_witness_their_own_waste(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 1)
    before = _entries(stock)
    response = _post(
        client_for(stock.nurse),
        "waste",
        stock.safe.public_id,
        _waste(stock, demo_password, witness_email=stock.nurse.user.email),
    )
    assert "You cannot witness your own entry" in response.content.decode()
    assert _entries(stock) == before


def test_r_cs_3_a_waste_without_a_witness_is_refused(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 1)
    response = _post(
        client_for(stock.nurse),
        "waste",
        stock.safe.public_id,
        _waste(stock, demo_password, witness_email="", witness_password=""),
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_bad_milligrams_are_refused_with_a_clear_message(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 1)
    client = client_for(stock.nurse)
    before = _entries(stock)
    for mg, message in (
        ("twelve", "is not a number of milligrams"),
        ("12.0001", "more than three decimal places"),
        ("-5", "a number above 0"),
        ("NaN", "finite number"),
        ("600", "below zero"),
    ):
        response = _post(client, "waste", stock.safe.public_id, _waste(stock, demo_password, mg=mg))
        assert response.status_code == 422, mg
        assert message in response.content.decode(), mg
    assert _entries(stock) == before


def test_r_cs_2_r_lt_3_a_dispensing_names_its_patient_and_a_return_reconciles_it(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.lozenges, 4)
    patient = Patient.objects.filter(clinic=stock.clinic).order_by("id")[0]
    client = client_for(stock.nurse)
    data = {
        "lot": str(stock.lozenges.public_id),
        "patient_mrn": patient.mrn,
        "units": "2",
        "use": "at_home",
        "occurred_at": WHEN,
    }
    assert _post(client, "dispense", stock.safe.public_id, data).status_code == 302
    dispensing = Entry.objects.get(kind=EntryKind.DISPENSING, account=stock.safe)
    assert dispensing.patient == patient
    assert dispensing.units == -2
    page = client.get(reverse("ledger:account", args=[stock.safe.public_id])).content.decode()
    assert "waiting for the patient's return" in page
    viewed = AuditEvent.objects.get(action=LedgerAuditAction.ENTRIES_VIEWED)
    assert viewed.patient_public_id == patient.public_id
    returned = {"units_returned": "1", "units_taken": "1", "units_lost": "1", "occurred_at": WHEN}
    response = _post(client, "return", dispensing.public_id, returned)
    assert "must add up to the 2 units dispensed" in response.content.decode()
    returned["units_lost"] = "0"
    assert _post(client, "return", dispensing.public_id, returned).status_code == 302
    back = Entry.objects.get(kind=EntryKind.RETURN)
    assert (back.reconciles, back.units, back.units_reported_taken) == (dispensing, 1, 1)


def test_a_dispensing_to_an_unknown_mrn_is_refused(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.lozenges, 4)
    data = {
        "lot": str(stock.lozenges.public_id),
        "patient_mrn": "NO-SUCH-MRN",
        "units": "1",
        "use": "supervised",
        "occurred_at": WHEN,
    }
    response = _post(client_for(stock.nurse), "dispense", stock.safe.public_id, data)
    assert "No patient of this clinic has that MRN." in response.content.decode()
    assert not Entry.objects.filter(kind=EntryKind.DISPENSING).exists()


def test_a_transfer_posts_two_entries(stock: Stock, receive: Callable[..., Entry]) -> None:
    receive(stock, stock.devices, 3)
    data = {
        "lot": str(stock.devices.public_id),
        "destination": str(stock.cart.public_id),
        "mg": "56",
        "units": "2",
        "occurred_at": WHEN,
    }
    client = client_for(stock.nurse)
    bad = _post(client, "transfer", stock.safe.public_id, {**data, "mg": "50"})
    assert "whole devices of 28 mg" in bad.content.decode()
    assert _post(client, "transfer", stock.safe.public_id, data).status_code == 302
    assert Holding.objects.get(account=stock.cart, lot=stock.devices).balance_units == 2


def test_r_cs_4_a_destruction_needs_two_witnesses_who_are_not_the_recorder(
    stock: Stock, receive: Callable[..., Entry], demo_password: str
) -> None:
    receive(stock, stock.vials, 2)
    others = list(
        stock.clinic.memberships.filter(role__in=[Role.NURSE, Role.PRESCRIBER], is_active=True)
        .exclude(user=stock.prescriber.user)
        .order_by("id")
        .values_list("user__email", flat=True)
    )
    data = {
        "lot": str(stock.vials.public_id),
        "mg": "500",
        "units": "1",
        "method": "Chemical digestion kit",
        "reason": "Expired vial found at the count",
        "occurred_at": WHEN,
        "witness_email": others[0],
        "witness_password": demo_password,
        "second_witness_email": others[0],
        "second_witness_password": demo_password,
    }
    client = client_for(stock.prescriber)
    refused = _post(client, "destroy", stock.safe.public_id, data)
    assert "two different people" in refused.content.decode()
    assert not Entry.objects.filter(kind=EntryKind.DESTRUCTION).exists()
    data["second_witness_email"] = others[1]
    assert _post(client, "destroy", stock.safe.public_id, data).status_code == 302
    entry = Entry.objects.get(kind=EntryKind.DESTRUCTION)
    assert entry.destruction_method == "Chemical digestion kit"
    assert {entry.witness.email, entry.second_witness.email} == set(others[:2])  # type: ignore[union-attr]


def test_an_adjustment_needs_a_reason_in_words(stock: Stock, receive: Callable[..., Entry]) -> None:
    receive(stock, stock.vials, 1)
    data = {
        "lot": str(stock.vials.public_id),
        "direction": "remove",
        "mg": "2.5",
        "units": "0",
        "reason": "\u200b" * 20,
        "occurred_at": WHEN,
    }
    client = client_for(stock.prescriber)
    refused = _post(client, "adjust", stock.safe.public_id, data)
    assert "Give the reason in words" in refused.content.decode()
    data["reason"] = "Count found 2.5 mg less in the open vial"
    assert _post(client, "adjust", stock.safe.public_id, data).status_code == 302
    assert Entry.objects.get(kind=EntryKind.ADJUSTMENT).quantity_mg == Decimal("-2.500")


def test_a_reversal_with_its_reason_and_only_once(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    entry = receive(stock, stock.vials, 1)
    client = client_for(stock.prescriber)
    refused = _post(client, "reverse", entry.public_id, {"reason": ""})
    assert refused.status_code == 422
    reason = {"reason": "Delivery was recorded twice"}
    assert _post(client, "reverse", entry.public_id, reason).status_code == 302
    again = _post(client, "reverse", entry.public_id, reason)
    assert "already been reversed" in again.content.decode()
    assert Entry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


def test_a_nurse_may_not_reverse_adjust_or_destroy(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    entry = receive(stock, stock.vials, 1)
    client = client_for(stock.nurse)
    assert client.get(reverse("ledger:reverse", args=[entry.public_id])).status_code == 403
    assert client.get(reverse("ledger:adjust", args=[stock.safe.public_id])).status_code == 403
    assert client.get(reverse("ledger:destroy", args=[stock.safe.public_id])).status_code == 403


def test_the_waste_page_says_the_witness_types_their_own_credentials(stock: Stock) -> None:
    page = client_for(stock.nurse).get(reverse("ledger:waste", args=[stock.safe.public_id]))
    text = page.content.decode()
    assert "Witness signs here" in text
    assert "The witness types their <em>own</em> e-mail and password" in text
    assert 'autocomplete="off"' in text


def test_administration_is_not_a_form_and_the_page_says_so(stock: Stock) -> None:
    page = client_for(stock.nurse).get(reverse("ledger:account", args=[stock.safe.public_id]))
    assert "Administration is not recorded by hand" in page.content.decode()
