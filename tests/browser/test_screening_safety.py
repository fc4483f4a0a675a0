"""A suicide-risk answer at screening, in the browser (issue 11.1; R-OUT-1, R-OUT-5): the nurse
records a PHQ-9 with item 9 above "not at all"; the screening page leads with the urgent alert;
the prescriber cannot sign the patient eligible until the evaluation is recorded on the safety
task; after the nurse acknowledges and the prescriber evaluates, the signature goes through."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.measurement.models import SafetyTask
from kapclinic.patients.models import Patient
from kapclinic.screening.models import EligibilityDecision, Screening
from tests.browser.a11y import assert_accessible, excuse_visited
from tests.browser.screening_form import fill_racemic_screening

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch_user(page: Page, sign_in: Callable[[str, str], None], role: Role) -> None:
    page.context.clear_cookies()
    sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    excuse_visited(page)  # the login page and Today are checked by test_login


def test_item_9_at_screening_raises_the_alert_and_holds_the_signature_until_evaluated(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    nurse_clinic = list_active_memberships(User.objects.get(email=DEMO_LOGINS[Role.NURSE][0]))[0]
    # The generator leaves the first patients of each clinic unscreened.
    patient = Patient.objects.filter(clinic=nurse_clinic.clinic).order_by("id")[0]
    _switch_user(page, sign_in, Role.NURSE)
    page.goto(reverse("screening:new", args=[patient.public_id]))
    assert_accessible(page)
    fill_racemic_screening(
        page,
        vitals={
            "Weight (kg)": "71",
            "Systolic BP (mmHg)": "122",
            "Diastolic BP (mmHg)": "78",
            "Heart rate (bpm)": "70",
            "SpO2 (%)": "98",
        },
        phq9=[2, 2, 2, 2, 2, 2, 2, 2, 1],
        gad7=[1] * 7,
    )
    page.get_by_role("button", name="Record and evaluate").click()
    expect(page.get_by_text("raised an urgent suicide-risk alert")).to_be_visible()
    alert = page.locator("#screening-safety")
    expect(alert).to_contain_text("PHQ-9 item 9")
    assert_accessible(page)
    screening = Screening.objects.get(patient=patient)

    # The prescriber sees the signature held, with the way to the task.
    _switch_user(page, sign_in, Role.PRESCRIBER)
    page.goto(reverse("screening:detail", args=[screening.public_id]))
    waits = page.locator("#sign-waits")
    expect(waits).to_contain_text("Signing eligible waits for the evaluation")
    expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)
    assert_accessible(page)

    # The nurse acknowledges with the action taken.
    task = SafetyTask.objects.get(patient=patient)
    _switch_user(page, sign_in, Role.NURSE)
    page.goto(reverse("measurement:safety-task", args=[task.public_id]))
    assert_accessible(page)
    page.get_by_label("Saw the patient in person").check()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged", exact=False).first).to_be_visible()

    # The prescriber records the evaluation, then signs from the screening page.
    _switch_user(page, sign_in, Role.PRESCRIBER)
    page.goto(reverse("screening:detail", args=[screening.public_id]))
    page.locator("#sign-waits").get_by_role("link").first.click()
    assert_accessible(page)
    # The structured evaluation (issue 11.2): risk, how it was assessed, factors, plan, disposition.
    evaluation = page.locator("section[aria-labelledby=eval-heading]")
    evaluation.get_by_role("group", name="Risk level").get_by_label("Low").check()
    evaluation.get_by_label("C-SSRS on paper").check()
    evaluation.get_by_label("Risk factors").fill("Passive thoughts of death on some days")
    evaluation.get_by_label("Protective factors").fill("Partner at home, engaged in care")
    evaluation.get_by_role("group", name="Safety plan").get_by_label("Created").check()
    evaluation.get_by_label("Continue outpatient care").check()
    evaluation.get_by_role("textbox", name="Evaluation note").fill(
        "No plan or intent; safety plan written with the patient and given to them."
    )
    page.get_by_label("Cleared for the next dosing session").check()
    page.get_by_role("button", name="Record evaluation").click()
    page.goto(reverse("screening:detail", args=[screening.public_id]))
    page.get_by_label("I have reviewed every rule result").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Signed: Eligible")).to_be_visible()
    assert_accessible(page)
    assert EligibilityDecision.objects.get(screening=screening).outcome == "eligible"
    task.refresh_from_db()
    assert (task.risk_level, task.disposition) == ("low", "continue_outpatient")
