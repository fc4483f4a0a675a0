"""The outcome graph page: who may open it, what it shows, and a query count that does not grow
with the number of responses."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.tests.trajectories import record_rapid_responder
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


@pytest.fixture
def start(patient: Patient) -> datetime:
    return datetime(2026, 9, 1, 10, 0, tzinfo=patient.clinic.tzinfo)


def _url(patient: Patient) -> str:
    return reverse("measurement:outcome-graph", args=[patient.public_id])


@pytest.mark.parametrize("role", [Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.CLINIC_ADMIN])
def test_clinicians_see_the_chart_the_summary_and_every_score(
    role: Role,
    patient: Patient,
    start: datetime,
    demo_user: Callable[[Role], User],
    client_for: Callable[[Role], Client],
) -> None:
    record_rapid_responder(nurse=demo_user(Role.NURSE), patient=patient, start=start)

    response = client_for(role).get(_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="outcome-graph-phq9" role="img"' in page
    assert 'id="outcome-graph-mood" role="img"' in page
    assert '<script id="outcome-graph-data" type="application/json">' in page
    assert "first response after 3 days" in page
    assert "R-OUT-8" in page
    assert page.count("<time datetime=") >= 8  # every score and every mood rating is a row
    assert "<script>" not in page  # the CSP allows no inline script


def test_a_patient_without_questionnaires_gets_a_plain_sentence(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    response = client_for(Role.PRESCRIBER).get(_url(patient))

    assert response.status_code == 200
    assert "No completed questionnaires yet." in response.content.decode()
    assert "outcome-graph-data" not in response.content.decode()


def test_reading_the_chart_is_audited(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    client_for(Role.THERAPIST).get(_url(patient))

    event = AuditEvent.objects.get(action="measurement.outcome_chart_viewed")
    assert event.patient_public_id == patient.public_id


def test_another_clinics_patient_is_not_found(clinics: list[Clinic]) -> None:
    elsewhere = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    outsider = User.objects.create_user("outsider@example.org", "x" * 20, full_name="Out Sider")
    outsider.memberships.create(clinic=clinics[0], role=Role.PRESCRIBER)
    client = Client()
    client.force_login(outsider)

    assert client.get(_url(elsewhere)).status_code == 404
    missing = reverse("measurement:outcome-graph", args=[uuid4()])
    assert client.get(missing).status_code == 404


def test_the_chart_links_here_for_those_who_may_open_it(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    chart = reverse("patients:chart", args=[patient.public_id])

    assert _url(patient) in client_for(Role.NURSE).get(chart).content.decode()
    assert _url(patient) not in client_for(Role.FRONT_DESK).get(chart).content.decode()


def _bulk_history(patient: Patient, start: datetime, count: int) -> None:
    """``count`` more completed responses of several instruments, sessions and mood pairs."""
    rng = random.Random(count)
    rows = []
    for n in range(count):
        at = start + timedelta(days=60 + n)
        ref = uuid4()
        code, total, band = [
            ("phq9", rng.randint(3, 22), "moderate"),
            ("gad7", rng.randint(2, 18), "mild"),
            ("who5", rng.randint(5, 20), ""),
            ("mood_0_10", rng.randint(2, 9), ""),
        ][n % 4]
        scores = {"scores": {"percentage": total * 4}} if code == "who5" else {}
        for occasion, offset in ((Occasion.PRE_SESSION, -1), (Occasion.POST_SESSION, 1)):
            rows.append(
                Assessment(
                    patient=patient,
                    clinic=patient.clinic,
                    instrument_code=code,
                    instrument_version="1",
                    status=Assessment.Status.COMPLETED,
                    mode=Mode.STAFF,
                    occasion=occasion,
                    session_ref=ref,
                    total=total,
                    band=band,
                    scores=scores,
                    completed_at=at + timedelta(hours=offset),
                )
            )
    Assessment.objects.bulk_create(rows)


def test_the_number_of_queries_does_not_grow_with_the_history(
    patient: Patient,
    start: datetime,
    demo_user: Callable[[Role], User],
    client_for: Callable[[Role], Client],
) -> None:
    record_rapid_responder(nurse=demo_user(Role.NURSE), patient=patient, start=start)
    client = client_for(Role.PRESCRIBER)
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(patient)).status_code == 200

    _bulk_history(patient, start, 100)  # 200 more responses
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(patient))

    assert response.status_code == 200
    assert "outcome-graph-gad7" in response.content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
