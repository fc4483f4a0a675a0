"""The intake path end to end, in the browser, by the people who do it:

a person asks for an appointment on the public page → the front desk registers them from the
triage queue → a nurse records the eligibility screening → the prescriber signs the decision →
the patient signs the consent on the nurse's tablet and the nurse countersigns → the chart says
treatment can start. Each step is checked for accessibility where it is first seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.selectors import list_active_memberships
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.consent.readiness import can_start_dosing
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, GenerationResult
from kapclinic.patients.models import Patient
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import Screening
from tests.browser.a11y import assert_accessible, excuse_visited
from tests.browser.screening_form import fill_racemic_screening

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIVEN, FAMILY, BORN = "Inès", "Duval-Okafor", "1988-04-17"
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


def _staff(role: Role) -> str:
    return DEMO_LOGINS[role][0]


def _front_desk_clinic() -> Clinic:
    return list_active_memberships(User.objects.get(email=_staff(Role.FRONT_DESK)))[0].clinic


def _switch_user(page: Page, sign_in: Callable[[str, str], None], role: Role) -> None:
    page.context.clear_cookies()
    sign_in(_staff(role), DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    excuse_visited(page)  # the login page and Today are checked by test_login


def test_a_referral_goes_through_screening_to_signed_consent(
    page: Page, clinic: GenerationResult, sign_in: Callable[[str, str], None]
) -> None:
    home = _front_desk_clinic()
    seed_consent_documents(
        clinic=home,
        published_by=User.objects.get(email=_staff(Role.CLINIC_ADMIN)),
        now=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    )

    # 1. The person asks for an appointment on the public page (no login).
    page.goto(reverse("self-check"))
    assert_accessible(page)
    page.get_by_label("Clinic", exact=True).select_option(label=home.name)
    page.get_by_label("Given name").fill(GIVEN)
    page.get_by_label("Family name").fill(FAMILY)
    page.get_by_label("Date of birth (optional)").fill(BORN)
    page.get_by_label("E-mail", exact=True).fill("ines.duval@example.org")
    page.get_by_label("How should the clinic contact you?").select_option(label="E-mail")
    page.get_by_label("I agree that the clinic stores these details").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    assert_accessible(page)
    referral = Referral.objects.get(family_name=FAMILY)
    assert referral.status == Referral.Status.NEW

    # 2. The front desk finds it in the triage queue and registers the person.
    _switch_user(page, sign_in, Role.FRONT_DESK)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    assert_accessible(page)
    page.get_by_role("link", name=f"{FAMILY}, {GIVEN}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral: {GIVEN} {FAMILY}")
    assert_accessible(page)
    register = page.get_by_role("region", name="Register as a patient")
    expect(register.get_by_label("Given name")).to_have_value(GIVEN)  # carried from the request
    register.get_by_label("Sex").select_option(label="Female")
    register.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{FAMILY}, {GIVEN}")
    assert_accessible(page)
    patient = Patient.objects.get(family_name=FAMILY)
    chart = reverse("patients:chart", args=[patient.public_id])
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REGISTERED
    assert referral.patient == patient

    # 3. The nurse records the screening for racemic ketamine.
    _switch_user(page, sign_in, Role.NURSE)
    page.goto(chart)
    page.get_by_role("link", name="New screening").click()
    assert_accessible(page)
    fill_racemic_screening(
        page,
        vitals={
            "Weight (kg)": "64.5",
            "Systolic BP (mmHg)": "118",
            "Diastolic BP (mmHg)": "76",
            "Heart rate (bpm)": "72",
            "SpO2 (%)": "98",
        },
        phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0],
        gad7=[1] * 7,
    )
    page.get_by_role("button", name="Record and evaluate").click()
    expect(page.get_by_role("heading", name="Outcome: Eligible", exact=True)).to_be_visible()
    assert_accessible(page)
    screening = Screening.objects.get(patient=patient)
    assert screening.recorded_by.email == _staff(Role.NURSE)
    # A nurse cannot sign: the page offers no signature to them.
    expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)

    # 4. The prescriber reviews every rule result and signs.
    _switch_user(page, sign_in, Role.PRESCRIBER)
    page.goto(reverse("screening:detail", args=[screening.public_id]))
    page.get_by_label("Notes (optional)").fill("Reviewed with the patient; start low.")
    page.get_by_label("I have reviewed every rule result").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Signed: Eligible")).to_be_visible()
    assert_accessible(page)

    # 5. The nurse hands the tablet to the patient, who signs; the nurse countersigns.
    _switch_user(page, sign_in, Role.NURSE)
    page.goto(chart)
    page.get_by_role("link", name="Consent records").click()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text="Racemic ketamine (off-label use)")
    row.get_by_role("link", name="Sign on tablet").click()
    assert_accessible(page)
    page.get_by_label("Your full name").fill("ines duval okafor")  # case/accents/hyphens forgiven
    page.get_by_label("I have read and understood this document").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Informed consent")
    page.get_by_label("I checked this signature with the patient").check()
    page.get_by_role("button", name="Countersign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Informed consent")
    assert_accessible(page)
    record = ConsentRecord.objects.get(patient=patient)
    assert record.countersigned_by is not None
    assert record.countersigned_by.email == _staff(Role.NURSE)

    # 6. The chart now says racemic ketamine treatment can start, and the check agrees.
    page.goto(chart)
    readiness = page.get_by_role("region", name="Can treatment start?")
    expect(
        readiness.get_by_role("listitem").filter(has_text="Racemic ketamine (off-label use)")
    ).to_contain_text("ready")
    timeline = page.get_by_role("table", name=f"Timeline of {GIVEN} {FAMILY}, newest first")
    expect(timeline).to_contain_text("Consent countersigned")
    expect(timeline).to_contain_text("Eligibility signed (Racemic ketamine")
    expect(timeline).to_contain_text("Referral received (self-referral)")
    assert_accessible(page)
    assert can_start_dosing(patient, RACEMIC, now=timezone.now()).ready
