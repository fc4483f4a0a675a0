from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from kapclinic.accounts.models import Role, User
from kapclinic.consent.models import ConsentDocument, TreatmentType
from kapclinic.consent.readiness import REMS_NOT_RECORDED, can_start_dosing
from kapclinic.consent.services import countersign, record_patient_signature
from kapclinic.consent.tests.conftest import NOW
from kapclinic.patients.models import Patient
from kapclinic.screening import selectors as screening_selectors
from kapclinic.screening.services import mark_entered_in_error, record_screening, sign_decision
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


def _consent(
    patient: Patient, documents: list[ConsentDocument], user: User, kind: TreatmentType
) -> None:
    document = next(d for d in documents if d.treatment_type == kind)
    record = record_patient_signature(
        actor=user,
        roles=[],
        patient=patient,
        document=document,
        typed_name=patient.full_name,
        agreed=True,
        now=NOW,
    )
    countersign(actor=user, roles=[], record=record, now=NOW)


def _eligibility(monkeypatch: pytest.MonkeyPatch, outcome: str | None) -> list[tuple[Patient, str]]:
    calls: list[tuple[Patient, str]] = []

    def current_eligibility(patient: Patient, family: str) -> object:
        calls.append((patient, family))
        return None if outcome is None else SimpleNamespace(outcome=outcome)

    monkeypatch.setattr(
        screening_selectors, "current_eligibility", current_eligibility, raising=False
    )
    return calls


def test_nothing_recorded_lists_every_blocking_reason(
    patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(screening_selectors, "current_eligibility", raising=False)
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Consent: No consent document for Racemic ketamine (off-label use) has been published.",
        "Eligibility not recorded: no screening decision can be read yet.",
    )


def test_ready_with_valid_consent_and_an_eligible_decision(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), RACEMIC)
    calls = _eligibility(monkeypatch, "eligible_with_precautions")
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert result.ready
    assert result.blocking_reasons == ()
    assert calls == [(patient, "racemic_ketamine")]


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (None, "Eligibility not recorded: no signed eligibility decision for this treatment."),
        (
            "not_eligible",
            "Not eligible: the signed eligibility decision says the patient is not eligible.",
        ),
        ("pending", "Eligibility unclear: the signed decision's outcome ('pending') is not known."),
    ],
)
def test_each_eligibility_answer_that_blocks(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    monkeypatch: pytest.MonkeyPatch,
    outcome: str | None,
    reason: str,
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), RACEMIC)
    _eligibility(monkeypatch, outcome)
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (reason,)


def test_unsigned_consent_blocks(
    patient: Patient, documents: list[ConsentDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    _eligibility(monkeypatch, "eligible")
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert result.blocking_reasons == (
        "Consent: Not signed: the patient has not consented to Racemic ketamine (off-label use).",
    )


def test_esketamine_is_blocked_until_rems_enrolment_is_recorded(
    patient: Patient,
    documents: list[ConsentDocument],
    demo_user: Callable[[Role], User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _consent(patient, documents, demo_user(Role.NURSE), TreatmentType.ESKETAMINE_REMS)
    calls = _eligibility(monkeypatch, "eligible")
    result = can_start_dosing(patient, TreatmentType.ESKETAMINE_REMS, now=NOW)
    assert result.consent.valid
    assert result.blocking_reasons == (REMS_NOT_RECORDED,)
    assert calls == [(patient, "esketamine")]


def test_a_signed_decision_whose_screening_is_entered_in_error_blocks_dosing_again(
    patient: Patient, documents: list[ConsentDocument], demo_user: Callable[[Role], User]
) -> None:
    # The real selector this time: readiness must follow what screening says counts.
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    _consent(patient, documents, nurse, RACEMIC)
    screening = record_screening(
        actor=nurse, roles={Role.NURSE}, patient=patient, answers=answers(), now=NOW
    )
    sign_decision(actor=prescriber, roles={Role.PRESCRIBER}, screening=screening, notes="", now=NOW)
    assert can_start_dosing(patient, RACEMIC, now=NOW).ready
    mark_entered_in_error(
        actor=prescriber,
        roles={Role.PRESCRIBER},
        screening=screening,
        reason="Screened the wrong patient: same name and birth year.",
        now=NOW,
    )
    result = can_start_dosing(patient, RACEMIC, now=NOW)
    assert not result.ready
    assert result.blocking_reasons == (
        "Eligibility not recorded: no signed eligibility decision for this treatment.",
    )
