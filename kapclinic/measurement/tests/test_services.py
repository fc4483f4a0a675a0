"""Stored responses: partial saves, completion with scores and safety tasks, immutability,
amendments, entered in error, and one-time links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.exceptions import AssessmentError, LinkRefusedError
from kapclinic.measurement.models import Assessment, Mode, SafetyTask
from kapclinic.measurement.responses.services import (
    amend_assessment,
    complete_assessment,
    enter_in_error,
    issue_link,
    open_link,
    save_answers,
    start_assessment,
)
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
NURSE = (Role.NURSE,)
MODERATE = {f"phq9_{n}": 1 for n in range(1, 9)} | {"phq9_9": 0}  # total 8: mild


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


def _phq9(patient: Patient, nurse: User) -> Assessment:
    return start_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )


def test_partial_answers_are_kept_and_completion_scores_and_freezes(
    patient: Patient, nurse: User
) -> None:
    a = _phq9(patient, nurse)
    save_answers(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        answers={"phq9_1": 2, "phq9_2": 3},
    )
    a.refresh_from_db()
    assert a.answers == {"phq9_1": 2, "phq9_2": 3}
    assert a.status == Assessment.Status.IN_PROGRESS

    rest = {f"phq9_{n}": 1 for n in range(3, 10)} | {"phq9_9": 0}
    done = complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        answers=rest,
        now=timezone.now(),
    )
    a.refresh_from_db()
    assert (a.status, a.total, a.band) == (Assessment.Status.COMPLETED, 11, "moderate")
    assert a.instrument_version == "1"
    assert a.scores["rule"]["id"].startswith("R-OUT")
    assert done.urgent_alerts == 0
    assert not SafetyTask.objects.filter(patient=patient).exists()
    with pytest.raises(AssessmentError, match="already finished"):
        save_answers(
            actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, answers={"phq9_1": 0}
        )
    assert AuditEvent.objects.filter(action="measurement.completed").count() == 1


def test_completion_names_the_questions_left_blank_and_completes_nothing(
    patient: Patient, nurse: User
) -> None:
    a = _phq9(patient, nurse)
    partial = {f"phq9_{n}": 1 for n in range(1, 8)}
    with pytest.raises(AssessmentError) as refused:
        complete_assessment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assessment=a,
            answers=partial,
            now=timezone.now(),
        )
    assert refused.value.items == ("phq9_8", "phq9_9")
    a.refresh_from_db()
    assert a.status == Assessment.Status.IN_PROGRESS
    assert a.answers == {}  # the failed completion rolled back its answers too


def test_an_answer_outside_the_options_is_refused(patient: Patient, nurse: User) -> None:
    a = _phq9(patient, nurse)
    with pytest.raises(AssessmentError, match="not one of its answers"):
        save_answers(
            actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, answers={"phq9_1": 7}
        )


def test_phq9_item_9_above_zero_raises_an_urgent_safety_task(patient: Patient, nurse: User) -> None:
    a = _phq9(patient, nurse)
    done = complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        answers=MODERATE | {"phq9_9": 1},
        now=timezone.now(),
    )
    assert done.urgent_alerts == 1
    task = SafetyTask.objects.get(patient=patient)
    assert (task.severity, task.status, task.assessment_id) == ("urgent", "open", a.pk)
    assert task.triggered_by == [["phq9_9", 1]]


def test_a_gate_answer_changed_to_no_drops_the_answers_it_no_longer_asks(
    patient: Patient, nurse: User
) -> None:
    asq = start_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        patient=patient,
        instrument_code="asq",
        mode=Mode.STAFF,
    )
    save_answers(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=asq,
        answers={"asq_1": 1, "asq_2": 0, "asq_3": 0, "asq_4": 0, "asq_5": 0},
    )
    save_answers(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=asq, answers={"asq_1": 0}
    )
    asq.refresh_from_db()
    assert "asq_5" not in asq.answers


def test_an_amendment_replaces_the_original_which_stays(
    patient: Patient, nurse: User, demo_user: Callable[[Role], User]
) -> None:
    a = _phq9(patient, nurse)
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        answers=MODERATE,
        now=timezone.now(),
    )
    prescriber = demo_user(Role.PRESCRIBER)
    with pytest.raises(AssessmentError, match="at least 10"):
        amend_assessment(
            actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
            original=a,
            answers=MODERATE,
            reason="typo",
            now=timezone.now(),
        )
    amended = amend_assessment(
        actor=Actor(user=prescriber, roles=frozenset({Role.PRESCRIBER})),
        original=a,
        answers=MODERATE | {"phq9_1": 3},
        reason="Patient corrected item 1 at review.",
        now=timezone.now(),
    )
    a.refresh_from_db()
    assert a.status == Assessment.Status.AMENDED
    assert (amended.amends_id, amended.total, amended.completed_at) == (a.pk, 10, a.completed_at)
    assert AuditEvent.objects.get(action="measurement.amended").changes["phq9_1"] == [1, 3]


def test_entered_in_error_keeps_the_response_out_of_the_count(
    patient: Patient, nurse: User
) -> None:
    a = _phq9(patient, nurse)
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        answers=MODERATE,
        now=timezone.now(),
    )
    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=a,
        reason="Answered for the wrong patient.",
    )
    a.refresh_from_db()
    assert not a.counts
    with pytest.raises(AssessmentError, match="no longer counts"):
        enter_in_error(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            assessment=a,
            reason="Twice by mistake here.",
        )


def test_a_licensed_instrument_without_its_texts_cannot_be_started(
    patient: Patient, nurse: User
) -> None:
    with pytest.raises(AssessmentError, match="its wording is not loaded in this clinic"):
        start_assessment(
            actor=Actor(user=nurse, roles=frozenset(NURSE)),
            patient=patient,
            instrument_code="madrs",
            mode=Mode.STAFF,
        )


def test_a_link_works_once_and_only_until_it_expires(patient: Patient, nurse: User) -> None:
    a = _phq9(patient, nurse)
    now = timezone.now()
    token = issue_link(actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, now=now)
    assert len(token) >= 40
    assert str(patient.public_id) not in token
    assert open_link(token, now=now + timedelta(minutes=1)) == a
    with pytest.raises(LinkRefusedError):
        open_link(token, now=now + timedelta(minutes=2))  # single use

    expired = issue_link(actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, now=now)
    with pytest.raises(LinkRefusedError):
        open_link(expired, now=now + timedelta(days=4))

    first = issue_link(actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, now=now)
    second = issue_link(actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, now=now)
    with pytest.raises(LinkRefusedError):
        open_link(first, now=now)  # replaced by the newer link
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)), assessment=a, answers=MODERATE, now=now
    )
    with pytest.raises(LinkRefusedError):
        open_link(second, now=now)  # the questionnaire is finished
    with pytest.raises(LinkRefusedError):
        open_link("not-a-token", now=now)
