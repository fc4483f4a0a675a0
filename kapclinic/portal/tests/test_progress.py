"""The portal describes the patient's scores in plain words, from the course outcome rules,
leaving out answers given at eligibility screening."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.measurement.models import Mode, Occasion
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from kapclinic.patients.models import Patient
from kapclinic.portal.progress import list_trends, when

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    patient = Patient.objects.filter(clinic=clinics[0], portal_user=None).order_by("id")[0]
    user = User.objects.create_user(
        "portal.trend@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
    )
    Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    patient.refresh_from_db()
    return patient


def _phq9(patient: Patient, nurse: User, total: int, at: datetime, occasion: Occasion) -> None:
    """A completed PHQ-9 with ``total`` (item 9 always 0), answered at ``at``."""
    answers = {f"phq9_{n}": 0 for n in range(1, 10)}
    for n in range(1, 9):
        answers[f"phq9_{n}"] = min(3, max(0, total - 3 * (n - 1)))
    assert sum(answers.values()) == total
    assessment = start_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
        occasion=occasion,
    )
    complete_assessment(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        assessment=assessment,
        answers=answers,
        now=at,
    )


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 7), "today"),
        (date(2026, 12, 6), "yesterday"),
        (date(2026, 12, 2), "this week"),
        (date(2026, 11, 28), "last week"),
        (date(2026, 10, 9), "in October"),
        (date(2025, 10, 9), "in October 2025"),
    ],
)
def test_a_day_is_said_the_way_people_say_it(day: date, words: str) -> None:
    assert when(day, TODAY) == words


def test_a_halved_phq9_reads_as_a_big_improvement_and_screening_answers_are_left_out(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    _phq9(patient, nurse, 24, datetime(2026, 9, 20, 15, tzinfo=UTC), Occasion.SCREENING)
    _phq9(patient, nurse, 18, datetime(2026, 10, 9, 15, tzinfo=UTC), Occasion.BASELINE)
    _phq9(patient, nurse, 9, datetime(2026, 11, 28, 15, tzinfo=UTC), Occasion.FOLLOW_UP)

    (trend,) = list_trends(patient, TODAY)

    assert trend.sentence == (
        "Your PHQ-9 went from 18 in October to 9 last week: a big improvement."
    )


def test_a_rise_is_named_as_something_to_talk_through_not_an_alarm(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    _phq9(patient, nurse, 8, datetime(2026, 10, 9, 15, tzinfo=UTC), Occasion.BASELINE)
    _phq9(patient, nurse, 16, datetime(2026, 12, 3, 15, tzinfo=UTC), Occasion.FOLLOW_UP)

    (trend,) = list_trends(patient, TODAY)

    assert trend.sentence == (
        "Your PHQ-9 went from 8 in October to 16 this week: a change your care team will talk "
        "through with you."
    )
    assert "severe" not in trend.sentence.lower()


def test_one_score_is_described_as_the_first_and_the_portal_shows_it(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    _phq9(
        patient, demo_user(Role.NURSE), 12, datetime(2026, 10, 9, 15, tzinfo=UTC), Occasion.BASELINE
    )
    client = Client()
    assert patient.portal_user is not None
    client.force_login(patient.portal_user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Your first PHQ-9 score was 12, " in html
    assert "Moderate" not in html  # no severity bands


def test_without_scores_the_portal_says_what_will_appear(patient: Patient) -> None:
    client = Client()
    assert patient.portal_user is not None
    client.force_login(patient.portal_user)
    html = client.get(reverse("portal:home")).content.decode()
    assert "you will see here how your answers change over time" in html
