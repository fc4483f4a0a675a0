"""Patients sign their consent documents and answer their questionnaires in the portal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import SYSTEM, Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.consent.models import ConsentRecord, SignedVia, TreatmentType
from kapclinic.measurement.models import Assessment, Assignment, Mode, SafetyTask
from kapclinic.measurement.plans.selectors import list_worklist
from kapclinic.measurement.plans.services import enrol, ensure_default_plan
from kapclinic.measurement.responses.services import start_assessment
from kapclinic.patients.models import Patient
from kapclinic.screening.services import record_screening, sign_decision
from kapclinic.screening.tests.factories import COMPLETE

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


@pytest.fixture
def patient(clinics: list[Clinic], demo_user: Callable[[Role], User]) -> Patient:
    """A patient with a portal sign-in, in a clinic that published its consent documents."""
    patient = Patient.objects.filter(clinic=clinics[0], portal_user=None).order_by("id")[0]
    user = User.objects.create_user(
        "portal.consent@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    seed_consent_documents(
        clinic=clinics[0], published_by=demo_user(Role.CLINIC_ADMIN), now=timezone.now()
    )
    patient.refresh_from_db()
    return patient


def _portal(patient: Patient) -> Client:
    client = Client()
    assert patient.portal_user is not None
    client.force_login(patient.portal_user)
    return client


def _eligible(patient: Patient, demo_user: Callable[[Role], User]) -> None:
    screening = record_screening(
        actor=Actor(user=demo_user(Role.NURSE), roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=COMPLETE,
        now=timezone.now(),
    )
    sign_decision(
        actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset({Role.PRESCRIBER})),
        screening=screening,
        notes="",
        now=timezone.now(),
    )


def test_nothing_is_offered_before_a_prescriber_found_the_patient_eligible(
    patient: Patient,
) -> None:
    client = _portal(patient)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Nothing to sign at the moment" in home
    assert client.get(reverse("portal:sign-consent", args=[RACEMIC])).status_code == 404


def test_the_patient_signs_in_the_portal_and_it_awaits_countersignature(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    _eligible(patient, demo_user)
    client = _portal(patient)
    url = reverse("portal:sign-consent", args=[RACEMIC])
    assert url in client.get(reverse("portal:home")).content.decode()
    # Only the racemic consent was planned: talk therapy is not offered.
    talk = reverse("portal:sign-consent", args=[TreatmentType.TALK_THERAPY])
    assert client.get(talk).status_code == 404

    wrong = client.post(url, {"typed_name": "Somebody Else", "agreed": "on"})
    assert wrong.status_code == 422
    assert "Type your full name as your clinic has it" in wrong.content.decode()
    unticked = client.post(url, {"typed_name": patient.full_name})
    assert unticked.status_code == 422
    assert not ConsentRecord.objects.filter(patient=patient).exists()

    signed = client.post(url, {"typed_name": patient.full_name.upper(), "agreed": "on"})
    assert signed["Location"] == reverse("portal:home")
    record = ConsentRecord.objects.get(patient=patient)
    assert record.signed_via == SignedVia.PORTAL
    assert record.countersigned_at is None
    assert "the care team countersigns it" in client.get(reverse("portal:home")).content.decode()
    again = client.post(url, {"typed_name": patient.full_name, "agreed": "on"})
    assert again["Location"] == reverse("portal:home")  # signed and awaiting: nothing to sign
    assert ConsentRecord.objects.filter(patient=patient).count() == 1


def test_a_patient_cannot_open_another_patients_form_or_staff_pages(patient: Patient) -> None:
    client = _portal(patient)
    other = Patient.objects.exclude(pk=patient.pk).order_by("id")[0]
    staff_sign = reverse("consent:sign", args=[other.public_id, RACEMIC])
    assert client.get(staff_sign).status_code == 403


def test_the_patient_answers_an_open_questionnaire_in_the_portal(patient: Patient) -> None:
    from kapclinic.measurement.models import Mode
    from kapclinic.measurement.responses.services import start_assessment

    assessment = start_assessment(
        actor=SYSTEM, patient=patient, instrument_code="phq9", mode=Mode.PORTAL
    )
    client = _portal(patient)
    url = reverse("portal:questionnaire", args=[assessment.public_id])
    assert url in client.get(reverse("portal:home")).content.decode()
    answers = {f"phq9_{n}": "1" for n in range(1, 10)}
    done = client.post(url, {**answers, "action": "complete"}, follow=True)
    assert "Thank you: your answers reached your care team." in done.content.decode()
    assert "988" in done.content.decode()  # item 9 was 1: crisis resources at once
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total) == ("completed", 9)
    assert SafetyTask.objects.filter(assessment=assessment, severity="urgent").exists()
    assert client.get(url)["Location"] == reverse("portal:home")  # finished: nothing to do


def test_another_patients_questionnaire_is_not_found_in_the_portal(
    patient: Patient, clinics: list[Clinic]
) -> None:
    other = Patient.objects.filter(clinic=clinics[0]).exclude(pk=patient.pk).order_by("id")[0]
    theirs = start_assessment(actor=SYSTEM, patient=other, instrument_code="gad7", mode=Mode.PORTAL)
    client = _portal(patient)
    assert client.get(reverse("portal:questionnaire", args=[theirs.public_id])).status_code == 404


def _enrolled(patient: Patient, demo_user: Callable[[Role], User]) -> list[Assignment]:
    """Enrolled in the clinic's default plan, the course starting in two days: its baseline
    PHQ-9 and GAD-7 are due now."""
    enrol(
        actor=Actor(user=demo_user(Role.NURSE), roles=frozenset({Role.NURSE})),
        patient=patient,
        plan=ensure_default_plan(clinic=patient.clinic),
        starts_on=timezone.localdate() + timedelta(days=2),
    )
    return list(Assignment.objects.filter(patient=patient).order_by("id"))


def test_a_due_questionnaire_from_the_plan_is_answered_in_the_portal_and_leaves_the_worklist(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    phq9 = next(a for a in _enrolled(patient, demo_user) if a.instrument_code == "phq9")
    client = _portal(patient)
    start = reverse("portal:start-due", args=[phq9.public_id])
    assert start in client.get(reverse("portal:home")).content.decode()

    opened = client.post(start)

    phq9.refresh_from_db()
    assert phq9.assessment is not None
    assert phq9.assessment.mode == Mode.PORTAL
    url = reverse("portal:questionnaire", args=[phq9.assessment.public_id])
    assert opened["Location"] == url
    answers = {f"phq9_{n}": "1" for n in range(1, 9)} | {"phq9_9": "0"}
    client.post(url, {**answers, "action": "complete"})
    phq9.refresh_from_db()
    assert phq9.status == Assignment.Status.COMPLETED
    assert phq9.assessment is not None
    assert phq9.assessment.status == Assessment.Status.COMPLETED
    worklist = list_worklist(patient.clinic, timezone.now())
    assert phq9.pk not in {a.pk for a in worklist}
    home = client.get(reverse("portal:home")).content.decode()
    assert start not in home  # answered: no longer due


def test_a_second_tap_on_answer_now_continues_the_same_response(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    gad7 = next(a for a in _enrolled(patient, demo_user) if a.instrument_code == "gad7")
    client = _portal(patient)
    start = reverse("portal:start-due", args=[gad7.public_id])
    first, second = client.post(start), client.post(start)
    assert first["Location"] == second["Location"]
    assert Assessment.objects.filter(patient=patient, instrument_code="gad7").count() == 1
    # Started: the home page offers to continue it, once.
    home = client.get(reverse("portal:home")).content.decode()
    assert home.count(first["Location"]) == 1


def test_another_patients_due_questionnaire_cannot_be_started_in_the_portal(
    patient: Patient, clinics: list[Clinic], demo_user: Callable[[Role], User]
) -> None:
    other = Patient.objects.filter(clinic=clinics[0]).exclude(pk=patient.pk).order_by("id")[0]
    theirs = _enrolled(other, demo_user)[0]
    client = _portal(patient)
    assert client.post(reverse("portal:start-due", args=[theirs.public_id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.assessment is None


def test_the_portal_footer_names_the_patients_clinic_and_phone(patient: Patient) -> None:
    Clinic.objects.filter(pk=patient.clinic_id).update(phone="+1 555 0100")
    html = _portal(patient).get(reverse("portal:home")).content.decode()
    footer = html[html.index('<footer class="container app-footer">') :]
    assert patient.clinic.name in footer
    assert "+1 555 0100" in footer
