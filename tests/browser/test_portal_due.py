"""A patient on a phone signs in to the portal, sees the questionnaire their measurement plan
made due, and answers it with one tap: the plan's assignment is then answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_PATIENT_LOGIN,
    GenerationResult,
)
from kapclinic.measurement.models import Assignment
from kapclinic.measurement.plans.services import enrol, ensure_default_plan
from kapclinic.patients.models import Patient
from tests.browser.a11y import PHONE, assert_accessible, excuse_visited

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GAD7_ANSWERS = ["Several days"] * 7


def test_a_patient_on_a_phone_answers_a_due_questionnaire_in_the_portal(
    page: Page,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
    base_url: str,
) -> None:
    patient = Patient.objects.select_related("clinic").get(portal_user__email=DEMO_PATIENT_LOGIN)
    nurse = User.objects.get(email=DEMO_LOGINS[Role.NURSE][0])
    # No e-mail on the chart: the portal is the channel (no link is sent ahead of it).
    Patient.objects.filter(pk=patient.pk).update(email="")
    enrol(  # the course starts in two days: its baseline questionnaires are due now
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        plan=ensure_default_plan(clinic=patient.clinic),
        starts_on=patient.clinic.local_today() + timedelta(days=2),
    )
    gad7 = Assignment.objects.get(patient=patient, instrument_code="gad7")

    page.set_viewport_size(PHONE.size)
    sign_in(DEMO_PATIENT_LOGIN, DEMO_PASSWORD)
    excuse_visited(page)  # the login page is checked by test_login
    expect(page).to_have_url(base_url + reverse("portal:home"))
    to_fill_in = page.get_by_role("region", name="Questionnaires to fill in")
    due = to_fill_in.get_by_role("listitem").filter(has_text="GAD-7")
    expect(due).to_be_visible()
    expect(page.locator("footer")).to_contain_text(patient.clinic.name)
    assert_accessible(page)

    due.get_by_role("button", name="Answer now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("GAD-7")
    assert_accessible(page)
    questions = page.get_by_role("group")
    for n, answer in enumerate(GAD7_ANSWERS):
        questions.nth(n).get_by_label(answer, exact=True).check()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    page.get_by_role("button", name="Finish").click()

    expect(page).to_have_url(base_url + reverse("portal:home"))
    expect(page.get_by_text("Thank you: your answers reached your care team.")).to_be_visible()
    expect(to_fill_in.get_by_role("listitem").filter(has_text="GAD-7")).to_have_count(0)
    expect(page.get_by_role("region", name="How your answers have changed")).to_contain_text(
        "Your first GAD-7 score was 7, today."
    )
    assert_accessible(page)
    gad7.refresh_from_db()
    assert gad7.status == Assignment.Status.COMPLETED
    assert gad7.assessment is not None
    assert (gad7.assessment.mode, gad7.assessment.total) == ("portal", 7)
