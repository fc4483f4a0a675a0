"""Signing in as staff in the real (non-demo) profile: two-factor enrolment at the first sign-in,
a code at the next one, and a lockout after repeated wrong passwords."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from kapclinic.accounts.models import Clinic
from kapclinic.demo.generator import DEMO_PASSWORD, GenerationResult
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import DEMO_ADMIN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOCKED = re.compile(r"^Too many failed sign-in attempts\. .* try again in 15 minutes\.$")


@pytest.fixture
def production_profile(_demo_profile_for_page_browser_tests: None, settings: Settings) -> None:
    """Sign in as production does: no demo exemption from 2FA, even for the demo logins (the
    browser tests otherwise run in the demo profile, like `make run`)."""
    settings.DEMO_MODE = False


def _submit_password(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_staff_enrol_in_2fa_at_first_sign_in_and_then_sign_in_with_a_code(
    page: Page, admin_clinic: Clinic, base_url: str, production_profile: None
) -> None:
    page.goto(reverse("accounts:login"))
    assert_accessible(page)
    _submit_password(page, DEMO_ADMIN, DEMO_PASSWORD)

    # First sign-in: set up an authenticator (QR code as inline SVG, and the key as text).
    expect(page).to_have_url(base_url + reverse("accounts:two-factor-enrol"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(0)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert_accessible(page)

    code_field = page.get_by_label("Code from your app")
    expect(code_field).to_have_attribute("autocomplete", "one-time-code")
    code_field.fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_accessible_description(re.compile("That code does not match"))
    assert_accessible(page)  # the form with its error shown

    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    assert_accessible(page)

    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page).to_have_url(base_url + reverse("today:today"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Today at {admin_clinic.name}")
    assert_accessible(page)

    # Next sign-in: password, then a code (the next step's: the one used above is spent).
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    expect(page).to_have_url(base_url + reverse("accounts:login"))
    _submit_password(page, DEMO_ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("accounts:two-factor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    page.get_by_label("Authentication code").fill(totp.at(timezone.now(), counter_offset=1))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(base_url + reverse("today:today"))


def test_repeated_wrong_passwords_lock_the_account(
    page: Page, clinic: GenerationResult, base_url: str, production_profile: None
) -> None:
    page.goto(reverse("accounts:login"))
    for attempt in range(1, 6):
        _submit_password(page, DEMO_ADMIN, f"wrong-password-{attempt}")
        alert = page.get_by_role("alert")
        if attempt < 5:
            expect(alert).to_have_text("That email and password do not match an active account.")
    expect(page.get_by_role("alert")).to_have_text(LOCKED)
    assert_accessible(page)

    # Now even the right password is refused, with the same words.
    _submit_password(page, DEMO_ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("accounts:login"))
    expect(page.get_by_role("alert")).to_have_text(LOCKED)


def test_the_account_pages_are_accessible(
    signed_in_page: Page, admin_clinic: Clinic, base_url: str
) -> None:
    page = signed_in_page  # the demo admin, in the demo profile (banner on every page)
    expect(page.get_by_role("complementary", name="Demo mode")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account security")
    assert_accessible(page)

    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill(DEMO_PASSWORD)
    page.get_by_label("New password", exact=True).fill("Ketamine2026!")
    page.get_by_label("New password again").fill("Ketamine2026!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("New password again")).to_have_accessible_description(
        re.compile("built around “ketamine”")
    )
    assert_accessible(page)

    page.goto(reverse("accounts:staff-two-factor"))
    expect(page.get_by_role("table", name=f"Staff of {admin_clinic.name}")).to_be_visible()
    assert_accessible(page)

    page.goto(reverse("accounts:sign-out-everywhere"))
    assert_accessible(page)
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(base_url + reverse("accounts:login"))
    expect(page.get_by_text("You were signed out everywhere, including here.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Get a sign-in link by e-mail").click()
    assert_accessible(page)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)
