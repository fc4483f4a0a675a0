"""A prescriber's Today lists a screening to sign and a consent to countersign; each is one
click from the page where the work is done."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Role
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult, add_patients
from tests.browser.a11y import assert_accessible, excuse_visited
from tests.browser.conftest import BROWSER_TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_prescriber_reaches_a_screening_to_sign_and_a_consent_to_countersign_in_one_click(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None], base_url: str
) -> None:
    add_patients(patients=120, seed=70, today=BROWSER_TODAY)  # enough waiting in every list
    sign_in(DEMO_LOGINS[Role.PRESCRIBER][0], DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("today:today"))
    excuse_visited(page)  # test_login checks the login page
    assert_accessible(page)
    expect(page.get_by_role("link", name=re.compile(r"^Today, \d+ to do$"))).to_be_visible()

    screenings = page.get_by_role("region", name=re.compile("^Screenings to review and sign"))
    screenings.get_by_role("listitem").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/screening/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("button", name="Sign", exact=True)).to_be_visible()
    assert_accessible(page)

    page.goto(reverse("today:today"))
    consents = page.get_by_role("region", name=re.compile("^Consents to countersign"))
    consents.get_by_role("listitem").first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/consent/patients/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("button", name=re.compile("Countersign"))).to_be_visible()
    assert_accessible(page)
