"""Questionnaire links e-mailed by the plan's schedule when they fall due: the deferred job,
the sweep and its command, and what is never sent automatically."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.assignments.rules import PlanSpec, RuleSpec
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import Assignment, Mode, Occasion, PlanEnrolment, PlanTrigger
from kapclinic.measurement.plans.links import send_due_links, send_link_if_due
from kapclinic.measurement.plans.services import (
    cancel_assignment,
    create_plan,
    enrol,
    ensure_default_plan,
    on_course_ended,
    on_session_scheduled,
    start_assignment,
)
from kapclinic.measurement.responses.services import complete_assessment, enter_in_error
from kapclinic.measurement.tests.helpers import answer_all
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
START = date(2026, 12, 1)
# The baseline window of the default plan: 7 days before the start date to 1 day after.
IN_BASELINE_WINDOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SESSION_AT = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
DEFERRING = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}


def _patients(clinic: Clinic, n: int) -> list[Patient]:
    found = list(Patient.objects.filter(clinic=clinic, merged_into=None).order_by("id")[:n])
    for i, patient in enumerate(found):
        Patient.objects.filter(pk=patient.pk).update(email=f"pat{i}.example@example.org")
        patient.refresh_from_db()
    return found


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return _patients(clinics[0], 1)[0]


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


def _enrol(patient: Patient, nurse: User, starts_on: date = START) -> PlanEnrolment:
    plan = ensure_default_plan(clinic=patient.clinic)
    return enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        plan=plan,
        starts_on=starts_on,
    )


def _baseline(patient: Patient) -> list[Assignment]:
    return list(
        Assignment.objects.filter(patient=patient, occasion=Occasion.BASELINE).order_by("id")
    )


def test_the_sweep_sends_each_due_link_once_by_the_schedule(
    patient: Patient, nurse: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _enrol(patient, nurse)
    with django_capture_on_commit_callbacks(execute=True):
        first = send_due_links(now=IN_BASELINE_WINDOW)
    again = send_due_links(now=IN_BASELINE_WINDOW + timedelta(minutes=5))

    assert (first.sent, first.without_email, again.sent) == (2, 0, 0)
    # Both baseline links in one message, each its own one-time link, nothing about the care.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert message.body.count("http://testserver/q/") == 2
    assert "2 short questionnaires" in message.body
    # Without the links' random tokens, which may spell a short name ("lee") by chance.
    text = re.sub(r"http://testserver/q/\S+", "", f"{message.subject} {message.body}").lower()
    for private in (patient.family_name, patient.given_name, patient.mrn, "phq", "gad"):
        assert private.lower() not in text
    for assignment in _baseline(patient):
        assert assignment.link_sent_at == IN_BASELINE_WINDOW
        assert assignment.link_sent_by is None
        assert assignment.assessment is not None
        assert assignment.assessment.mode == Mode.LINK
    events = AuditEvent.objects.filter(action="measurement.assignment_link_sent")
    assert [(e.actor_id, e.detail["automatic"]) for e in events] == [(None, True), (None, True)]


def test_the_sweep_sends_nothing_before_the_window_opens_or_after_it_closes(
    patient: Patient, nurse: User
) -> None:
    _enrol(patient, nurse)
    before = IN_BASELINE_WINDOW - timedelta(days=10)
    after = datetime(2026, 12, 3, tzinfo=UTC)  # overdue from 1 day after the start date
    assert send_due_links(now=before).sent == 0
    assert send_due_links(now=after).sent == 0
    assert not Assignment.objects.filter(link_sent_at__isnull=False).exists()


def test_staff_mode_started_cancelled_and_unreachable_ones_are_left_to_staff(
    clinics: list[Clinic], nurse: User
) -> None:
    started, cancelled, no_email, session = _patients(clinics[0], 4)
    for p in (started, cancelled, no_email, session):
        _enrol(p, nurse)
    start_assignment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=_baseline(started)[0]
    )
    for a in _baseline(cancelled):
        cancel_assignment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=a,
            reason="declined by phone",
            now=IN_BASELINE_WINDOW,
        )
    Patient.objects.filter(pk=no_email.pk).update(email="")
    on_session_scheduled(patient=session, session_ref=uuid4(), starts_at=SESSION_AT)

    result = send_due_links(now=IN_BASELINE_WINDOW)

    # started: its GAD-7 only; cancelled: nothing; no address: counted; session: its baseline.
    assert (result.sent, result.without_email) == (3, 2)
    sent = Assignment.objects.filter(link_sent_at__isnull=False)
    assert sorted((a.patient_id, a.instrument_code) for a in sent) == sorted(
        [(started.pk, "gad7"), (session.pk, "phq9"), (session.pk, "gad7")]
    )
    # An hour before the session: its PHQ-9/GAD-7 links go, the staff-given mood rating never.
    before_session = send_due_links(now=SESSION_AT - timedelta(hours=1))
    assert before_session.sent == 2
    mood = Assignment.objects.get(patient=session, instrument_code="mood_0_10", mode=Mode.STAFF)
    assert mood.link_sent_at is None


def test_without_a_base_url_nothing_is_sent_and_the_command_says_why(
    patient: Patient, nurse: User
) -> None:
    _enrol(patient, nurse)
    with override_settings(BASE_URL=""):
        assert not send_link_if_due(
            assignment_public_id=_baseline(patient)[0].public_id, now=IN_BASELINE_WINDOW
        )
        with pytest.raises(PlanError, match="KAPCLINIC_BASE_URL is not set"):
            send_due_links(now=IN_BASELINE_WINDOW)
        with pytest.raises(CommandError, match="KAPCLINIC_BASE_URL is not set"):
            call_command("sweep_measurement_plans")
    assert not Assignment.objects.filter(link_sent_at__isnull=False).exists()
    assert len(mail.outbox) == 0


def test_enrolling_sends_the_due_baseline_at_once_with_a_backend_that_runs_jobs_now(
    patient: Patient, nurse: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """The immediate backend runs the job on commit: what is due now goes now."""
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        _enrol(patient, nurse, starts_on=today + timedelta(days=3))
    assert [a.link_sent_at is not None for a in _baseline(patient)] == [True, True]
    assert len(mail.outbox) == 1  # the second job finds its link sent with the first


def test_a_deferring_backend_queues_each_link_for_its_due_time(
    patient: Patient, nurse: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with override_settings(TASKS=DEFERRING), django_capture_on_commit_callbacks(execute=True):
        enrolment = _enrol(patient, nurse)
        on_session_scheduled(patient=patient, session_ref=uuid4(), starts_at=SESSION_AT)
    jobs = DBTaskResult.objects.filter(task_path__endswith="send_link_when_due")
    queued = sorted((j.args_kwargs["kwargs"]["assignment_public_id"], j.run_after) for j in jobs)
    links = Assignment.objects.filter(enrolment=enrolment, mode=Mode.LINK)
    assert queued == sorted((str(a.public_id), a.due_at) for a in links)
    assert len(queued) == 4  # baseline PHQ-9, GAD-7; before the session PHQ-9, GAD-7
    assert len(mail.outbox) == 0  # nothing is sent before a worker runs the jobs


def test_the_command_reports_what_it_sent_and_what_needs_staff(
    clinics: list[Clinic], nurse: User, capsys: pytest.CaptureFixture[str]
) -> None:
    reachable, unreachable = _patients(clinics[0], 2)
    today = timezone.localdate()
    for p in (reachable, unreachable):
        _enrol(p, nurse, starts_on=today + timedelta(days=3))
    Patient.objects.filter(pk=unreachable.pk).update(email="")

    call_command("sweep_measurement_plans")

    out = capsys.readouterr().out
    assert "Sent 2 questionnaire link(s)." in out
    assert "2 due link(s) not sent: no e-mail address on file" in out


def test_one_refused_link_does_not_stop_the_sweep(
    patient: Patient, nurse: User, caplog: pytest.LogCaptureFixture
) -> None:
    """A plan may name an instrument whose licensed texts are not loaded (MADRS ships without
    them): its link is refused, logged by id, counted, and the others still go."""
    rules = (
        RuleSpec(
            trigger=PlanTrigger.ENROLMENT,
            instrument_codes=("madrs", "phq9"),
            mode=Mode.LINK,
            opens_minutes_before=7 * 24 * 60,
            closes_minutes_after=24 * 60,
        ),
    )
    spec = PlanSpec(
        code="licensed", version=1, name="Licensed", description="", source="test", rules=rules
    )
    plan = create_plan(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), clinic=patient.clinic, spec=spec
    )
    enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), patient=patient, plan=plan, starts_on=START
    )

    result = send_due_links(now=IN_BASELINE_WINDOW)

    assert (result.sent, result.refused) == (1, 1)
    madrs = Assignment.objects.get(patient=patient, instrument_code="madrs")
    assert (madrs.link_sent_at, madrs.assessment) == (None, None)
    assert str(madrs.public_id) in caplog.text
    assert patient.family_name not in caplog.text


def test_merged_records_and_ended_enrolments_get_no_link(
    clinics: list[Clinic], nurse: User
) -> None:
    merged, ended, survivor = _patients(clinics[0], 3)
    for p in (merged, ended):
        _enrol(p, nurse)
    Patient.objects.filter(pk=merged.pk).update(
        merged_into=survivor, merged_at=IN_BASELINE_WINDOW, merge_reason="duplicate record"
    )
    # Ended behind the service's back: the sweep must still check the enrolment itself.
    PlanEnrolment.objects.filter(patient=ended).update(
        status=PlanEnrolment.Status.ENDED, ended_at=IN_BASELINE_WINDOW, end_reason="moved away"
    )

    assert send_due_links(now=IN_BASELINE_WINDOW).sent == 0


def test_answering_and_withdrawing_queue_the_links_they_make_due(
    patient: Patient, nurse: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """The responses layer changes assignments too (ADR 0007): the next follow-up that answering
    schedules, and the assignment a withdrawn response opens again, are queued for their due
    time like those the plan's hooks create."""

    def queued(assignment: Assignment) -> list[datetime]:
        jobs = DBTaskResult.objects.filter(task_path__endswith="send_link_when_due")
        key = str(assignment.public_id)
        return [j.run_after for j in jobs if j.args_kwargs["kwargs"]["assignment_public_id"] == key]

    ended_at = SESSION_AT + timedelta(hours=2)
    with override_settings(TASKS=DEFERRING), django_capture_on_commit_callbacks(execute=True):
        _enrol(patient, nurse)
        on_course_ended(patient=patient, ended_at=ended_at)
    first = Assignment.objects.get(
        patient=patient, occasion=Occasion.FOLLOW_UP, sequence=1, instrument_code="phq9"
    )
    assert queued(first) == [first.due_at]

    answered_at = ended_at + timedelta(days=29)
    with override_settings(TASKS=DEFERRING), django_capture_on_commit_callbacks(execute=True):
        assessment = start_assignment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=first
        )
        complete_assessment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assessment=assessment,
            answers=answer_all(get_instrument("phq9"), highest=False),
            now=answered_at,
        )
    second = list(Assignment.objects.filter(patient=patient, sequence=2).order_by("id"))
    assert [a.instrument_code for a in second] == ["phq9", "gad7"]
    assert [queued(a) for a in second] == [[a.due_at] for a in second]

    with override_settings(TASKS=DEFERRING), django_capture_on_commit_callbacks(execute=True):
        enter_in_error(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assessment=assessment,
            reason="the wrong patient",
        )
    first.refresh_from_db()
    assert first.status == Assignment.Status.OPEN
    assert queued(first) == [first.due_at, first.due_at]  # queued again, for its due time
    assert len(mail.outbox) == 0  # nothing is sent before a worker runs the jobs


def test_a_response_entered_in_error_has_its_link_sent_again(
    patient: Patient, nurse: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _enrol(patient, nurse)
    assert send_due_links(now=IN_BASELINE_WINDOW).sent == 2
    phq9 = Assignment.objects.get(patient=patient, instrument_code="phq9")
    assert phq9.assessment is not None
    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=phq9.assessment,
        reason="sent to an old address",
    )

    later = IN_BASELINE_WINDOW + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_links(now=later).sent == 1
    phq9.refresh_from_db()
    assert phq9.link_sent_at == later
    assert len(mail.outbox) == 1
