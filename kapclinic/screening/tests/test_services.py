from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.screening.exceptions import ScreeningRefusedError
from kapclinic.screening.facts import Finding
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening
from kapclinic.screening.rules import Family
from kapclinic.screening.selectors import current_eligibility, list_screenings
from kapclinic.screening.services import override_flag, record_screening, sign_decision
from kapclinic.screening.tests.factories import answers

pytestmark = pytest.mark.django_db

NURSE = {Role.NURSE}
PRESCRIBER = {Role.PRESCRIBER}


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _record(user: User, patient: Patient, **changes: object) -> Screening:
    return record_screening(
        actor=Actor(user=user, roles=frozenset(NURSE)),
        patient=patient,
        answers=answers(**changes),
        now=timezone.now(),
    )


def test_a_complete_screening_without_findings_is_eligible_and_audited_with_its_values(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient)
    assert screening.status == Screening.Status.EVALUATED
    assert screening.outcome == "eligible"
    assert screening.ruleset_version
    assert screening.phq9_total == 9
    assert all(r["explanation"] and r["source"] for r in screening.result)
    event = AuditEvent.objects.get(action="screening.recorded")
    assert event.patient_public_id == patient.public_id
    assert event.changes["weight_kg"][1] in ("70.0", 70.0, "70")
    assert event.changes["outcome"] == [None, "eligible"]


def test_missing_baseline_data_makes_the_screening_incomplete(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient, weight_kg=None, phq9_answers=None)
    assert screening.outcome == "incomplete"
    assert "R-SCR-3.weight" in screening.explanation


def test_a_contraindication_is_a_hard_stop(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient, findings=frozenset({Finding.AVM}))
    assert screening.outcome == "not_eligible"
    fired = [r["rule_id"] for r in screening.fired_results]
    assert fired == ["R-SCR-1.avm"]


