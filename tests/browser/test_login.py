"""Signing in through the real login form, and reaching the content by keyboard."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic
from kapclinic.demo.generator import DEMO_PASSWORD, GenerationResult
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import DEMO_ADMIN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clinic_admin_signs_in_and_sees_today(
    page: Page, admin_clinic: Clinic, base_url: str
) -> None:
    page.goto(reverse("accounts:login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus
    assert_accessible(page)

    page.get_by_label("Email").fill(DEMO_ADMIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(base_url + reverse("today:today"))
    expect(page).to_have_title("Today · kapclinic")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Today at {admin_clinic.name}")
    # The day's to-do lists lead; rooms and staff are a click away (issue 11.3).
    page.get_by_text(f"Rooms and staff of {admin_clinic.name}").click()
    rooms = page.get_by_role("table", name=f"Rooms at {admin_clinic.name}")
    expect(rooms.get_by_role("rowheader")).to_have_count(admin_clinic.rooms.count())
    expect(rooms.get_by_role("rowheader", name="Treatment 1")).to_be_visible()
    staff = page.get_by_role("region", name="Staff").get_by_role("listitem")
    expect(staff).to_have_count(admin_clinic.memberships.values("user").distinct().count())
    expect(staff.filter(has_text="Avery Admin")).to_have_count(1)
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
    assert_accessible(page)


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(
    page: Page, clinic: GenerationResult, base_url: str
) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_label("Email").fill(DEMO_ADMIN)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(base_url + reverse("accounts:login"))
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an active account."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_have_value(DEMO_ADMIN)
    expect(page.get_by_label("Password")).to_have_value("")
    assert_accessible(page)  # the page with its error shown


def test_an_empty_form_names_each_missing_field_next_to_it(
    page: Page, clinic: GenerationResult, base_url: str
) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(base_url + reverse("accounts:login"))
    for label in ("Email", "Password"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        # Django points aria-describedby at "<id>_error"; the template must give the error that id.
        expect(field).to_have_accessible_description("This field is required.")
    assert_accessible(page)


def test_the_skip_link_comes_first_and_moves_focus_to_the_main_content(
    signed_in_page: Page,
) -> None:
    page = signed_in_page
    page.goto(reverse("patients:list"))
    assert_accessible(page)
    page.locator("body").focus()  # start from the top of the document, as after a load

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport(ratio=1)  # shown when focused, not left off-screen

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab goes on inside the main content, not back to the navigation.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate(
        "() => document.querySelector('main').contains(document.activeElement)"
    )
    assert focused_in_main, "Tab after the skip link left the main content"
