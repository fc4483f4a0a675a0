from __future__ import annotations

from collections.abc import Callable

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Role, User
from kapclinic.consent.models import ConsentDocument, TreatmentType
from kapclinic.consent.readiness import REMS_NOT_RECORDED, can_start_dosing
from kapclinic.consent.services import countersign, record_patient_signature
from kapclinic.consent.tests.conftest import NOW
from kapclinic.measurement.models import Mode, SafetyTask
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from kapclinic.measurement.safety.services import (
    Evaluation,
    acknowledge_safety_task,
    evaluate_safety_task,
)
from kapclinic.patients.models import Patient
from kapclinic.screening.facts import Finding
from kapclinic.screening.rules import Family
from kapclinic.screening.services import mark_entered_in_error, record_screening, sign_decision
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


def _consent(
    patient: Patient, documents: list[ConsentDocument], user: User, kind: TreatmentType
) -> None:
    document = next(d for d in documents if d.treatment_type == kind)
    record = record_patient_signature(
        actor=Actor(user=user, roles=frozenset([])),
        patient=patient,
        document=document,
        typed_name=patient.full_name,
        agreed=True,
        now=NOW,
    )
    countersign(actor=Actor(user=user, roles=frozenset([])), record=record, now=NOW)


def _eligibility(
    patient: Patient, demo_user: Callable[[Role], User], family: Family, *findings: Finding
) -> str:
    """A real screening of ``family`` with ``findings``, signed by the demo prescriber; returns
    the signed outcome."""
    screening = record_screening(
        actor=Actor(user=demo_user(Role.NURSE), roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=answers(family=family, findings=frozenset(findings)),
        now=NOW,
    )
    decision = sign_decision(
        actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset({Role.PRESCRIBER})),
        screening=screening,
        notes="",
        now=NOW,
    )
    return decision.outcome


def test_nothing_recorded_lists_every_blocking_reason(undocumented_patient: Patient) -> None:
    result = can_start_dosing(undocumented_patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Consent: No consent document for Racemic ketamine (off-label use) has been published.",
        "Eligibility not recorded: no signed eligibility decision for this treatment.",
    )


def test_ready_with_valid_consent_and_an_eligible_decision(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), RACEMIC)
    assert _eligibility(patient, demo_user, Family.RACEMIC_KETAMINE) == "eligible"
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert result.ready
    assert result.blocking_reasons == ()


def test_a_decision_for_another_family_does_not_count(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), RACEMIC)
    _eligibility(patient, demo_user, Family.TALK_THERAPY)
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert result.blocking_reasons == (
        "Eligibility not recorded: no signed eligibility decision for this treatment.",
    )


def test_a_signed_not_eligible_decision_blocks(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), RACEMIC)
    outcome = _eligibility(patient, demo_user, Family.RACEMIC_KETAMINE, Finding.AVM)
    assert outcome == "not_eligible"
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Not eligible: the signed eligibility decision says the patient is not eligible.",
    )


def test_unsigned_consent_blocks(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    _eligibility(patient, demo_user, Family.RACEMIC_KETAMINE)
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert result.blocking_reasons == (
        "Consent: Not signed: the patient has not consented to Racemic ketamine (off-label use).",
    )


def test_esketamine_is_blocked_until_rems_enrolment_is_recorded(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    """R-REMS-1: no esketamine until the REMS enrolment and setting certification are recorded."""
    _consent(patient, documents, demo_user(Role.NURSE), TreatmentType.ESKETAMINE_REMS)
    assert _eligibility(patient, demo_user, Family.ESKETAMINE) == "eligible"
    result = can_start_dosing(patient, TreatmentType.ESKETAMINE_REMS, now=NOW)
    assert result.consent.valid
    assert result.blocking_reasons == (REMS_NOT_RECORDED,)


def test_a_signed_decision_whose_screening_is_entered_in_error_blocks_dosing_again(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    # The real selector this time: readiness must follow what screening says counts.
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    _consent(patient, documents, nurse, RACEMIC)
    screening = record_screening(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        answers=answers(),
        now=NOW,
    )
    sign_decision(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        screening=screening,
        notes="",
        now=NOW,
    )
    assert can_start_dosing(patient, RACEMIC, now=NOW).ready
    mark_entered_in_error(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        screening=screening,
        reason="Screened the wrong patient: same name and birth year.",
        now=NOW,
    )
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Eligibility not recorded: no signed eligibility decision for this treatment.",
    )


def test_an_urgent_safety_alert_holds_dosing_until_a_prescriber_clears_it(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    # R-OUT-1 / R-OUT-5: a real PHQ-9 with item 9 answered "several days", through the services.
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    _consent(patient, documents, nurse, RACEMIC)
    _eligibility(patient, demo_user, Family.RACEMIC_KETAMINE)
    assert can_start_dosing(patient, RACEMIC, now=NOW).ready
    phq9 = start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        assessment=phq9,
        answers={f"phq9_{n}": 1 for n in range(1, 10)},
        now=NOW,
    )
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Safety alert (R-OUT-1.item9, raised 2026-11-25 10:00): not acknowledged yet. A "
        "prescriber must record an evaluation that clears the next dosing session.",
    )
    # Talk therapy is not held: a patient at risk needs their therapist.
    talk = can_start_dosing(patient, TreatmentType.TALK_THERAPY, now=NOW)
    assert not any(r.startswith("Safety") for r in talk.blocking_reasons)

    task = SafetyTask.objects.get(assessment=phq9)
    acknowledge_safety_task(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        task=task,
        action="called_patient",
        note="",
        now=NOW,
    )
    assert not can_start_dosing(patient, RACEMIC, now=NOW).ready
    evaluate_safety_task(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        task=task,
        evaluation=Evaluation(
            risk_level="low",
            method="clinical_interview",
            risk_factors="Passive thoughts of death, no plan.",
            protective_factors="Family support, engaged in therapy.",
            safety_plan="reviewed",
            disposition="continue_outpatient",
            note="Seen today: passive thoughts only, no plan; safety plan updated.",
            cleared_for_dosing=True,
        ),
        now=NOW,
    )
    assert can_start_dosing(patient, RACEMIC, now=NOW).ready
