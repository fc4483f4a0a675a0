"""The app shell's pages pass axe-core (WCAG 2.2 A/AA) at phone, tablet and desktop sizes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic
from kapclinic.demo.generator import GenerationResult
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PAGE_SIZE
from tests.browser.a11y import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_login_page_is_accessible_to_an_anonymous_visitor(
    page: Page, clinic: GenerationResult, base_url: str
) -> None:
    page.goto(reverse("today:today"))  # the app sends a stranger to sign in
    expect(page).to_have_url(re.compile(re.escape(base_url + reverse("accounts:login")) + r"\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_be_visible()
    assert_accessible(page)


def test_the_patient_list_is_accessible(signed_in_page: Page, admin_clinic: Clinic) -> None:
    page = signed_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    count = Patient.objects.filter(clinic=admin_clinic).count()
    expect(page.locator("#patients-caption")).to_have_text(f"{count} patients, alphabetical")
    table = page.get_by_role("table", name=f"Patients of {admin_clinic.name}, alphabetical")
    expect(table.get_by_role("rowheader")).to_have_count(min(count, PAGE_SIZE))
    assert_accessible(page)
    # The search field is usable on a phone and a tablet (issue 11.4: it was 62 px wide).
    for width in (390, 820):
        page.set_viewport_size({"width": width, "height": 900})
        box = page.get_by_label("Find a patient").bounding_box()
        assert box is not None
        assert box["width"] >= width * 0.55, (width, box["width"])
    page.set_viewport_size({"width": 1280, "height": 800})
    # Searching swaps the results in place (htmx) and keeps the name out of the URL.
    target = Patient.objects.filter(clinic=admin_clinic).order_by("id")[0]
    url_before = page.url
    page.get_by_label("Find a patient").fill(target.family_name.upper())
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("table", name=f"Patients of {admin_clinic.name} matching the search")
    expect(
        found.get_by_role("link", name=f"{target.family_name}, {target.given_name}")
    ).to_be_visible()
    assert page.url == url_before
    assert target.family_name not in page.url
    assert_accessible(page)
