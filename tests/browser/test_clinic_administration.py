"""A clinic admin runs their clinic in the app (issue 10): from Today to Clinic → Staff, gives a
new colleague a role, ends another's, adds a room and sets the opening hours; every page passes
axe-core at phone, tablet and desktop sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic, OpeningHours, Role, Room, StaffMembership
from tests.browser.a11y import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_gives_and_ends_roles_and_sets_up_rooms_and_hours(
    signed_in_page: Page, admin_clinic: Clinic
) -> None:
    page = signed_in_page
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clinic", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Staff of {admin_clinic.name}")
    assert_accessible(page)

    page.get_by_role("button", name="Give someone a role").click()
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("robin.newcomer@staff.example.org")
    page.get_by_label("Full name").fill("Robin Newcomer")
    page.get_by_label("Credentials").fill("RN")
    page.get_by_label("Role").select_option(label="Nurse")
    page.get_by_role("button", name="Grant the role").click()
    expect(page.get_by_text("Robin Newcomer is now Nurse here.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Robin Newcomer")
    expect(row).to_contain_text("Invited, no password yet")
    assert_accessible(page)
    assert StaffMembership.objects.filter(
        user__email="robin.newcomer@staff.example.org", clinic=admin_clinic, role=Role.NURSE
    ).exists()

    therapist = (
        StaffMembership.objects.filter(
            clinic=admin_clinic, role=Role.THERAPIST, user__email__endswith="@staff.example.org"
        )
        .select_related("user")
        .order_by("pk")[0]
    )
    page.get_by_role("link", name=f"End the Therapist role of {therapist.user.full_name}").click()
    assert_accessible(page)
    page.get_by_role("button", name="End the role").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason").fill("Left the clinic")
    page.get_by_role("button", name="End the role").click()
    expect(page.get_by_text("role of " + therapist.user.full_name + " has ended")).to_be_visible()
    therapist.refresh_from_db()
    assert not therapist.is_active

    nav = page.get_by_role("navigation", name="Clinic administration")
    nav.get_by_role("link", name="Rooms").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add a room").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Cedar")
    page.get_by_label("Recliner").check()
    page.get_by_label("Blood-pressure monitor").check()
    page.get_by_label("Pulse oximeter").check()
    page.get_by_role("button", name="Save the room").click()
    expect(page.get_by_role("link", name="Cedar")).to_be_visible()
    assert Room.objects.get(clinic=admin_clinic, name="Cedar").can_monitor_dosing

    nav.get_by_role("link", name="Opening hours").click()
    assert_accessible(page)
    page.get_by_label("Saturday: opens", exact=True).fill("10:00")
    page.get_by_label("Saturday: closes", exact=True).fill("14:00")
    page.get_by_role("button", name="Save the opening hours").click()
    expect(page.get_by_text("Opening hours saved.")).to_be_visible()
    assert OpeningHours.objects.filter(clinic=admin_clinic, weekday=5).exists()

    nav.get_by_role("link", name="Details and limits").click()
    assert_accessible(page)
    expect(page.get_by_label("Idle sign-out (minutes)")).to_have_value(
        str(admin_clinic.idle_timeout_minutes)
    )
