from __future__ import annotations

import contextlib
from dataclasses import fields
from datetime import date, datetime, time, timedelta

import pytest
from django.db import transaction

from kapclinic.accounts.models import Role, StaffMembership
from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.consent.readiness import ELIGIBILITY_FAMILY, can_start_dosing
from kapclinic.demo.generator import GenerationResult, generate_clinic
from kapclinic.demo.stages import KEPT_UNSCREENED_PER_CLINIC
from kapclinic.patients.models import Patient, PregnancyPotential
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.referrals.models import Referral
from kapclinic.referrals.prescreen import QUESTIONS
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening
from kapclinic.screening.rules import Family, Severity
from kapclinic.screening.rulesets import get_ruleset

# The screening service's own evaluation and storage, to compare generated screenings with.
from kapclinic.screening.services import (
    _evaluate,
    _store_result,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)  # the root conftest's DEMO_TODAY
RACEMIC = TreatmentType.RACEMIC_KETAMINE_OFF_LABEL


class _Rollback(Exception):  # noqa: N818 - control flow of the helper below, never raised out
    pass


def _stages_fingerprint(seed: int) -> list[tuple[object, ...]]:
    taken: list[tuple[object, ...]] = []
    with contextlib.suppress(_Rollback), transaction.atomic():
        generate_clinic(patients=120, seed=seed, today=TODAY)
        taken = [
            *Referral.objects.order_by("public_id").values_list(
                "public_id", "status", "source", "patient__public_id", "created_at"
            ),
            *Screening.objects.order_by("public_id").values_list(
                "public_id", "patient__public_id", "family", "outcome", "status", "recorded_at"
            ),
            *FlagOverride.objects.order_by("public_id").values_list("public_id", "rule_id", "at"),
            *EligibilityDecision.objects.order_by("public_id").values_list(
                "public_id", "outcome", "signed_by__email", "signed_at"
            ),
            *ConsentRecord.objects.order_by("public_id").values_list(
                "public_id", "document__treatment_type", "countersigned_at", "withdrawn_at"
            ),
            *Patient.objects.order_by("public_id").values_list(
                "public_id", "created_at", "pregnancy_potential"
            ),
        ]
        raise _Rollback
    return taken


def test_the_stages_are_deterministic_for_a_seed() -> None:
    first = _stages_fingerprint(5)
    assert first
    assert _stages_fingerprint(5) == first
    assert _stages_fingerprint(6) != first


def test_the_demo_shows_every_stage(demo: GenerationResult) -> None:
    counts = demo.stages
    for field in fields(counts):
        assert getattr(counts, field.name) > 0, field.name
    assert Referral.objects.filter(patient__isnull=True).count() == counts.referrals_open
    assert Referral.objects.filter(status=Referral.Status.REGISTERED).count() == (
        counts.referrals_registered
    )
    assert Screening.objects.count() == counts.screenings
    assert EligibilityDecision.objects.count() == counts.decisions
    assert FlagOverride.objects.count() == counts.flag_overrides
    assert ConsentRecord.objects.count() == (
        counts.consents_valid
        + counts.consents_awaiting_countersignature
        + counts.consents_withdrawn
    )
    statuses = set(Referral.objects.filter(patient__isnull=True).values_list("status", flat=True))
    assert statuses <= {Referral.Status.NEW, Referral.Status.CONTACTED, Referral.Status.DECLINED}


def test_each_clinics_first_patients_are_registered_and_not_yet_screened(
    demo: GenerationResult,
) -> None:
    # Tests across the repo take a clinic's first patient and record its first screening.
    for clinic_id in Patient.objects.values_list("clinic_id", flat=True).distinct():
        first = Patient.objects.filter(clinic_id=clinic_id).order_by("id")[
            :KEPT_UNSCREENED_PER_CLINIC
        ]
        for patient in first:
            assert not patient.screenings.exists()
            assert not patient.consent_records.exists()
            assert not patient.referrals.exists()
            assert patient.pregnancy_potential == PregnancyPotential.UNKNOWN


def test_stored_results_are_exactly_what_the_screening_service_computes() -> None:
    generate_clinic(patients=400, seed=3, today=TODAY)
    screenings = Screening.objects.select_related("patient", "clinic").prefetch_related("overrides")
    assert screenings.count() > 150
    for screening in screenings:
        expected = Screening(
            patient=screening.patient, clinic=screening.clinic, family=screening.family
        )
        _store_result(expected, _evaluate(screening))
        assert (screening.outcome, screening.explanation, screening.result) == (
            expected.outcome,
            expected.explanation,
            expected.result,
        ), screening.public_id
        assert screening.ruleset_version == get_ruleset(Family(screening.family), "1").version