def test_only_nurses_and_prescribers_record_screenings(
    demo_user: Callable[[Role], User],
    patient: Patient,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    with pytest.raises(ScreeningRefusedError):
        record_screening(
            actor=Actor(user=demo_user(Role.THERAPIST), roles=frozenset({Role.THERAPIST})),
            patient=patient,
            answers=answers(),
            now=timezone.now(),
        )
    assert not written(Screening).exists()


def test_a_flag_needs_a_prescribers_override_with_a_reason_and_is_re_evaluated(
    demo_user: Callable[[Role], User],
    patient: Patient,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    screening = _record(demo_user(Role.NURSE), patient, findings=frozenset({Finding.GLAUCOMA}))
    assert screening.outcome == "needs_prescriber_review"
    assert screening.open_flags == ["R-SCR-2.glaucoma"]  # what an override may be given for
    prescriber = demo_user(Role.PRESCRIBER)
    with pytest.raises(ScreeningRefusedError, match="cannot be signed"):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            notes="",
            now=timezone.now(),
        )
    with pytest.raises(ScreeningRefusedError, match="at least 10"):
        override_flag(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            rule_id="R-SCR-2.glaucoma",
            reason="ok   ",
            now=timezone.now(),
        )
    with pytest.raises(ScreeningRefusedError, match="prescriber"):
        override_flag(
            actor=Actor(user=demo_user(Role.NURSE), roles=frozenset(NURSE)),
            screening=screening,
            rule_id="R-SCR-2.glaucoma",
            reason="Ophthalmology cleared the patient.",
            now=timezone.now(),
        )
    updated = override_flag(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=screening,
        rule_id="R-SCR-2.glaucoma",
        reason="Ophthalmology cleared the patient.",
        now=timezone.now(),
    )
    assert updated.outcome == "eligible_with_precautions"
    assert updated.open_flags == []
    assert written(FlagOverride).get().prescriber == prescriber
    event = AuditEvent.objects.get(action="screening.flag_overridden")
    assert event.changes["outcome"] == ["needs_prescriber_review", "eligible_with_precautions"]
    with pytest.raises(ScreeningRefusedError, match="not an open flag"):
        override_flag(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=updated,
            rule_id="R-SCR-2.glaucoma",
            reason="Ophthalmology cleared the patient.",
            now=timezone.now(),
        )


def test_a_hard_stop_cannot_be_overridden(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    screening = _record(demo_user(Role.NURSE), patient, findings=frozenset({Finding.AVM}))
    assert screening.open_flags == []  # a hard stop is no flag
    with pytest.raises(ScreeningRefusedError, match="not an open flag"):
        override_flag(
            actor=Actor(user=demo_user(Role.PRESCRIBER), roles=frozenset(PRESCRIBER)),
            screening=screening,
            rule_id="R-SCR-1.avm",
            reason="I would like to proceed anyway.",
            now=timezone.now(),
        )
    assert not FlagOverride.objects.filter(screening=screening).exists()


def test_only_a_prescriber_signs_and_an_incomplete_screening_is_refused(
    demo_user: Callable[[Role], User],
    patient: Patient,
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    incomplete = _record(nurse, patient, spo2_percent=None)
    with pytest.raises(ScreeningRefusedError, match="incomplete"):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=incomplete,
            notes="",
            now=timezone.now(),
        )
    complete = _record(nurse, patient)
    with pytest.raises(ScreeningRefusedError, match="prescriber"):
        sign_decision(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            screening=complete,
            notes="",
            now=timezone.now(),
        )
    assert not written(EligibilityDecision).exists()


def test_a_prescriber_of_another_clinic_cannot_sign(
    demo_user: Callable[[Role], User], clinics: list[Clinic]
) -> None:
    other_patient = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    prescriber = demo_user(Role.PRESCRIBER)
    # Working in the other clinic no longer: only the role in that clinic counts.
    StaffMembership.objects.filter(user=prescriber, clinic=clinics[1]).update(is_active=False)
    screening = _record(demo_user(Role.NURSE), other_patient)
    with pytest.raises(ScreeningRefusedError):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=screening,
            notes="",
            now=timezone.now(),
        )
    assert not EligibilityDecision.objects.filter(screening=screening).exists()


def test_signing_records_the_decision_and_rescreening_keeps_history(
    demo_user: Callable[[Role], User], patient: Patient
) -> None:
    nurse, prescriber = demo_user(Role.NURSE), demo_user(Role.PRESCRIBER)
    now = timezone.now()
    first = record_screening(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        answers=answers(findings=frozenset({Finding.AVM})),
        now=now - timedelta(days=30),
    )
    refused = sign_decision(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=first,
        notes="AVM",
        now=now - timedelta(days=29),
    )
    assert refused.outcome == "not_eligible"
    assert current_eligibility(patient, Family.RACEMIC_KETAMINE) == refused
    second = _record(nurse, patient)
    decision = sign_decision(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        screening=second,
        notes="",
        now=now,
    )
    assert decision.outcome == "eligible"
    assert current_eligibility(patient, Family.RACEMIC_KETAMINE) == decision
    assert current_eligibility(patient, Family.ESKETAMINE) is None
    assert [s.pk for s in list_screenings(patient)] == [second.pk, first.pk]
    assert AuditEvent.objects.filter(action="screening.decision_signed").count() == 2
    second.refresh_from_db()
    assert second.status == Screening.Status.SIGNED
    with pytest.raises(ScreeningRefusedError, match="signed"):
        sign_decision(
            actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
            screening=second,
            notes="",
            now=now,
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"weight_kg": 0},
        {"weight_kg": 700},
        {"systolic_mmhg": 400, "diastolic_mmhg": 20},
        {"systolic_mmhg": 80, "diastolic_mmhg": 90},
        {"systolic_mmhg": 120, "diastolic_mmhg": None},
        {"heart_rate_bpm": 10},
        {"spo2_percent": 101},
    ],
)
def test_the_database_rejects_impossible_values(
    demo_user: Callable[[Role], User], patient: Patient, changes: dict[str, object]
) -> None:
    screening = _record(demo_user(Role.NURSE), patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.filter(pk=screening.pk).update(**changes)
