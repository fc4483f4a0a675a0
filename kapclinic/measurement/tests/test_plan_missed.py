"""Questionnaires nobody answered are closed as missed by the plan sweep, after the clinic's
number of days overdue; a missed monthly follow-up schedules the next one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assignment, Occasion, PlanEnrolment
from kapclinic.measurement.plan_missed import close_missed
from kapclinic.measurement.plan_selectors import count_due
from kapclinic.measurement.plans import (
    enrol,
    ensure_default_plan,
    on_course_ended,
    start_assignment,
)
from kapclinic.measurement.services import enter_in_error
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
START = date(2026, 12, 1)


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by("id")[0]


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def enrolment(patient: Patient, nurse: User) -> PlanEnrolment:
    plan = ensure_default_plan(clinic=patient.clinic)
    return enrol(actor=nurse, roles=NURSE, patient=patient, plan=plan, starts_on=START)


def _baseline(patient: Patient) -> list[Assignment]:
    return list(Assignment.objects.filter(patient=patient, occasion=Occasion.BASELINE))


def test_unanswered_questionnaires_are_missed_after_the_clinics_days(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    overdue_at = _baseline(patient)[0].overdue_at
    days = patient.clinic.questionnaire_missed_after_days
    assert days == 7  # the default

    assert close_missed(now=overdue_at + timedelta(days=days) - timedelta(minutes=1)) == 0
    assert count_due(patient.clinic, overdue_at + timedelta(days=1)).overdue == 2
    missed_at = overdue_at + timedelta(days=days)
    assert close_missed(now=missed_at) == 2
    assert close_missed(now=missed_at + timedelta(hours=1)) == 0  # idempotent

    for assignment in _baseline(patient):
        assert (assignment.status, assignment.missed_at) == (Assignment.Status.MISSED, missed_at)
    assert count_due(patient.clinic, missed_at).total == 0  # off the worklist
    events = AuditEvent.objects.filter(action="measurement.assignment_missed")
    assert [(e.actor_id, e.detail["after_days"]) for e in events] == [(None, 7), (None, 7)]


def test_a_clinic_sets_its_own_number_of_days(
    enrolment: PlanEnrolment, patient: Patient, clinics: list[Clinic]
) -> None:
    Clinic.objects.filter(pk=patient.clinic_id).update(questionnaire_missed_after_days=2)
    overdue_at = _baseline(patient)[0].overdue_at
    assert close_missed(now=overdue_at + timedelta(days=2)) == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=clinics[1].pk).update(questionnaire_missed_after_days=0)


def test_a_missed_follow_up_schedules_the_next(enrolment: PlanEnrolment, patient: Patient) -> None:
    ended = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)
    on_course_ended(patient=patient, ended_at=ended)
    first = Assignment.objects.filter(occasion=Occasion.FOLLOW_UP, sequence=1)
    assert first.count() == 2
    later = max(a.overdue_at for a in first) + timedelta(days=7)

    close_missed(now=later)

    assert {a.status for a in first.all()} == {Assignment.Status.MISSED}
    second = Assignment.objects.filter(occasion=Occasion.FOLLOW_UP, sequence=2)
    assert {a.instrument_code for a in second} == {"phq9", "gad7"}
    assert {a.status for a in second} == {Assignment.Status.OPEN}


def test_a_missed_one_stays_missed_when_its_abandoned_response_is_withdrawn(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    phq9 = next(a for a in _baseline(patient) if a.instrument_code == "phq9")
    abandoned = start_assignment(actor=nurse, roles=NURSE, assignment=phq9)
    close_missed(now=phq9.overdue_at + timedelta(days=7))
    enter_in_error(actor=nurse, roles=NURSE, assessment=abandoned, reason="never finished it")
    phq9.refresh_from_db()
    assert phq9.status == Assignment.Status.MISSED


def test_the_sweep_command_reports_what_it_closed(
    patient: Patient, nurse: User, capsys: pytest.CaptureFixture[str]
) -> None:
    """Enrolled for a course that started a month ago: its baseline turned overdue long since."""
    plan = ensure_default_plan(clinic=patient.clinic)
    month_ago = timezone.localdate() - timedelta(days=30)
    enrol(actor=nurse, roles=NURSE, patient=patient, plan=plan, starts_on=month_ago)
    call_command("sweep_measurement_plans")
    assert "Closed 2 questionnaire(s) as missed." in capsys.readouterr().out
