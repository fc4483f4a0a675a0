"""Tablet patient mode: staff hand the tablet to the patient for one questionnaire; the page
then shows nothing of staff, every other page leads back to it, and only the staff member's
password (throttled like a sign-in) or signing out ends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM, Actor
from kapclinic.accounts.models import AuthThrottleEvent, Clinic, Role, User
from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assessment, Mode
from kapclinic.measurement.responses.patient_mode import SESSION_KEY
from kapclinic.measurement.responses.services import start_assessment
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
LEAVE = "measurement:patient-mode-leave"


@pytest.fixture
def nurse(clinics: list[Clinic], demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def assessment(clinics: list[Clinic], nurse: User) -> Assessment:
    patient = Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by("id")[0]
    return start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )


@pytest.fixture
def handed(nurse: User, assessment: Assessment) -> Client:
    """The nurse's browser, handed to the patient for ``assessment``."""
    client = Client()
    client.force_login(nurse)
    response = client.post(reverse("measurement:patient-mode-enter", args=[assessment.public_id]))
    assert response["Location"] == _questionnaire(assessment)
    return client


def _questionnaire(assessment: Assessment) -> str:
    return reverse("measurement:administer", args=[assessment.public_id])


def _actions(assessment: Assessment) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="measurement.patient_mode").values_list(
            "action", flat=True
        )
    )


def test_the_handed_tablet_shows_the_questionnaire_without_anything_of_staff(
    handed: Client, assessment: Assessment
) -> None:
    html = handed.get(_questionnaire(assessment)).content.decode()
    patient = assessment.patient
    assert "PHQ-9" in html
    assert f"Hello {patient.given_name}" in html
    assert patient.mrn not in html
    assert patient.family_name not in html
    assert 'aria-label="Main"' in html
    for staff in ("patients:list", "today:today", "accounts:security", "accounts:logout"):
        assert reverse(staff) not in html
    assert reverse("measurement:patient", args=[patient.public_id]) not in html
    assert reverse(LEAVE) in html
    assert _actions(assessment) == ["measurement.patient_mode_entered"]


def test_every_other_staff_page_leads_back_to_the_questionnaire(
    handed: Client, assessment: Assessment
) -> None:
    back = _questionnaire(assessment)
    for url in (
        reverse("patients:list"),
        reverse("today:today"),
        reverse("patients:chart", args=[assessment.patient.public_id]),
        reverse("measurement:patient", args=[assessment.patient.public_id]),
        reverse("accounts:security"),
    ):
        assert handed.get(url)["Location"] == back, url
    htmx = handed.post(reverse("patients:search"), {"q": "a"}, headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == back
    assert handed.get("/api/v1/patients").status_code == 403


def test_after_finish_the_patient_sees_thanks_still_in_patient_mode(
    handed: Client, assessment: Assessment
) -> None:
    url = _questionnaire(assessment)
    answers = {f"phq9_{n}": "1" for n in range(1, 9)} | {"phq9_9": "0"}
    done = handed.post(url, {**answers, "action": "complete"}, follow=True)
    html = done.content.decode()
    assert "Thank you" in html
    assert 'id="score-heading"' not in html  # not the staff result page
    assert assessment.patient.mrn not in html
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.COMPLETED
    assert handed.get(reverse("patients:list"))["Location"] == url


def test_a_wrong_password_keeps_patient_mode_and_counts_as_a_failed_sign_in(
    handed: Client, assessment: Assessment, nurse: User
) -> None:
    response = handed.post(reverse(LEAVE), {"password": "not-the-password"})
    assert response.status_code == 422
    assert "That password is not right" in response.content.decode()
    assert handed.session[SESSION_KEY] == str(assessment.public_id)
    assert AuthThrottleEvent.objects.filter(kind=AuthThrottleEvent.Kind.PASSWORD_FAILED).exists()
    failed = AuditEvent.objects.get(action="auth.login_failed", actor=nurse)
    assert failed.detail["step"] == "patient_mode"
    assert handed.get(reverse("today:today"))["Location"] == _questionnaire(assessment)


def test_the_staff_password_ends_patient_mode(
    handed: Client, assessment: Assessment, demo_password: str
) -> None:
    response = handed.post(reverse(LEAVE), {"password": demo_password})
    assert response["Location"] == _questionnaire(assessment)
    assert SESSION_KEY not in handed.session
    assert handed.get(reverse("patients:list")).status_code == 200
    staff_page = handed.get(_questionnaire(assessment)).content.decode()
    assert assessment.patient.mrn in staff_page
    assert _actions(assessment) == [
        "measurement.patient_mode_entered",
        "measurement.patient_mode_left",
    ]


def test_guessing_the_password_locks_out_and_signs_the_tablet_out(
    handed: Client, assessment: Assessment, demo_password: str
) -> None:
    for _ in range(4):
        assert handed.post(reverse(LEAVE), {"password": "guess"}).status_code == 422
    locked = handed.post(reverse(LEAVE), {"password": "guess"})
    assert locked["Location"] == reverse("accounts:login")
    # Signed out: nothing is reachable, the questionnaire included.
    assert handed.get(_questionnaire(assessment))["Location"].startswith(reverse("accounts:login"))
    # While locked even the right password does not help (it is not even checked).
    again = Client()
    again.force_login(assessment.started_by)  # type: ignore[arg-type]
    session = again.session
    session[SESSION_KEY] = str(assessment.public_id)
    session.save()
    refused = again.post(reverse(LEAVE), {"password": demo_password})
    assert refused["Location"] == reverse("accounts:login")


def test_signing_out_and_the_idle_sign_out_end_patient_mode_with_the_session(
    handed: Client, assessment: Assessment, nurse: User
) -> None:
    session = handed.session
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp()) - 24 * 3600
    session.save()
    idle = handed.get(_questionnaire(assessment))
    assert idle["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in handed.session

    other = Client()
    other.force_login(nurse)
    other.post(reverse("measurement:patient-mode-enter", args=[assessment.public_id]))
    assert other.post(reverse("accounts:logout"))["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in other.session


def test_hand_back_without_patient_mode_goes_home(nurse: User) -> None:
    client = Client()
    client.force_login(nurse)
    assert client.get(reverse(LEAVE))["Location"] == reverse("today:home")


def test_another_clinics_questionnaire_cannot_be_handed_over(
    client_for: Callable[[Role], Client], nurse: User
) -> None:
    theirs = Patient.objects.exclude(clinic__memberships__user=nurse).order_by("id")[0]
    assessment = start_assessment(
        actor=SYSTEM, patient=theirs, instrument_code="gad7", mode=Mode.STAFF
    )
    client = client_for(Role.NURSE)
    url = reverse("measurement:patient-mode-enter", args=[assessment.public_id])
    assert client.post(url).status_code == 404
    assert SESSION_KEY not in client.session
