"""A nurse hands the clinic's tablet to a patient for a questionnaire: the page shows nothing of
staff, a staff address typed meanwhile lands back on the questionnaire, a wrong password keeps
the tablet with the patient and the nurse's password takes it back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.measurement.models import Mode
from kapclinic.measurement.responses.services import start_assessment
from kapclinic.patients.models import Patient
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_tablet_in_patient_mode_is_left_only_with_the_staff_password(
    page: Page,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
    base_url: str,
) -> None:
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    nurse = User.objects.get(email=nurse_email)
    home = list_active_memberships(nurse)[0].clinic
    patient = Patient.objects.filter(clinic=home, portal_user=None).order_by("id")[0]
    assessment = start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        instrument_code="gad7",
        mode=Mode.STAFF,
    )
    questionnaire = base_url + reverse("measurement:administer", args=[assessment.public_id])

    page.set_viewport_size(TABLET.size)
    sign_in(nurse_email, DEMO_PASSWORD)
    excuse_visited(page)  # login and Today are checked by test_login
    page.goto(questionnaire)
    expect(page.get_by_text(patient.mrn, exact=False)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Hand the tablet to the patient").click()
    expect(page).to_have_url(questionnaire)
    expect(page.get_by_text(f"Hello {patient.given_name}")).to_be_visible()
    assert patient.mrn not in page.content()
    assert patient.family_name not in page.content()
    expect(page.get_by_role("link", name="Patients")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("group").first.get_by_label("Several days", exact=True).check()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()

    # A staff address typed into the bar lands back on the questionnaire.
    page.goto(reverse("patients:chart", args=[patient.public_id]))
    expect(page).to_have_url(questionnaire)
    assert patient.mrn not in page.content()

    # A wrong password keeps the tablet with the patient.
    page.get_by_role("link", name="Hand back to staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand back to staff")
    assert_accessible(page)
    page.get_by_label("Staff password").fill("not the password")
    page.get_by_role("button", name="Take the tablet back").click()
    expect(page.get_by_text("That password is not right")).to_be_visible()
    assert_accessible(page)
    page.goto(reverse("patients:list"))
    expect(page).to_have_url(questionnaire)

    # The nurse's password takes it back: the staff page, with the record number, again.
    page.get_by_role("link", name="Hand back to staff").click()
    page.get_by_label("Staff password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Take the tablet back").click()
    expect(page).to_have_url(questionnaire)
    expect(page.get_by_text("Patient mode ended")).to_be_visible()
    expect(page.get_by_text(patient.mrn, exact=False)).to_be_visible()
    assert_accessible(page)
    page.goto(reverse("patients:list"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patients")
    assert_accessible(page)
