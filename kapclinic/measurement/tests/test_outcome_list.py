"""The clinic's Outcomes page: recently measured patients, newest first, their latest PHQ-9, in
a number of queries that does not grow with the data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.measurement.outcomes.listing import list_recent_outcomes
from kapclinic.measurement.tests.trajectories import phq9_answers, record
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_recently_measured_patients_come_newest_first_with_their_latest_phq9(
    clinics: list[Clinic], demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    first, second, old = Patient.objects.filter(clinic=clinics[0]).order_by("id")[:3]
    elsewhere = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    now = timezone.now()
    for patient, total, at in (
        (first, 20, now - timedelta(days=20)),
        (first, 9, now - timedelta(days=2)),
        (second, 14, now - timedelta(days=1)),
        (old, 12, now - timedelta(days=200)),
        (elsewhere, 5, now - timedelta(days=1)),
    ):
        record(nurse=nurse, patient=patient, code="phq9", answers=phq9_answers(total), at=at)
    record(nurse=nurse, patient=second, code="mood_0_10", answers={"mood_now": 6}, at=now)

    recent = list_recent_outcomes(clinics[0], since=now - timedelta(days=90))

    # The demo's consented patients have their own histories; these three have none of theirs.
    mine = {first.mrn, second.mrn, old.mrn, elsewhere.mrn}
    rows = [r for r in recent.rows if r.mrn in mine]
    assert [(r.mrn, r.phq9, r.phq9_band, r.responses) for r in rows] == [
        (second.mrn, 14, "Moderate", 2),
        (first.mrn, 9, "Mild", 2),
    ]
    assert not recent.truncated
    assert list_recent_outcomes(clinics[0], since=now - timedelta(days=90), limit=1).truncated


def test_the_outcomes_page_links_each_patient_to_their_chart_in_constant_queries(
    clinics: list[Clinic],
    demo_user: Callable[[Role], User],
    client_for: Callable[[Role], Client],
) -> None:
    nurse = demo_user(Role.NURSE)
    patients = list(Patient.objects.filter(clinic=clinics[0]).order_by("id")[:6])
    now = timezone.now()
    client = client_for(Role.THERAPIST)

    def add(patient: Patient) -> None:
        record(nurse=nurse, patient=patient, code="phq9", answers=phq9_answers(11), at=now)

    add(patients[0])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("today:outcomes")).status_code == 200
    for patient in patients[1:]:
        add(patient)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("today:outcomes"))

    html = response.content.decode()
    for patient in patients:
        assert reverse("measurement:outcome-graph", args=[patient.public_id]) in html
    assert "11 (moderate)" in html
    assert len(many) == len(few)
