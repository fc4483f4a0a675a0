"""Stock set-up (issue 14.1): products, lots, accounts and the clinic's ledger settings, each
change audited; an account closes only when it holds nothing (R-CS-3, R-CS-6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent
from kapclinic.ledger import services
from kapclinic.ledger.audit_actions import LedgerAuditAction
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import Entry, LedgerSettings, Lot, Product, StockAccount
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import Stock, staff


def test_r_cs_6_settings_keep_records_two_years_at_least_and_changes_are_audited(
    stock: Stock,
) -> None:
    with pytest.raises(LedgerError, match="at least 2 years"):
        services.change_settings(
            actor=stock.prescriber,
            retention_years=1,
            waste_needs_witness=True,
            count_cadence=LedgerSettings.CountCadence.DAY,
        )
    saved = services.change_settings(
        actor=stock.prescriber,
        retention_years=5,
        waste_needs_witness=False,
        count_cadence=LedgerSettings.CountCadence.SHIFT,
    )
    assert (saved.retention_years, saved.waste_needs_witness) == (5, False)
    event = AuditEvent.objects.get(action=LedgerAuditAction.SETTINGS_CHANGED)
    assert event.changes["retention_years"] == [2, 5]
    services.change_settings(
        actor=stock.prescriber,
        retention_years=5,
        waste_needs_witness=False,
        count_cadence=LedgerSettings.CountCadence.SHIFT,
    )
    assert AuditEvent.objects.filter(action=LedgerAuditAction.SETTINGS_CHANGED).count() == 1


def test_the_settings_page_refuses_one_year_and_saves_five(stock: Stock) -> None:
    client = client_for(stock.prescriber)
    url = reverse("ledger:settings")
    refused = client.post(url, {"retention_years": "1", "count_cadence": "day"})
    assert refused.status_code == 422
    assert "greater than or equal to 2" in refused.content.decode()
    saved = client.post(url, {"retention_years": "5", "count_cadence": "day"})
    assert saved.status_code == 302
    found = LedgerSettings.objects.get(clinic=stock.clinic)
    assert (found.retention_years, found.waste_needs_witness) == (5, False)


def test_an_account_closes_only_when_it_holds_nothing(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 1)
    with pytest.raises(LedgerError, match="still holds stock"):
        services.close_account(actor=stock.prescriber, account=stock.safe)
    closed = services.close_account(actor=stock.prescriber, account=stock.cart)
    assert not closed.is_active
    assert AuditEvent.objects.filter(action=LedgerAuditAction.ACCOUNT_CLOSED).count() == 1
    with pytest.raises(LedgerError, match="already closed"):
        services.close_account(actor=stock.prescriber, account=closed)
    with pytest.raises(LedgerError, match="is closed"):
        receive(stock, stock.devices, 1, closed)


def test_closing_from_the_set_up_page_says_why_it_cannot(
    stock: Stock, receive: Callable[..., Entry]
) -> None:
    receive(stock, stock.devices, 1)
    client = client_for(stock.prescriber)
    response = client.post(
        reverse("ledger:close-account", args=[stock.safe.public_id]), follow=True
    )
    assert "still holds stock" in response.content.decode()
    assert StockAccount.objects.get(pk=stock.safe.pk).is_active


def test_a_retired_product_is_no_longer_offered_for_receipts(stock: Stock) -> None:
    product = stock.devices.product
    client = client_for(stock.prescriber)
    response = client.post(reverse("ledger:retire-product", args=[product.public_id]))
    assert response.status_code == 302
    assert not Product.objects.get(pk=product.pk).is_active
    form = client.get(reverse("ledger:receive", args=[stock.safe.public_id])).content.decode()
    assert "lot D-1" not in form
    with pytest.raises(LedgerError, match="already retired"):
        services.retire_product(actor=stock.prescriber, product=Product.objects.get(pk=product.pk))


def test_products_lots_and_accounts_are_added_from_the_pages(stock: Stock) -> None:
    client = client_for(stock.prescriber)
    product = {
        "name": "Ketamine HCl 100 mg/mL, 5 mL vial",
        "substance": "ketamine",
        "form": "injection",
        "unit_kind": "vial",
        "mg_per_unit": "500",
        "concentration_mg_per_ml": "100",
        "ml_per_unit": "5",
        "ndc": "0409-2053-05",
        "rxnorm": "",
    }
    bad = client.post(reverse("ledger:add-product"), {**product, "mg_per_unit": "5.0001"})
    assert "more than three decimal places" in bad.content.decode()
    assert client.post(reverse("ledger:add-product"), product).status_code == 302
    again = client.post(reverse("ledger:add-product"), product)
    assert "already has a product named" in again.content.decode()
    added = Product.objects.get(name=product["name"])
    lot = {"product": str(added.public_id), "number": "K-9", "expires_on": "2028-03-31"}
    assert client.post(reverse("ledger:add-lot"), lot).status_code == 302
    assert client.post(reverse("ledger:add-lot"), lot).status_code == 422
    assert Lot.objects.filter(product=added, number="K-9").count() == 1
    opened = client.post(reverse("ledger:open-account"), {"name": "Night safe"})
    assert opened.status_code == 302
    assert client.post(reverse("ledger:open-account"), {"name": "Night safe"}).status_code == 422
    page = client.get(reverse("ledger:setup")).content.decode()
    assert "Night safe" in page
    assert "NDC 0409-2053-05" in page
    assert "K-9" in page


def test_set_up_belongs_to_those_who_manage_stock(stock: Stock) -> None:
    client = client_for(stock.nurse)
    assert client.get(reverse("ledger:setup")).status_code == 403
    assert client.post(reverse("ledger:add-product"), {}).status_code == 403


def test_another_clinics_stock_is_refused_by_the_set_up_services_and_pages(
    stock: Stock, clinics: list[Clinic]
) -> None:
    other = clinics[1]
    admin = Actor.for_user(staff(other, Role.CLINIC_ADMIN), other)
    with pytest.raises(LedgerError, match="not in your clinic"):
        services.close_account(actor=admin, account=stock.safe)
    with pytest.raises(LedgerError, match="not in your clinic"):
        services.retire_product(actor=admin, product=stock.vials.product)
    client = client_for(admin)
    retire = reverse("ledger:retire-product", args=[stock.vials.product.public_id])
    assert client.post(retire).status_code == 404
    close = reverse("ledger:close-account", args=[stock.safe.public_id])
    assert client.post(close).status_code == 404
    assert StockAccount.objects.get(pk=stock.safe.pk).is_active