def test_screening_facts_follow_the_patient() -> None:
    generate_clinic(patients=400, seed=3, today=TODAY)
    for screening in Screening.objects.select_related("patient", "clinic"):
        patient = screening.patient
        day = screening.recorded_at.astimezone(screening.clinic.tzinfo).date()
        assert screening.age_years == patient.age_on(day)
        assert screening.weight_kg == latest_weight_kg(patient)
        if patient.pregnancy_potential == PregnancyPotential.NO:
            assert screening.pregnancy_status == "not_applicable"
        else:
            assert patient.pregnancy_potential == PregnancyPotential.YES
            assert screening.pregnancy_status != "not_applicable"
        classes = set(patient.medications.values_list("interaction_class", flat=True))
        expected = {"hypnotic": "non_benzodiazepine_hypnotic"}
        assert set(screening.medication_classes) == {
            expected.get(c, c) for c in classes if c not in ("", "lamotrigine")
        }


def test_not_eligible_patients_show_their_hard_stop_and_are_never_consented() -> None:
    generate_clinic(patients=400, seed=3, today=TODAY)
    refused = Screening.objects.filter(outcome="not_eligible")
    assert refused.exists()
    for screening in refused:
        assert any(
            r["status"] == "fired" and r["severity"] == Severity.HARD_STOP for r in screening.result
        )
        assert not screening.patient.consent_records.exists()


def _in_hours(moment: datetime, clinic_tz: object) -> bool:
    local = moment.astimezone(clinic_tz)  # type: ignore[arg-type]
    return local.weekday() < 5 and time(8, 30) <= local.time() <= time(17, 30)


def test_timestamps_are_past_in_clinic_hours_and_in_order() -> None:
    generate_clinic(patients=400, seed=3, today=TODAY)
    start_of_today = datetime.combine(TODAY, time(0)).astimezone()
    for screening in Screening.objects.select_related("patient", "clinic"):
        tz = screening.clinic.tzinfo
        registered = screening.patient.created_at
        assert _in_hours(registered, tz)
        assert _in_hours(screening.recorded_at, tz)
        assert registered <= screening.recorded_at < start_of_today + timedelta(days=1)
        assert screening.recorded_at.astimezone(tz).date() < TODAY
        previous = screening.recorded_at
        for override in screening.overrides.all():
            assert previous < override.at
            assert _in_hours(override.at, tz)
        decision = EligibilityDecision.objects.filter(screening=screening).first()
        if decision is None:
            continue
        assert max([previous, *(o.at for o in screening.overrides.all())]) < decision.signed_at
        assert _in_hours(decision.signed_at, tz)
        for record in screening.patient.consent_records.all():
            assert decision.signed_at < record.patient_signed_at
            assert record.document.published_at < record.patient_signed_at
            assert record.patient_signed_at.astimezone(tz).date() < TODAY
            assert _in_hours(record.patient_signed_at, tz)
            if record.countersigned_at is not None:
                assert record.patient_signed_at < record.countersigned_at
                assert _in_hours(record.countersigned_at, tz)
            if record.withdrawn_at is not None:
                assert record.countersigned_at is not None
                assert record.countersigned_at < record.withdrawn_at
                assert _in_hours(record.withdrawn_at, tz)
                assert record.withdrawn_at.astimezone(tz).date() < TODAY
                assert record.withdrawn_reason
    from_referrals = Referral.objects.filter(patient__isnull=False)
    for referral in from_referrals.select_related("patient", "clinic"):
        assert referral.patient is not None
        assert referral.created_at < referral.patient.created_at
        assert _in_hours(referral.created_at, referral.clinic.tzinfo)
    for referral in Referral.objects.select_related("clinic"):
        assert referral.created_at <= referral.updated_at
        assert referral.updated_at.astimezone(referral.clinic.tzinfo).date() < TODAY
        if referral.prescreen_answers is not None:
            assert set(referral.prescreen_answers) == {q.key for q in QUESTIONS}


def test_consent_matches_the_screening_family_and_is_signed_by_clinic_staff() -> None:
    generate_clinic(patients=400, seed=3, today=TODAY)
    for record in ConsentRecord.objects.select_related("patient", "document"):
        family = ELIGIBILITY_FAMILY[TreatmentType(record.document.treatment_type)]
        decision = EligibilityDecision.objects.get(screening__patient=record.patient)
        assert decision.screening.family == family
        assert decision.outcome in ("eligible", "eligible_with_precautions")
        assert record.document.clinic_id == record.patient.clinic_id
        assert record.patient_typed_name == record.patient.full_name
    for decision in EligibilityDecision.objects.select_related("screening"):
        assert StaffMembership.objects.filter(
            user=decision.signed_by, clinic=decision.screening.clinic, role=Role.PRESCRIBER
        ).exists()


def test_some_generated_patients_may_start_racemic_ketamine_and_others_may_not(
    demo: GenerationResult,
) -> None:
    now = datetime.combine(TODAY, time(12)).astimezone()
    ready, not_ready = 0, 0
    for patient in Patient.objects.all():
        if can_start_dosing(patient, RACEMIC, now=now).ready:
            ready += 1
            assert patient.consent_records.filter(
                document__treatment_type=RACEMIC,
                countersigned_at__isnull=False,
                withdrawn_at__isnull=True,
            ).exists()
        else:
            not_ready += 1
    assert ready > 0
    assert not_ready > 0
