"""A nurse on a tablet prepares a dosing session (issue 15.2): the page shows the therapist's
preparation note (R-INT-3), the room check is ticked and saved in place (htmx), and what is
still to prepare updates by itself; the setting used waits for the patient (R-INT-8)."""

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
from kapclinic.dosing.models import RoomCheck
from kapclinic.dosing.models.setting import EyeMask, TouchConsent
from kapclinic.dosing.services import open_session
from kapclinic.dosing.services.preparation import write_preparation_note
from kapclinic.scheduling.models import Appointment
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_r_int_3_a_nurse_on_a_tablet_checks_the_room_and_sees_what_is_left(
    page: Page,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
    base_url: str,
) -> None:
    """R-INT-3, R-INT-8: the note written at preparation, the room check saved in place, and
    the setting refused until the patient is checked in, with its message beside the form."""
    nurse_login = DEMO_LOGINS[Role.NURSE][0]
    nurse = User.objects.get(email=nurse_login)
    home = list_active_memberships(nurse)[0].clinic
    # The demo nurse's clinic's latest dosing appointment, opened and prepared by the therapist
    # through the services (the demo prepares one only where a session is still to come).
    appointment = (
        Appointment.objects.filter(clinic=home, kind="dosing")
        .select_related("course__protocol", "patient")
        .order_by("-starts_at")[0]
    )
    session = open_session(
        actor=Actor.for_user(nurse, home), appointment=appointment, now=timezone.now()
    )
    therapist = User.objects.get(email=DEMO_LOGINS[Role.THERAPIST][0])
    write_preparation_note(
        actor=Actor.for_user(therapist, home),
        session=session,
        intention="To understand why I pull away from people I love.",
        expectations="The arc of the session",
        touch_consent=TouchConsent.YES,
        preferred_playlist=None,
        music_preference="",
        eye_mask=EyeMask.WANTS,
        support_person="Sam, partner",
        now=timezone.now(),
    )

    page.set_viewport_size(TABLET.size)
    sign_in(nurse_login, DEMO_PASSWORD)
    excuse_visited(page)  # the login and Today pages are checked by test_login
    page.goto(reverse("dosing:preparation", args=[session.public_id]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Preparation, set and setting")
    expect(page.get_by_label("Intention (held lightly; it may change)")).to_have_value(
        "To understand why I pull away from people I love."
    )
    still = page.get_by_role("region", name="Still to prepare")
    expect(still).to_contain_text("The room is not checked yet.")
    assert_accessible(page)

    room = page.get_by_role("region", name="Room check, before the patient arrives")
    for _field, label in RoomCheck.ITEMS:
        room.get_by_label(label).check()
    room.get_by_role("button", name="Save the room check").click()
    expect(
        page.get_by_role("region", name="Room check, before the patient arrives")
    ).to_contain_text("Saved.")
    expect(still).not_to_contain_text("The room is not checked yet.")
    expect(page).to_have_url(base_url + reverse("dosing:preparation", args=[session.public_id]))

    setting = page.get_by_role("region", name="Setting used")
    setting.get_by_label("No music").check()
    setting.get_by_role("group", name="Eye mask worn").get_by_label("Yes").check()
    setting.get_by_role("group", name="Support person present").get_by_label("No").check()
    setting.get_by_label("Lighting").fill("Lamp only, blinds down")
    setting.get_by_label("Who else was in the room").fill("Nurse")
    setting.get_by_role("button", name="Record the setting").click()
    expect(page.get_by_role("region", name="Setting used")).to_contain_text(
        "Record the setting once the patient is checked in."
    )
    expect(page.get_by_role("region", name="Setting used").get_by_label("Lighting")).to_have_value(
        "Lamp only, blinds down"
    )
    assert_accessible(page)
    assert RoomCheck.objects.get(session=session).ready
