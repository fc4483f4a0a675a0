"""The clinic's week at tablet size (issue 13.4): seven days side by side, each appointment a
card with its session, patient, room, staff and status; one click opens it. axe-core at phone,
tablet and desk sizes on the week, the appointment and the waitlist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from django.db.models import Max
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment, WaitlistEntry
from kapclinic.scheduling.tests.calendar_booked import book_directly, treatment_room
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _week_of_bookings(clinic: Clinic) -> datetime:
    """Appointments on Monday to Wednesday of the first week after the demo's own bookings
    (kapclinic.demo.courses books weeks ahead), and one patient on the waitlist."""
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    room = treatment_room(clinic, "Garden room", capacity=2)
    today = clinic.local_today()
    last = Appointment.objects.filter(clinic=clinic).aggregate(last=Max("starts_at"))["last"]
    after = max(today, last.astimezone(clinic.tzinfo).date()) if last else today
    monday = after + timedelta(days=7 - after.weekday())
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn")[:4])
    for n, patient in enumerate(patients[:3]):
        starts = datetime.combine(monday + timedelta(days=n), time(9), tzinfo=clinic.tzinfo)
        book_directly(patient, room, starts, nurse=nurse)
    WaitlistEntry.objects.create(clinic=clinic, patient=patients[3], earliest_day=today)
    return datetime.combine(monday, time(0))


def test_the_week_at_tablet_size_shows_seven_days_side_by_side_and_opens_an_appointment(
    page: Page,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
) -> None:
    desk = User.objects.get(email=DEMO_LOGINS[Role.FRONT_DESK][0])
    home = list_active_memberships(desk)[0].clinic
    monday = _week_of_bookings(home)
    page.set_viewport_size(TABLET.size)
    sign_in(DEMO_LOGINS[Role.FRONT_DESK][0], DEMO_PASSWORD)
    excuse_visited(page)  # Today is checked by its own tests
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    assert_accessible(page)  # this week, perhaps empty
    page.get_by_label("Day", exact=True).fill(f"{monday:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    days = page.locator("section.cal-day")
    expect(days).to_have_count(7)
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 1  # side by side, not stacked
    assert second["x"] > first["x"]
    expect(page.locator(".cal-entry")).to_have_count(3)
    expect(days.nth(0)).to_contain_text("09:00–11:00")
    expect(days.nth(0)).to_contain_text("Nurse: Noah Nightingale, RN")
    assert_accessible(page)

    days.nth(0).locator(".cal-entry a").click()
    expect(page.get_by_role("heading", level=2, name="Move")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Waitlist", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waitlist")
    assert_accessible(page)
    expect(page.get_by_role("link", name="Today", exact=False).first).to_be_visible()
    assert reverse("calendar:waitlist") in page.url
