"""A suicide-risk answer at screening raises the same safety path as any questionnaire
(issue 11.1; R-OUT-1: PHQ-9 item 9 > 0 -> an urgent task the same day; R-OUT-5: dosing held).

The screening's PHQ-9 and GAD-7 answers are recorded as questionnaire responses through
measurement's one path (record_response), so the alert rules, the safety task, the banner and the
dosing hold come from one place; a screening cannot be signed eligible while an urgent task of
the patient has no evaluation recorded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.models import TreatmentType
from kapclinic.consent.readiness import can_start_dosing
from kapclinic.measurement.models import Assessment, Occasion, SafetyTask
from kapclinic.measurement.safety.services import (
    Evaluation,
    SafetyAction,
    acknowledge_safety_task,
    evaluate_safety_task,
)
from kapclinic.patients.models import Patient
from kapclinic.screening.exceptions import ScreeningRefusedError
from kapclinic.screening.models import EligibilityDecision, Screening
from kapclinic.screening.services import record_screening, sign_decision
from kapclinic.screening.tests.factories import answers, form_data

pytestmark = pytest.mark.django_db

NURSE = {Role.NURSE}
PRESCRIBER = {Role.PRESCRIBER}
ITEM9_NEARLY_EVERY_DAY = (1, 2, 1, 2, 1, 1, 1, 0, 3)


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    # The generator leaves the first patients of each clinic unscreened.
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _screen(nurse: User, patient: Patient, phq9: tuple[int, ...]) -> Screening:
    return record_screening(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        answers=answers(phq9_answers=phq9),
        now=timezone.now(),
    )


def test_item_9_at_screening_raises_the_urgent_task_banner_and_dosing_hold(
    demo_user: Callable[[Role], User], patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    screening = _screen(demo_user(Role.NURSE), patient, ITEM9_NEARLY_EVERY_DAY)
    assert screening.phq9_response is not None
    response = screening.phq9_response
    assert response.occasion == Occasion.SCREENING
    assert response.status == Assessment.Status.COMPLETED
    assert response.answers["phq9_9"] == 3
    assert response.total == sum(ITEM9_NEARLY_EVERY_DAY)
    assert screening.gad7_response is not None
    task = SafetyTask.objects.get(patient=patient)
    assert task.rule_id == "R-OUT-1.item9"
    assert task.severity == "urgent"
    assert task.assessment == response
    assert task.status == SafetyTask.Status.OPEN
    # The banner on every staff page, and the dosing hold, as for any questionnaire.
    page = client_for(Role.FRONT_DESK).get(reverse("today:today")).content.decode()
    assert patient.mrn in page
    readiness = can_start_dosing(
        patient, TreatmentType.RACEMIC_KETAMINE_OFF_LABEL, now=timezone.now()
    )
    assert not readiness.ready
    assert any("R-OUT-1.item9" in reason for reason in readiness.blocking_reasons)


def test_no_alert_and_no_task_when_item_9_is_not_at_all(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _screen(demo_user(Role.NURSE), patient, (2, 2, 2, 2, 1, 1, 1, 1, 0))
    assert screening.phq9_response is not None
    assert not SafetyTask.objects.filter(patient=patient).exists()
    decision = sign_decision(
        actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset(PRESCRIBER)),
        screening=screening,
        notes="",
        now=timezone.now(),
    )
    assert decision.outcome == "eligible"


def test_signing_eligible_waits_for_the_evaluation_and_not_eligible_does_not(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    screening = _screen(nurse, patient, ITEM9_NEARLY_EVERY_DAY)
    with pytest.raises(ScreeningRefusedError, match="record the evaluation"):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            notes="",
            now=timezone.now(),
        )
    assert not EligibilityDecision.objects.filter(screening=screening).exists()
    task = SafetyTask.objects.get(patient=patient)
    task = acknowledge_safety_task(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        task=task,
        action=SafetyAction.CALLED_PATIENT,
        note="",
        now=timezone.now(),
    )
    # Acknowledged is not enough: the evaluation must be recorded.
    with pytest.raises(ScreeningRefusedError):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            notes="",
            now=timezone.now(),
        )
    evaluate_safety_task(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        task=task,
        evaluation=Evaluation(
            risk_level="low",
            method="clinical_interview",
            risk_factors="Passive thoughts of death, no plan.",
            protective_factors="Family support, engaged in therapy.",
            safety_plan="reviewed",
            disposition="continue_outpatient",
            note="Passive ideation, no plan or intent; safety plan reviewed with the patient.",
            cleared_for_dosing=False,
        ),
        now=timezone.now(),
    )
    decision = sign_decision(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=screening,
        notes="",
        now=timezone.now(),
    )
    assert decision.outcome == "eligible"
    # Evaluated but not cleared: dosing stays held until a prescriber clears it (R-OUT-5).
    readiness = can_start_dosing(
        patient, TreatmentType.RACEMIC_KETAMINE_OFF_LABEL, now=timezone.now()
    )
    assert any("R-OUT-1.item9" in reason for reason in readiness.blocking_reasons)


def test_the_screening_pages_show_the_alert_and_the_sign_form_waits(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    data = form_data(phq9_9="2")
    recorded = nurse.post(reverse("screening:new", args=[patient.public_id]), data, follow=True)
    page = recorded.content.decode()
    assert "raised an urgent suicide-risk alert" in page
    assert 'id="screening-safety"' in page
    screening = Screening.objects.get(patient=patient)
    prescriber = client_for(Role.PRESCRIBER)
    detail = prescriber.get(reverse("screening:detail", args=[screening.public_id]))
    assert 'id="sign-waits"' in detail.content.decode()
    refused = prescriber.post(
        reverse("screening:sign", args=[screening.public_id]), {"notes": "", "confirm": "on"}
    )
    assert refused.status_code == 422
    assert "record the evaluation" in refused.content.decode()
    assert not EligibilityDecision.objects.filter(screening=screening).exists()
