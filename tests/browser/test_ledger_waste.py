"""The controlled-substance ledger in the browser (issue 14's "done when"): a nurse records a
waste and a witness signs it on the same screen with their own e-mail and password (R-CS-3).
A wrong witness password is refused inline, nothing typed is lost, and nothing is recorded;
the right one records the waste. The ledger's home, the account, the set-up page, the form and
its refusal each pass axe-core at phone, tablet and desk sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.ledger import services
from kapclinic.ledger.models import DosageForm, Entry, EntryKind, StockAccount, Substance, UnitKind
from tests.browser.a11y import assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stock(clinic: Clinic, prescriber: User) -> StockAccount:
    actor = Actor.for_user(prescriber, clinic)
    now = timezone.now()
    safe = services.open_account(actor=actor, name="Back-office safe", location="Room 2, locked")
    services.open_account(actor=actor, name="Back-office cart")
    vial = services.add_product(
        actor=actor,
        name="Ketamine HCl 50 mg/mL, 10 mL vial (test)",
        substance=Substance.KETAMINE,
        form=DosageForm.INJECTION,
        unit_kind=UnitKind.VIAL,
        mg_per_unit="500",
        concentration_mg_per_ml="50",
        ml_per_unit="10",
        ndc="0409-2051-05",
    )
    lot = services.add_lot(
        actor=actor, product=vial, number="K24-117", expires_on=date(2028, 3, 31)
    )
    services.receive(
        actor=actor,
        account=safe,
        lot=lot,
        containers=2,
        supplier_name="Example Pharma Distribution",
        supplier_address="1 Supply Way, Columbus, OH 43004",
        supplier_dea="RE1234563",
        invoice_number="INV-1001",
        occurred_at=now,
        now=now,
    )
    return safe


def test_a_nurse_and_a_witness_record_a_waste(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    witness_email = DEMO_LOGINS[Role.PRESCRIBER][0]
    home = list_active_memberships(User.objects.get(email=nurse_email))[0].clinic
    safe = _stock(home, User.objects.get(email=witness_email))

    sign_in(nurse_email, DEMO_PASSWORD)
    excuse_visited(page)  # test_login checks the login and Today pages
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controlled-substance ledger")
    expect(page.get_by_text("Not verified yet").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Back-office safe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back-office safe")
    assert_accessible(page)

    page.get_by_role("link", name="Record a waste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a waste")
    expect(page.get_by_text("The witness types their own e-mail and password")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Product and lot").select_option(
        label="Ketamine HCl 50 mg/mL, 10 mL vial (test) — lot K24-117, expires 2028-03-31"
    )
    page.get_by_label("Milligrams wasted").fill("12.5")
    page.get_by_label("Reason").fill("Left in the vial after a 37.5 mg dose")
    # The nurse hands the screen to the witness, who types their own credentials.
    page.get_by_label("Witness: your e-mail").fill(witness_email)
    page.get_by_label("Witness: your password").fill("not-my-password")
    page.get_by_role("button", name="Record the waste").click()
    expect(page.get_by_text("The witness's e-mail or password is not right.")).to_be_visible()
    expect(page.get_by_text("Nothing was recorded.")).to_be_visible()
    expect(page.get_by_label("Milligrams wasted")).to_have_value("12.5")
    expect(page.get_by_label("Reason")).to_have_value("Left in the vial after a 37.5 mg dose")
    expect(page.get_by_label("Witness: your e-mail")).to_have_value(witness_email)
    expect(page.get_by_label("Witness: your password")).to_have_value("")
    assert not Entry.objects.filter(account=safe, kind=EntryKind.WASTE).exists()
    assert_accessible(page)

    page.get_by_label("Witness: your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Record the waste").click()
    expect(page.get_by_text("Waste recorded as entry #2 of Back-office safe.")).to_be_visible()
    expect(page.get_by_role("link", name="#2 Waste")).to_be_visible()
    assert_accessible(page)

    waste = Entry.objects.get(account=safe, kind=EntryKind.WASTE)
    assert waste.quantity_mg == Decimal("-12.500")
    assert waste.balance_mg == Decimal("987.500")
    assert waste.recorded_by.email == nurse_email
    assert waste.witness is not None
    assert waste.witness.email == witness_email

    page.get_by_role("link", name="#2 Waste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entry #2: Waste")
    expect(page.get_by_text("signed with their own credentials")).to_be_visible()
    assert_accessible(page)


def test_the_set_up_pages_are_accessible(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    email = DEMO_LOGINS[Role.PRESCRIBER][0]
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    _stock(home, User.objects.get(email=email))
    sign_in(email, DEMO_PASSWORD)
    excuse_visited(page)
    page.goto(reverse("ledger:setup"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ledger set-up")
    assert_accessible(page)
    page.get_by_role("link", name="Add a product").click()
    page.get_by_role("button", name="Add the product").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert_accessible(page)
    for path in (
        reverse("ledger:receive", args=[home.cs_accounts.get(name="Back-office safe").public_id]),
        reverse("ledger:destroy", args=[home.cs_accounts.get(name="Back-office safe").public_id]),
    ):
        page.goto(path)
        assert_accessible(page)
