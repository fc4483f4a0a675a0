"""Calendar feeds and reminders in the browser (issue 13.6, 13.7): a clinic admin makes their
own calendar address from Account, a room's from Clinic → Room calendars, sets the reminder
lead times; a patient on a phone makes theirs in the portal. Every page passes axe-core at
phone, tablet and desktop sizes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic
from kapclinic.demo.generator import DEMO_PASSWORD, DEMO_PATIENT_LOGIN, GenerationResult
from kapclinic.scheduling.models import CalendarFeed, SchedulingSettings
from tests.browser.a11y import PHONE, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_calendar_addresses_and_sets_reminders(
    signed_in_page: Page, admin_clinic: Clinic
) -> None:
    page = signed_in_page
    page.get_by_role("link", name="Account").click()
    assert_accessible(page)  # the account page, with its new Calendar section
    page.get_by_role("link", name="My sessions in my calendar app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My sessions in my calendar")
    assert_accessible(page)
    page.get_by_role("button", name="Make my calendar address").click()
    address = page.get_by_role("textbox", name="Calendar address")
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    assert address.input_value().endswith(".ics")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clinic", exact=True
    ).click()
    excuse_visited(page)  # Clinic → Staff: test_clinic_administration checks it
    nav = page.get_by_role("navigation", name="Clinic administration")
    nav.get_by_role("link", name="Room calendars").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Room calendars of {admin_clinic.name}"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Make an address for").first.click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    assert_accessible(page)
    assert CalendarFeed.objects.filter(owner="room", revoked_at__isnull=True).count() == 1

    nav.get_by_role("link", name="Reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Appointment reminders of {admin_clinic.name}"
    )
    page.get_by_label("Send reminders this many hours before each appointment").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Each lead time is 1 to 336 hours")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Send reminders this many hours before each appointment").fill("48, 3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Reminder lead times saved.")).to_be_visible()
    assert_accessible(page)
    assert SchedulingSettings.objects.get(clinic=admin_clinic).reminder_hours_before == [48, 3]


def test_a_patient_on_a_phone_adds_their_appointments_to_their_calendar(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    page.set_viewport_size(PHONE.size)
    sign_in(DEMO_PATIENT_LOGIN, DEMO_PASSWORD)
    excuse_visited(page)  # the login page: test_login checks it
    expect(page.get_by_role("heading", name="Appointments")).to_be_visible()
    assert_accessible(page)  # the portal's home, with its new Appointments section
    page.get_by_role("link", name="My appointments in my calendar app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My appointments in my calendar")
    assert_accessible(page)
    page.get_by_role("button", name="Add my appointments to my calendar").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Turn it off").click()
    expect(page.get_by_text("Calendar address revoked")).to_be_visible()
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    assert page.url.endswith(reverse("portal:calendar"))
