"""Questionnaires nobody answered are closed as missed by the plan sweep, after the clinic's
number of days overdue; a missed monthly follow-up schedules the next one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assignment, Occasion, PlanEnrolment
from kapclinic.measurement.plans.missed import close_missed
from kapclinic.measurement.plans.selectors import count_due
from kapclinic.measurement.plans.services import (
    enrol,
    ensure_default_plan,
    on_course_ended,
    send_link,
    start_assignment,
)
from kapclinic.measurement.responses.services import LINK_LIFETIME, enter_in_error
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
START = date(2026, 12, 1)
ENROLLED_AT = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by("id")[0]


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def enrolment(patient: Patient, nurse: User) -> PlanEnrolment:
    """Enrolled on 28 November for a course starting on 1 December (rows written then)."""
    plan = ensure_default_plan(clinic=patient.clinic)
    with time_machine.travel(ENROLLED_AT, tick=False):
        return enrol(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            plan=plan,
            starts_on=START,
        )


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
    with time_machine.travel(ended, tick=False):
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
    with time_machine.travel(ENROLLED_AT, tick=False):
        abandoned = start_assignment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=phq9
        )
    assert close_missed(now=phq9.overdue_at + timedelta(days=7)) == 2
    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=abandoned,
        reason="never finished it",
    )
    phq9.refresh_from_db()
    assert phq9.status == Assignment.Status.MISSED


def test_the_sweep_command_reports_what_it_closed(
    patient: Patient, nurse: User, capsys: pytest.CaptureFixture[str]
) -> None:
    """Enrolled for a course that started a month ago: its baseline turned overdue long since."""
    plan = ensure_default_plan(clinic=patient.clinic)
    month_ago = timezone.now() - timedelta(days=30)
    with time_machine.travel(month_ago, tick=False):
        enrol(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            plan=plan,
            starts_on=month_ago.date(),
        )
    call_command("sweep_measurement_plans")
    assert "Closed 2 questionnaire(s) as missed." in capsys.readouterr().out


def test_a_link_that_still_works_or_a_recent_change_postpones_missed(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    phq9, gad7 = (
        next(a for a in _baseline(patient) if a.instrument_code == code)
        for code in ("phq9", "gad7")
    )
    usual = phq9.overdue_at + timedelta(days=7)
    Patient.objects.filter(pk=patient.pk).update(email="pat.example@example.org")
    # A nurse sends the PHQ-9 link a day before it would be missed: it works for 72 hours.
    sent_at = usual - timedelta(days=1)
    with time_machine.travel(sent_at, tick=False):
        send_link(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=phq9,
            now=sent_at,
            link_for=lambda token: f"https://kap.example.org/q/{token}/",
        )

    assert close_missed(now=usual) == 1  # the GAD-7 only
    gad7.refresh_from_db()
    assert gad7.status == Assignment.Status.MISSED
    # Sending it was a change: the clinic's days count again from then.
    assert close_missed(now=sent_at + timedelta(days=7) - timedelta(minutes=1)) == 0
    assert close_missed(now=sent_at + timedelta(days=7)) == 1


def test_a_sent_link_is_never_missed_while_it_still_works(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    """With a clinic's shortest setting (1 day), the 72-hour link outlasts it."""
    Clinic.objects.filter(pk=patient.clinic_id).update(questionnaire_missed_after_days=1)
    Patient.objects.filter(pk=patient.pk).update(email="pat.example@example.org")
    phq9 = next(a for a in _baseline(patient) if a.instrument_code == "phq9")
    sent_at = phq9.overdue_at + timedelta(hours=1)
    with time_machine.travel(sent_at, tick=False):
        send_link(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=phq9,
            now=sent_at,
            link_for=lambda token: f"https://kap.example.org/q/{token}/",
        )
    assert close_missed(now=sent_at + timedelta(days=2)) == 1  # the GAD-7, not the PHQ-9
    assert close_missed(now=sent_at + LINK_LIFETIME - timedelta(minutes=1)) == 0
    assert close_missed(now=sent_at + LINK_LIFETIME) == 1  # the link no longer works


def test_merged_records_and_ended_enrolments_are_not_swept(
    clinics: list[Clinic], nurse: User
) -> None:
    merged, ended, survivor = Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by(
        "id"
    )[:3]
    plan = ensure_default_plan(clinic=clinics[0])
    with time_machine.travel(ENROLLED_AT, tick=False):
        for p in (merged, ended):
            enrol(
                actor=Actor(user=nurse, roles=frozenset(NURSE)),
                patient=p,
                plan=plan,
                starts_on=START,
            )
    Patient.objects.filter(pk=merged.pk).update(
        merged_into=survivor, merged_at=ENROLLED_AT, merge_reason="duplicate record"
    )
    PlanEnrolment.objects.filter(patient=ended).update(
        status=PlanEnrolment.Status.ENDED, ended_at=ENROLLED_AT, end_reason="moved away"
    )
    assert close_missed(now=datetime(2027, 1, 31, tzinfo=UTC)) == 0
