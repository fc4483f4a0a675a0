"""A patient completes a PHQ-9 on their phone through a one-time link; an answer above zero on
item 9 puts an urgent safety task in front of the staff at once, on every page, until a clinician
acknowledges it with the action taken."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.measurement.models import Assessment, SafetyTask
from kapclinic.patients.models import Patient
from tests.browser.a11y import PHONE, assert_accessible, excuse_visited, track_navigation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHQ9_ANSWERS = ["Several days"] * 8 + ["More than half the days"]  # item 9 answered 2


def test_a_phq9_by_one_time_link_on_a_phone_alerts_the_staff(
    page: Page,
    browser: Browser,
    clinic: GenerationResult,
    sign_in: Callable[[str, str], None],
    base_url: str,
) -> None:
    nurse_email = DEMO_LOGINS[Role.NURSE][0]
    sign_in(nurse_email, DEMO_PASSWORD)
    excuse_visited(page)  # login and Today are checked by test_login
    home = list_active_memberships(User.objects.get(email=nurse_email))[0].clinic
    patient = Patient.objects.filter(clinic=home).order_by("id")[0]

    # The nurse creates a one-time link from the patient's questionnaires.
    page.goto(reverse("measurement:patient", args=[patient.public_id]))
    assert_accessible(page)
    page.get_by_label("Questionnaire", exact=True).select_option(
        label="PHQ-9 (Patient Health Questionnaire-9)"
    )
    page.get_by_label("When", exact=True).select_option(label="Baseline")
    page.get_by_role("button", name="Create a one-time link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("One-time link")
    assert_accessible(page)
    link = page.get_by_label("Link").input_value()
    assert re.fullmatch(re.escape(base_url) + r"/q/[A-Za-z0-9_-]{40,}/", link)

    # The patient opens it on a phone, without signing in.
    phone_context = browser.new_context(viewport=PHONE.size, locale="en-US")
    try:
        phone = phone_context.new_page()
        track_navigation(phone)
        phone.goto(link)
        expect(phone).to_have_url(base_url + reverse("questionnaire"))  # token gone from the bar
        expect(phone.get_by_role("heading", level=1)).to_contain_text(
            "Patient Health Questionnaire"
        )
        assert patient.family_name not in phone.content()
        assert_accessible(phone)
        questions = phone.get_by_role("group")
        for n, answer in enumerate(PHQ9_ANSWERS):
            questions.nth(n).get_by_label(answer, exact=True).check()
        expect(phone.get_by_text("Your answers are saved.")).to_be_visible()  # saved as they go
        phone.get_by_role("button", name="Finish").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
        expect(phone.get_by_role("alert")).to_contain_text("988")
        assert_accessible(phone)
    finally:  # a failure must not leave the phone's requests running into later tests
        phone_context.close()

    assessment = Assessment.objects.get(patient=patient)
    assert (assessment.status, assessment.total, assessment.mode) == ("completed", 10, "link")
    assert SafetyTask.objects.get(assessment=assessment).severity == "urgent"

    # The staff see it at once, on every page, until a clinician acknowledges it.
    page.goto(reverse("patients:list"))
    banner = page.get_by_role("alert").filter(has_text="1 urgent safety task open")
    expect(banner).to_be_visible()
    assert_accessible(page)
    banner.get_by_role("link", name=f"{patient.full_name} ({patient.mrn})").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Urgent safety task")
    assert_accessible(page)
    page.get_by_label("Called the patient").check()
    page.get_by_role("textbox", name="Note").fill(
        "Reached her by phone; safe tonight, seen tomorrow 9:00."
    )
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged", exact=False).first).to_be_visible()
    page.goto(reverse("patients:list"))
    expect(page.get_by_role("alert").filter(has_text="urgent safety task")).to_have_count(0)
    task = SafetyTask.objects.get(assessment=assessment)
    assert (task.status, task.action) == ("acknowledged", "called_patient")
