"""The clinic admin loads the C-SSRS screener's licensed wording under Clinic → Instruments (a
bad file first, answered item by item), and a nurse then gives the screener on the tablet
(issue 11.2). The wording is dummy test text, never the licensed text."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import FilePayload, Page, expect

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD
from kapclinic.measurement.models import Assessment, LicensedWording
from kapclinic.measurement.tests.wording import CSSRS, dummy_wording
from kapclinic.patients.models import Patient
from tests.browser.a11y import TABLET, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_loads_the_screeners_wording_and_a_nurse_gives_it_on_the_tablet(
    signed_in_page: Page,
    admin_clinic: Clinic,
    sign_in: Callable[[str, str], None],
    base_url: str,
) -> None:
    page = signed_in_page
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clinic", exact=True
    ).click()
    page.get_by_role("navigation", name="Clinic administration").get_by_role(
        "link", name="Instruments"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Instruments of {admin_clinic.name}")
    assert_accessible(page)

    page.get_by_role("link", name="Load the wording of C-SSRS Screener").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("C-SSRS Screener")
    assert_accessible(page)

    # A file with an item missing: refused item by item, nothing loaded.
    broken = json.loads(dummy_wording(CSSRS))
    del broken["items"]["cssrs_2"]
    page.get_by_label("Or paste the wording (JSON)").fill(json.dumps(broken))
    page.get_by_label("Licence holder", exact=True).fill("Harborview KAP Clinic LLC")
    page.get_by_label("Licence or agreement reference").fill("Sub-licence 2026-114")
    page.get_by_label("The clinic holds a licence").check()
    page.get_by_role("button", name="Load the wording").click()
    expect(page.get_by_text("no text (Non-specific active suicidal thoughts).")).to_be_visible()
    assert_accessible(page)
    assert not LicensedWording.objects.exists()

    # The whole file, uploaded.
    page.get_by_label("Or paste the wording (JSON)").fill("")
    upload: FilePayload = {
        "name": "cssrs.json",
        "mimeType": "application/json",
        "buffer": dummy_wording(CSSRS).encode(),
    }
    page.get_by_label("Wording file (JSON)").set_input_files(files=upload)
    page.get_by_label("The clinic holds a licence").check()
    page.get_by_role("button", name="Load the wording").click()
    expect(page.get_by_text("staff can now give it in this clinic")).to_be_visible()
    assert_accessible(page)
    wording = LicensedWording.objects.get(clinic=admin_clinic)
    assert wording.licence_reference == "Sub-licence 2026-114"

    # A nurse of the clinic now gives the screener on the tablet.
    page.get_by_role("button", name="Sign out").click()
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    nurse = User.objects.get(email=nurse_email)
    assert list_active_memberships(nurse)[0].clinic == admin_clinic
    patient = Patient.objects.filter(clinic=admin_clinic, merged_into=None).order_by("id")[0]
    page.set_viewport_size(TABLET.size)
    sign_in(nurse_email, DEMO_PASSWORD)
    excuse_visited(page)  # login and Today are checked by test_login
    page.goto(reverse("measurement:patient", args=[patient.public_id]))
    picker = page.get_by_label("Questionnaire", exact=True)
    expect(picker.locator(f'option[value="{CSSRS}"]')).to_be_enabled()
    expect(picker.locator('option[value="madrs"]')).to_be_disabled()
    expect(page.get_by_text("licence not found: its wording cannot be loaded")).to_be_visible()
    assert_accessible(page)

    picker.select_option(CSSRS)
    page.get_by_role("button", name="Give it here (tablet)").click()
    expect(page.get_by_text("Item 1 wording (test)")).to_be_visible()
    assessment = Assessment.objects.get(patient=patient, instrument_code=CSSRS)
    expect(page).to_have_url(
        base_url + reverse("measurement:administer", args=[assessment.public_id])
    )
    assert_accessible(page)
    page.get_by_role("group", name="1. Item 1 wording (test)").get_by_label(
        "Answer 0 (test)"
    ).check()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.answers == {"cssrs_1": 0}
