"""The course planner in the browser (issue 13.3): the front desk opens it from a chart, gets a
proposal with its reasons, a NoFit with alternatives as buttons, follows one, and books the
course in one step; then moves one session, sees the rule checks the move breaks, and moves it
anyway with a reason (issue 13's "done when", at tablet size). Every state passes axe-core at
three sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment, WorkingHours
from tests.browser.a11y import TABLET, VIEWPORTS, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_front_desk_plans_a_course(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    email = DEMO_LOGINS[Role.FRONT_DESK][0]
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    for role in (Role.PRESCRIBER, Role.NURSE):
        person = staff_of(home, role)
        if not WorkingHours.objects.filter(clinic=home, user=person).exists():
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    clinic=home, user=person, weekday=day, starts_at=time(8), ends_at=time(18)
                )
                for day in range(5)
            )
    page.set_viewport_size({"width": TABLET.width, "height": TABLET.height})
    patient = Patient.objects.filter(clinic=home).order_by("mrn").first()
    assert patient is not None
    sign_in(email, DEMO_PASSWORD)
    excuse_visited(page)
    page.goto(reverse("patients:chart", args=[patient.public_id]))
    excuse_visited(page)  # the walk checks the chart
    page.get_by_role("link", name="Plan a course of treatment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan a course of treatment")
    excuse_visited(page)  # the walk checks the empty form

    page.get_by_label("Protocol").select_option(label="IV racemic ketamine induction")
    page.get_by_role("button", name="Propose a course").click()
    expect(
        page.get_by_role("heading", name="Proposed course: IV racemic ketamine induction")
    ).to_be_visible()
    assert page.locator(".plan-sessions > li").count() == 7
    assert_accessible(page)

    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day).uncheck()
    page.get_by_label("Saturday").check()
    page.get_by_role("button", name="Propose a course").click()
    expect(page.get_by_role("heading", name="No course fits")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Any day of the week the clinic is open").click()
    expect(
        page.get_by_role("heading", name="Proposed course: IV racemic ketamine induction")
    ).to_be_visible()

    page.get_by_role("button", name="Book this course").click()
    expect(page.get_by_text("7 sessions booked, the first on")).to_be_visible()
    excuse_visited(page)  # the patient's calendar: the calendar's tests check it

    # Move the second infusion four weeks on (same weekday and time, so the clinic is open and
    # the staff work): the course's order and spacing rules object, and may be overridden.
    booked = list(Appointment.objects.filter(patient=patient).order_by("starts_at"))
    assert len(booked) == 7
    second = booked[1]
    page.locator(".cal-entry-title").nth(1).click()
    expect(page.get_by_role("heading", name="Move")).to_be_visible()
    later = second.starts_at.astimezone(home.tzinfo) + timedelta(weeks=4)
    page.get_by_role("textbox", name="Day", exact=True).fill(later.date().isoformat())
    page.get_by_role("textbox", name="Day", exact=True).dispatch_event("change")
    checks = page.locator("#move-checks")
    expect(checks).to_contain_text("This move breaks")
    expect(checks).to_contain_text("may be overridden with a reason")
    assert_accessible(page)
    page.get_by_role("button", name="Move the appointment").click()
    expect(page.get_by_text("Give a reason to override.")).to_be_visible()  # refused without one
    second.refresh_from_db()
    assert second.override_reason == ""
    page.get_by_label("Reason to book despite the rules").fill(
        "The patient is away for three weeks."
    )
    page.get_by_role("button", name="Move the appointment").click()
    expect(page.get_by_text("Booked despite the protocol's rules")).to_be_visible()
    excuse_visited(page)  # the appointment page was checked above
    second.refresh_from_db()
    assert second.starts_at == later
    assert second.override_reason == "The patient is away for three weeks."


def test_planning_shows_only_while_the_request_is_in_flight(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    """ "Planning…" (the htmx indicator) is hidden before a request, shown while it is in
    flight, and hidden again once the result is in, at each width."""
    email = DEMO_LOGINS[Role.FRONT_DESK][0]
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    patient = Patient.objects.filter(clinic=home).order_by("mrn").first()
    assert patient is not None
    sign_in(email, DEMO_PASSWORD)
    excuse_visited(page)
    url = reverse("planner:plan", args=[patient.public_id])
    held: list[Route] = []
    page.route(
        f"**{url}",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    for viewport in VIEWPORTS:
        page.set_viewport_size({"width": viewport.width, "height": viewport.height})
        page.goto(url)
        excuse_visited(page)
        busy = page.locator("#plan-busy")
        expect(busy).to_be_hidden()
        page.get_by_label("Protocol").select_option(label="IV racemic ketamine induction")
        page.get_by_role("button", name="Propose a course").click()
        expect(busy).to_be_visible()
        assert held, viewport
        held.pop().continue_()
        expect(page.locator("#plan-result")).to_contain_text("IV racemic ketamine induction")
        expect(busy).to_be_hidden()
