"""The course planner in the browser (issue 13.3): the front desk opens it from a chart, gets a
proposal with its reasons, a NoFit with alternatives as buttons, follows one, and books the
course. Every state of the planner passes axe-core at three sizes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import WorkingHours
from tests.browser.a11y import assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_front_desk_plans_a_course(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    email = DEMO_LOGINS[Role.FRONT_DESK][0]
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    for role in (Role.PRESCRIBER, Role.NURSE):
        WorkingHours.objects.bulk_create(
            WorkingHours(
                clinic=home,
                user=staff_of(home, role),
                weekday=day,
                starts_at=time(8),
                ends_at=time(18),
            )
            for day in range(5)
        )
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
