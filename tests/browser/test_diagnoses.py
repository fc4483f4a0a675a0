"""A prescriber codes a diagnosis from the shipped ICD-10-CM list and sees it on the chart."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.patients.models import Diagnosis, Patient
from tests.browser.a11y import assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MDD_RECURRENT_MODERATE = "F33.1 Major depressive disorder, recurrent, moderate"


def test_a_prescriber_searches_f33_adds_f33_1_as_primary_and_sees_it_on_the_chart(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None], base_url: str
) -> None:
    email = DEMO_LOGINS[Role.PRESCRIBER][0]
    sign_in(email, DEMO_PASSWORD)
    expect(page).to_have_url(base_url + reverse("today:today"))
    excuse_visited(page)  # test_login checks the login and Today pages
    home = list_active_memberships(User.objects.get(email=email))[0].clinic
    patient = (
        Patient.objects.filter(clinic=home)
        .exclude(diagnoses__icd10_code="F33.1", diagnoses__status=Diagnosis.Status.ACTIVE)
        .order_by("id")
        .first()
    )
    assert patient is not None

    page.goto(reverse("patients:chart", args=[patient.public_id]))
    assert_accessible(page)
    page.get_by_role("link", name="Add or change diagnoses").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Diagnoses")
    assert_accessible(page)

    # Typing swaps the suggestions in (htmx); the search text never names the patient.
    page.get_by_label("Find a code").fill("F33")
    choice = page.get_by_role("radio", name=MDD_RECURRENT_MODERATE, exact=True)
    expect(choice).to_be_visible()
    expect(page.get_by_text("F33 Major depressive disorder, recurrent (category")).to_be_visible()
    assert_accessible(page)
    choice.check()
    page.get_by_role("checkbox", name=re.compile("Primary diagnosis")).check()
    page.get_by_role("button", name="Add diagnosis").click()

    expect(page.get_by_role("status")).to_contain_text(f"{MDD_RECURRENT_MODERATE} added.")
    problem_list = page.get_by_role("region", name="Problem list")
    expect(problem_list.get_by_role("listitem").first).to_contain_text(MDD_RECURRENT_MODERATE)
    expect(problem_list.get_by_role("listitem").first).to_contain_text("Primary")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Back to the chart")).click()
    diagnoses = page.get_by_role("region", name="Diagnoses")
    expect(diagnoses).to_contain_text(f"{MDD_RECURRENT_MODERATE} (primary)")
    assert_accessible(page)
    primary = Diagnosis.objects.get(
        patient=patient, is_primary=True, status=Diagnosis.Status.ACTIVE
    )
    assert primary.icd10_code == "F33.1"
