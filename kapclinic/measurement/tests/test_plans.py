"""Measurement plans: the default plan, enrolment, the session and course hooks (idempotent),
due/overdue at given times, completion, links by e-mail, cancelling and the follow-up chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core import mail

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN, assignment_state
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.models import (
    Assessment,
    AssessmentLink,
    Assignment,
    MeasurementPlan,
    Mode,
    Occasion,
    PlanEnrolment,
)
from kapclinic.measurement.plans.services import (
    cancel_assignment,
    end_enrolment,
    enrol,
    ensure_default_plan,
    on_course_ended,
    on_session_cancelled,
    on_session_ended,
    on_session_scheduled,
    send_link,
    start_assignment,
)
from kapclinic.measurement.responses.services import (
    amend_assessment,
    complete_assessment,
    enter_in_error,
    hash_token,
)
from kapclinic.measurement.tests.helpers import answer_all
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
START = date(2026, 12, 1)
SESSION_AT = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
ENDED_AT = SESSION_AT + timedelta(hours=2)
State = Assignment.State


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    found = Patient.objects.filter(clinic=clinics[0], merged_into=None).order_by("id")[0]
    Patient.objects.filter(pk=found.pk).update(email="pat.example@example.org")
    found.refresh_from_db()
    return found


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def enrolment(patient: Patient, nurse: User) -> PlanEnrolment:
    plan = ensure_default_plan(clinic=patient.clinic)
    return enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), patient=patient, plan=plan, starts_on=START
    )


def _open(patient: Patient) -> list[tuple[str, str, str]]:
    return [
        (a.occasion, a.instrument_code, a.mode)
        for a in Assignment.objects.filter(patient=patient).order_by("due_at", "id")
    ]


def _link(token: str) -> str:
    return f"https://clinic.example.org/q/{token}/"


def test_the_default_plan_is_copied_once_per_clinic_with_every_rule(clinics: list[Clinic]) -> None:
    plan = ensure_default_plan(clinic=clinics[0])
    assert ensure_default_plan(clinic=clinics[0]) == plan
    assert (plan.code, plan.version) == ("default", 1)
    assert plan.rules.count() == len(DEFAULT_PLAN.rules)
    assert ensure_default_plan(clinic=clinics[1]) != plan
    assert AuditEvent.objects.filter(action="measurement.plan_created").count() == 2


def test_enrolment_assigns_phq9_and_gad7_at_baseline(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    """R-OUT-9: PHQ-9 and GAD-7 at baseline (the default schedule)."""
    assert _open(patient) == [
        (Occasion.BASELINE, "phq9", Mode.LINK),
        (Occasion.BASELINE, "gad7", Mode.LINK),
    ]
    baseline = Assignment.objects.filter(patient=patient).first()
    assert baseline is not None
    midnight = datetime(2026, 12, 1, tzinfo=patient.clinic.tzinfo)
    assert baseline.anchor_at == midnight
    assert baseline.due_at == midnight - timedelta(days=7)
    assert baseline.overdue_at == midnight + timedelta(days=1)
    assert AuditEvent.objects.filter(action="measurement.enrolled").count() == 1


def test_a_second_enrolment_or_another_clinics_plan_is_refused(
    enrolment: PlanEnrolment, patient: Patient, nurse: User, clinics: list[Clinic]
) -> None:
    with pytest.raises(PlanError, match="already enrolled"):
        enrol(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            plan=enrolment.plan,
            starts_on=START,
        )
    other = ensure_default_plan(clinic=clinics[1])
    with pytest.raises(PlanError, match="another clinic"):
        enrol(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            plan=other,
            starts_on=START,
        )
    assert PlanEnrolment.objects.count() == 1


def test_a_session_gets_its_questionnaires_before_after_and_a_day_later(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    session = uuid4()
    before = on_session_scheduled(patient=patient, session_ref=session, starts_at=SESSION_AT)
    assert [(a.occasion, a.instrument_code, a.mode) for a in before] == [
        (Occasion.PRE_SESSION, "phq9", Mode.LINK),
        (Occasion.PRE_SESSION, "gad7", Mode.LINK),
        (Occasion.PRE_SESSION, "mood_0_10", Mode.STAFF),
    ]
    assert all(a.session_ref == session and a.overdue_at == SESSION_AT for a in before)
    assert before[0].due_at == SESSION_AT - timedelta(days=3)
    assert before[2].due_at == SESSION_AT - timedelta(hours=2)

    after = on_session_ended(patient=patient, session_ref=session, ended_at=ENDED_AT)
    assert [(a.occasion, a.instrument_code, a.anchor_at) for a in after] == [
        (Occasion.POST_SESSION, "mood_0_10", ENDED_AT),
        (Occasion.DAY_AFTER, "mood_0_10", ENDED_AT + timedelta(hours=24)),
    ]
    assert after[0].overdue_at == ENDED_AT + timedelta(hours=2)
    assert after[1].mode == Mode.LINK


def test_the_hooks_are_idempotent_per_session_and_a_new_start_moves_open_ones(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    session = uuid4()
    assert len(on_session_scheduled(patient=patient, session_ref=session, starts_at=SESSION_AT))
    assert on_session_scheduled(patient=patient, session_ref=session, starts_at=SESSION_AT) == []
    assert len(on_session_ended(patient=patient, session_ref=session, ended_at=ENDED_AT)) == 2
    assert on_session_ended(patient=patient, session_ref=session, ended_at=ENDED_AT) == []
    count = Assignment.objects.count()

    later = SESSION_AT + timedelta(days=1)
    assert on_session_scheduled(patient=patient, session_ref=session, starts_at=later) == []
    assert Assignment.objects.count() == count
    pre = Assignment.objects.filter(session_ref=session, occasion=Occasion.PRE_SESSION)
    assert {a.overdue_at for a in pre} == {later}

    other = uuid4()
    assert len(on_session_scheduled(patient=patient, session_ref=other, starts_at=later)) == 3


def test_hooks_for_a_patient_without_a_plan_assign_nothing(patient: Patient) -> None:
    assert on_session_scheduled(patient=patient, session_ref=uuid4(), starts_at=SESSION_AT) == []
    assert on_session_ended(patient=patient, session_ref=uuid4(), ended_at=ENDED_AT) == []
    assert on_course_ended(patient=patient, ended_at=ENDED_AT) == []
    assert not Assignment.objects.exists()


def test_a_cancelled_session_cancels_its_unstarted_questionnaires(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    session = uuid4()
    on_session_scheduled(patient=patient, session_ref=session, starts_at=SESSION_AT)
    assert on_session_cancelled(patient=patient, session_ref=session, now=SESSION_AT) == 3
    states = set(Assignment.objects.filter(session_ref=session).values_list("status", flat=True))
    assert states == {Assignment.Status.CANCELLED}


def test_course_end_assigns_end_of_course_and_the_first_monthly_follow_up(
    enrolment: PlanEnrolment, patient: Patient
) -> None:
    """R-OUT-9: end of induction, then at least monthly."""
    created = on_course_ended(patient=patient, ended_at=ENDED_AT)
    assert [(a.occasion, a.instrument_code, a.sequence) for a in created] == [
        (Occasion.END_OF_COURSE, "phq9", 0),
        (Occasion.END_OF_COURSE, "gad7", 0),
        (Occasion.FOLLOW_UP, "phq9", 1),
        (Occasion.FOLLOW_UP, "gad7", 1),
    ]
    assert created[2].anchor_at == ENDED_AT + timedelta(days=30)
    enrolment.refresh_from_db()
    assert enrolment.status == PlanEnrolment.Status.FOLLOW_UP
    assert on_course_ended(patient=patient, ended_at=ENDED_AT) == []


def test_due_and_overdue_follow_from_the_time_asked() -> None:
    due = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    overdue = due + timedelta(hours=4)
    status = Assignment.Status.OPEN

    def at(moment: datetime) -> Assignment.State:
        return assignment_state(status=status, due_at=due, overdue_at=overdue, now=moment)

    assert at(due - timedelta(microseconds=1)) == State.SCHEDULED
    assert at(due) == State.DUE
    assert at(overdue - timedelta(microseconds=1)) == State.DUE
    assert at(overdue) == State.OVERDUE
    done = assignment_state(status="completed", due_at=due, overdue_at=overdue, now=overdue)
    assert done == State.COMPLETED


def _complete(nurse: User, assessment: Assessment, now: datetime) -> None:
    definition = get_instrument(assessment.instrument_code)
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=assessment,
        answers=answer_all(definition, highest=False),
        now=now,
    )


def test_completing_the_started_response_completes_the_assignment(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    session = uuid4()
    on_session_scheduled(patient=patient, session_ref=session, starts_at=SESSION_AT)
    mood = Assignment.objects.get(session_ref=session, instrument_code="mood_0_10")
    assessment = start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=mood)
    assert (assessment.occasion, assessment.session_ref) == (Occasion.PRE_SESSION, session)
    assert assessment.mode == Mode.STAFF
    # Starting again opens the same response.
    assert (
        start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=mood)
        == assessment
    )
    _complete(nurse, assessment, SESSION_AT - timedelta(minutes=30))
    mood.refresh_from_db()
    assert mood.status == Assignment.Status.COMPLETED
    assert mood.completed_at == SESSION_AT - timedelta(minutes=30)
    assert AuditEvent.objects.filter(action="measurement.assignment_completed").count() == 1
    with pytest.raises(PlanError, match="completed already"):
        start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=mood)


def test_answering_the_latest_follow_up_schedules_the_next_one(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    on_course_ended(patient=patient, ended_at=ENDED_AT)
    first = Assignment.objects.get(instrument_code="phq9", sequence=1)
    answered_at = ENDED_AT + timedelta(days=29)
    _complete(
        nurse,
        start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=first),
        answered_at,
    )
    second = Assignment.objects.filter(occasion=Occasion.FOLLOW_UP, sequence=2)
    assert {a.instrument_code for a in second} == {"phq9", "gad7"}
    assert {a.anchor_at for a in second} == {ENDED_AT + timedelta(days=60)}
    # Answering the GAD-7 of the first follow-up adds nothing more.
    gad7 = Assignment.objects.get(instrument_code="gad7", sequence=1)
    _complete(
        nurse,
        start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=gad7),
        answered_at,
    )
    assert Assignment.objects.filter(occasion=Occasion.FOLLOW_UP).count() == 4


def test_cancelling_a_long_overdue_follow_up_skips_to_the_next_open_month(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    on_course_ended(patient=patient, ended_at=ENDED_AT)
    now = ENDED_AT + timedelta(days=100)
    for sequence_one in Assignment.objects.filter(occasion=Occasion.FOLLOW_UP):
        cancel_assignment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=sequence_one,
            reason="No answer after three reminders.",
            now=now,
        )
    # Month 2 closed on day 67 and month 3 on day 97: the next one is month 4 (day 120).
    following = Assignment.objects.filter(status=Assignment.Status.OPEN, occasion="follow_up")
    assert {(a.sequence, a.anchor_at) for a in following} == {(4, ENDED_AT + timedelta(days=120))}


def test_a_short_or_invisible_cancel_reason_is_refused(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    baseline = Assignment.objects.filter(patient=patient).first()
    assert baseline is not None
    for reason in ("short", "\u202e" * 20, "   "):
        with pytest.raises(PlanError, match="at least 10"):
            cancel_assignment(
                actor=Actor(user=nurse, roles=frozenset(NURSE)),
                assignment=baseline,
                reason=reason,
                now=SESSION_AT,
            )
    baseline.refresh_from_db()
    assert baseline.status == Assignment.Status.OPEN


def test_send_link_emails_the_link_and_the_clinic_name_only(
    enrolment: PlanEnrolment,
    patient: Patient,
    nurse: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    baseline = Assignment.objects.filter(patient=patient, instrument_code="phq9").get()
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return _link(token)

    with django_capture_on_commit_callbacks(execute=True):
        send_link(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=baseline,
            now=now,
            link_for=link_for,
        )
    baseline.refresh_from_db()
    assert baseline.link_sent_at == now
    assert baseline.assessment is not None
    assert baseline.assessment.mode == Mode.LINK
    assert baseline.assessment.occasion == Occasion.BASELINE
    link = AssessmentLink.objects.get(assessment=baseline.assessment)
    assert link.token_hash == hash_token(tokens[0])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat.example@example.org"]
    assert _link(tokens[0]) in message.body
    assert patient.clinic.name in message.body
    assert "a short questionnaire" in message.body
    # Without the link's random token, which may spell a short name ("lee") by chance.
    text = f"{message.subject} {message.body}".replace(_link(tokens[0]), "").lower()
    for private in (patient.family_name, patient.given_name, patient.mrn, "phq", "depress"):
        assert private.lower() not in text
    event = AuditEvent.objects.get(action="measurement.assignment_link_sent")
    assert tokens[0] not in str(event.detail)


def test_send_link_is_refused_without_an_email_address(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    Patient.objects.filter(pk=patient.pk).update(email="")
    baseline = Assignment.objects.filter(patient=patient).first()
    assert baseline is not None
    with pytest.raises(PlanError, match="administer the questionnaire in the clinic"):
        send_link(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assignment=baseline,
            now=SESSION_AT,
            link_for=_link,
        )
    assert not AssessmentLink.objects.exists()
    assert not Assessment.objects.filter(patient=patient).exists()
    assert len(mail.outbox) == 0
    # Staff can still administer it in the clinic.
    assert (
        start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=baseline).mode
        == Mode.STAFF
    )


def test_ending_an_enrolment_cancels_what_is_open_and_allows_a_new_one(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    end_enrolment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        enrolment=enrolment,
        reason="Patient moved away.",
        now=SESSION_AT,
    )
    assert set(Assignment.objects.values_list("status", flat=True)) == {"cancelled"}
    assert on_session_scheduled(patient=patient, session_ref=uuid4(), starts_at=SESSION_AT) == []
    plan = MeasurementPlan.objects.get(clinic=patient.clinic)
    again = enrol(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), patient=patient, plan=plan, starts_on=START
    )
    assert again.status == PlanEnrolment.Status.ACTIVE


def test_an_amended_answer_stays_the_answer_to_its_assignment(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    baseline = Assignment.objects.get(patient=patient, instrument_code="phq9")
    original = start_assignment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=baseline
    )
    _complete(nurse, original, datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    answers = {**Assessment.objects.get(pk=original.pk).answers, "phq9_1": 2}

    amended = amend_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        original=original,
        answers=answers,
        reason="patient corrected item one",
        now=datetime(2026, 11, 29, 11, 0, tzinfo=UTC),
    )

    baseline.refresh_from_db()
    assert (baseline.status, baseline.assessment) == (Assignment.Status.COMPLETED, amended)
    assert amended.amends == original
    event = AuditEvent.objects.get(action="measurement.assignment_amended")
    assert event.changes["assessment"] == [str(original.public_id), str(amended.public_id)]


def test_a_response_entered_in_error_puts_its_assignment_back_on_the_worklist(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    phq9 = Assignment.objects.get(patient=patient, instrument_code="phq9")
    gad7 = Assignment.objects.get(patient=patient, instrument_code="gad7")
    answered = start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=phq9)
    _complete(nurse, answered, datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    started = start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=gad7)

    for assessment in (answered, started):
        enter_in_error(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assessment=assessment,
            reason="wrong patient's tablet",
        )

    for assignment in (phq9, gad7):
        assignment.refresh_from_db()
        assert assignment.status == Assignment.Status.OPEN
        assert (assignment.assessment, assignment.completed_at) == (None, None)
        assert (
            assignment_state(
                status=assignment.status,
                due_at=assignment.due_at,
                overdue_at=assignment.overdue_at,
                now=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
            )
            == State.DUE
        )
    events = AuditEvent.objects.filter(action="measurement.assignment_reopened").order_by("id")
    assert [e.changes for e in events] == [
        {"status": [Assignment.Status.COMPLETED, Assignment.Status.OPEN]},
        {"assessment": [str(started.public_id), None]},
    ]
    # It can be answered again, by a new response.
    again = start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=phq9)
    assert again != answered
    _complete(nurse, again, datetime(2026, 11, 29, 13, 0, tzinfo=UTC))
    phq9.refresh_from_db()
    assert (phq9.status, phq9.assessment) == (Assignment.Status.COMPLETED, again)


def test_after_the_enrolment_ends_a_withdrawn_response_reopens_nothing(
    enrolment: PlanEnrolment, patient: Patient, nurse: User
) -> None:
    phq9 = Assignment.objects.get(patient=patient, instrument_code="phq9")
    answered = start_assignment(actor=Actor(user=nurse, roles=frozenset(NURSE)), assignment=phq9)
    _complete(nurse, answered, datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    end_enrolment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        enrolment=enrolment,
        reason="moved to another state",
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )

    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=answered,
        reason="wrong patient's tablet",
    )

    phq9.refresh_from_db()
    assert (phq9.status, phq9.assessment) == (Assignment.Status.COMPLETED, answered)
    assert not AuditEvent.objects.filter(action="measurement.assignment_reopened").exists()
