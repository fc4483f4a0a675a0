"""Every refusal of the measurement plan services says why and writes nothing (issue 5,
issue 12.2's coverage gate): a plan naming an unknown instrument or an existing version,
enrolment in another clinic's plan, a retired plan or a merged record, ending an enrolment
twice, starting a questionnaire whose licensed wording is not loaded, and sending links for
no assignment."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kapclinic.accounts.actor import SYSTEM, Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.assignments.rules import PlanSpec, RuleSpec
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.models import (
    Assessment,
    Assignment,
    MeasurementPlan,
    Mode,
    PlanEnrolment,
    PlanTrigger,
)
from kapclinic.measurement.plans.services import (
    create_plan,
    end_enrolment,
    enrol,
    ensure_default_plan,
    send_links,
    start_assignment,
)
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
START = date(2026, 12, 1)
NOW = datetime(2026, 12, 2, 15, tzinfo=UTC)


def _actor(clinic: Clinic) -> Actor:
    return Actor.for_user(staff_of(clinic, Role.NURSE), clinic)


def _patient(clinic: Clinic) -> Patient:
    return Patient.objects.filter(clinic=clinic, merged_into=None).order_by("id")[0]


def _spec(*codes: str, version: int = 1) -> PlanSpec:
    rule = RuleSpec(
        trigger=PlanTrigger.ENROLMENT,
        instrument_codes=codes,
        mode=Mode.STAFF,
        opens_minutes_before=7 * 24 * 60,
        closes_minutes_after=24 * 60,
    )
    return PlanSpec(
        code="refusals",
        version=version,
        name="Refusals",
        description="",
        source="test",
        rules=(rule,),
    )


def test_a_plan_naming_an_unknown_instrument_or_an_existing_version_is_refused(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]
    before = MeasurementPlan.objects.count()
    with pytest.raises(PlanError, match="unknown instrument 'no-such-scale'"):
        create_plan(actor=_actor(clinic), clinic=clinic, spec=_spec("phq9", "no-such-scale"))
    assert MeasurementPlan.objects.count() == before
    create_plan(actor=_actor(clinic), clinic=clinic, spec=_spec("phq9"))
    with pytest.raises(PlanError, match="version 1 exists already"):
        create_plan(actor=_actor(clinic), clinic=clinic, spec=_spec("gad7"))
    assert MeasurementPlan.objects.count() == before + 1


def test_enrolment_is_refused_in_another_clinics_plan_a_retired_plan_or_a_merged_record(
    clinics: list[Clinic],
) -> None:
    home, other = clinics
    patient = _patient(home)
    actor = _actor(home)
    with pytest.raises(PlanError, match="another clinic"):
        enrol(actor=actor, patient=patient, plan=ensure_default_plan(clinic=other), starts_on=START)
    retired = create_plan(actor=actor, clinic=home, spec=_spec("phq9"))
    MeasurementPlan.objects.filter(pk=retired.pk).update(is_active=False)
    retired.refresh_from_db()
    with pytest.raises(PlanError, match="no longer offered"):
        enrol(actor=actor, patient=patient, plan=retired, starts_on=START)
    merged = Patient.objects.filter(clinic=home, merged_into=None).order_by("id")[1]
    Patient.objects.filter(pk=merged.pk).update(
        merged_into=patient, merged_at=NOW, merge_reason="Registered twice at the front desk."
    )
    merged.refresh_from_db()
    with pytest.raises(PlanError, match="merged into another"):
        enrol(actor=actor, patient=merged, plan=ensure_default_plan(clinic=home), starts_on=START)
    assert not PlanEnrolment.objects.filter(patient__in=[patient, merged]).exists()
    assert not Assignment.objects.filter(patient__in=[patient, merged]).exists()


def test_an_enrolment_ends_once(clinics: list[Clinic]) -> None:
    clinic = clinics[0]
    actor = _actor(clinic)
    enrolment = enrol(
        actor=actor,
        patient=_patient(clinic),
        plan=ensure_default_plan(clinic=clinic),
        starts_on=START,
    )
    end_enrolment(actor=actor, enrolment=enrolment, reason="The patient moved away.", now=NOW)
    events = AuditEvent.objects.count()
    with pytest.raises(PlanError, match="ended already"):
        end_enrolment(actor=actor, enrolment=enrolment, reason="The patient moved away.", now=NOW)
    assert AuditEvent.objects.count() == events


def test_a_questionnaire_without_its_licensed_wording_cannot_be_started(
    clinics: list[Clinic],
) -> None:
    clinic = clinics[0]
    actor = _actor(clinic)
    enrol(
        actor=actor,
        patient=_patient(clinic),
        plan=create_plan(actor=actor, clinic=clinic, spec=_spec("cssrs_screener")),
        starts_on=START,
    )
    assignment = Assignment.objects.get(patient=_patient(clinic), instrument_code="cssrs_screener")
    before = Assessment.objects.count()
    with pytest.raises(PlanError, match="licen"):
        start_assignment(actor=actor, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.assessment is None
    assert Assessment.objects.count() == before


def test_links_are_sent_for_the_assignments_of_one_patient_only() -> None:
    with pytest.raises(ValueError, match="one patient"):
        send_links(actor=SYSTEM, assignments=[], now=NOW, link_for=str)
