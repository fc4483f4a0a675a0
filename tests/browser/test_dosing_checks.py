"""The pre-dose checks of a dosing session in the browser at tablet size (issue 15.3): a nurse
records items without a reload, and a blood pressure above the protocol's hold (R-SCR-4) holds
the session for a prescriber, with the reason on the page. Each state passes axe-core at phone,
tablet and desk sizes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.conftest import countersign_pending
from kapclinic.scheduling.models import Appointment
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked_in_session(nurse: User, prescriber: User) -> DosingSession:
    """A session opened with ``open_session`` from a dosing appointment of the
    generated clinic (its patient's waiting consent countersigned first), checked in."""
    clinic = list_active_memberships(nurse)[0].clinic
    nurse_actor = Actor.for_user(nurse, clinic)
    now = timezone.now()
    appointments = Appointment.objects.filter(clinic=clinic, kind="dosing").select_related(
        "patient", "course__protocol"
    )
    for appointment in appointments.order_by("-status", "starts_at"):
        if countersign_pending(appointment, Actor.for_user(prescriber, clinic), now):
            session = services.open_session(actor=nurse_actor, appointment=appointment, now=now)
            return services.move(
                actor=nurse_actor, session=session, target=State.CHECKED_IN, now=now
            )
    pytest.fail("the generated clinic has a dosing appointment for a ready patient")


def test_a_nurse_works_the_checklist_and_a_high_bp_holds_the_session(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    session = _checked_in_session(nurse, User.objects.get(email=DEMO_LOGINS[Role.PRESCRIBER][0]))
    page.set_viewport_size(TABLET.size)
    sign_in(nurse.email, DEMO_PASSWORD)
    excuse_visited(page)  # test_login checks the login and Today pages
    url = reverse("dosing:checks", args=[session.public_id])
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Pre-dose checks")
    assert_accessible(page)

    identity = page.locator("#check-identity")
    expect(identity.get_by_text("To do")).to_be_visible()
    identity.get_by_role("button", name="Yes").click()
    expect(page.locator("#check-identity").get_by_text("Passed")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert page.url.endswith(url)  # no reload: htmx swapped the checklist

    vitals = page.locator("#check-vitals")
    vitals.get_by_label("Systolic (mmHg)").fill("172")
    vitals.get_by_label("Diastolic (mmHg)").fill("98")
    vitals.get_by_role("button", name="Save pre-dose vitals").click()
    expect(page.locator("#check-vitals").get_by_text("Held", exact=True)).to_be_visible()
    page.get_by_role("button", name="Checks passed: ready to dose").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The session is held: Blood pressure 172/98 is above 140/90"
    )
    expect(page.locator("#check-vitals")).to_contain_text(
        "A prescriber may override it with a reason."
    )
    assert_accessible(page)
    session.refresh_from_db()
    assert session.current is State.HELD
