"""The chart timeline merges what every app records about a patient, newest first, in a number
of queries that does not grow with the patient's history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.consent.demo import seed_consent_documents
from kapclinic.consent.services import countersign, record_patient_signature
from kapclinic.patients.models import Medication, Patient, RecordStatus
from kapclinic.patients.services import add_medication, change_history_status, record_measurement
from kapclinic.patients.timeline import (
    CHART_LIMIT,
    build_timeline,
    registered_sources,
    without_forbidden_links,
)
from kapclinic.screening.services import record_screening
from kapclinic.screening.tests.factories import COMPLETE

pytestmark = pytest.mark.django_db

PRESCRIBER = (Role.PRESCRIBER,)


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _history(patient: Patient, prescriber: User, admin: User) -> None:
    """A screening, a weight, a medication and a countersigned consent, an hour apart."""
    now = timezone.now()
    record_measurement(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        patient=patient,
        measured_on=now.date() - timedelta(days=3),
        weight_kg=Decimal("71.5"),
        height_cm=None,
    )
    record_screening(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        patient=patient,
        answers=COMPLETE,
        now=now,
    )
    document = seed_consent_documents(
        clinic=patient.clinic, published_by=admin, now=now - timedelta(days=30)
    )[0]
    signed = record_patient_signature(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        patient=patient,
        document=document,
        typed_name=f"{patient.given_name} {patient.family_name}",
        agreed=True,
        now=now + timedelta(hours=1),
    )
    countersign(
        actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)),
        record=signed,
        now=now + timedelta(hours=2),
    )


def test_every_app_registers_its_source() -> None:
    names = registered_sources()
    for expected in (
        "patients.registration",
        "patients.measurements",
        "patients.medications",
        "screening.screenings",
        "screening.decisions",
        "consent.events",
        "referrals.referrals",
        "measurement.assessments",
    ):
        assert expected in names


def test_the_timeline_merges_every_kind_newest_first(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    _history(patient, prescriber, demo_user(Role.CLINIC_ADMIN))
    entries = build_timeline(patient).entries
    kinds = [e.kind for e in entries]
    # The screening's PHQ-9 and GAD-7 are questionnaire responses too (issue 11.1).
    assert kinds[:5] == ["Consent", "Consent", "Questionnaire", "Questionnaire", "Screening"]
    assert entries[0].title.startswith("Consent countersigned")
    assert entries[1].title.startswith("Consent signed by the patient")
    assert "Weight" in kinds
    assert "Record" in kinds
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)


def test_the_chart_shows_the_timeline_and_hides_links_the_reader_cannot_open(
    patient: Patient, demo_user: Callable[[Role], User], client_for: Callable[[Role], Client]
) -> None:
    _history(patient, demo_user(Role.PRESCRIBER), demo_user(Role.CLINIC_ADMIN))
    screening = patient.screenings.get()
    detail = reverse("screening:detail", args=[screening.public_id])
    chart = reverse("patients:chart", args=[patient.public_id])

    as_prescriber = client_for(Role.PRESCRIBER).get(chart)
    assert as_prescriber.status_code == 200
    assert f'href="{detail}"' in as_prescriber.content.decode()

    as_front_desk = client_for(Role.FRONT_DESK).get(chart)
    html = as_front_desk.content.decode()
    assert "Eligibility screening (Racemic ketamine" in html  # it happened: shown
    assert f'href="{detail}"' not in html  # but its clinical detail is not theirs to open


def test_an_entry_made_in_error_stays_on_the_timeline_struck_through(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    nurse = demo_user(Role.NURSE)
    med = add_medication(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        patient=patient,
        name="Lorazepam",
        dose="1 mg",
    )
    change_history_status(
        actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
        record=med,
        status=RecordStatus.ENTERED_IN_ERROR,
    )
    entry = next(e for e in build_timeline(patient).entries if "Lorazepam" in e.title)
    assert entry.struck
    assert "entered in error" in entry.detail


def test_the_chart_says_when_older_entries_are_left_out_and_the_full_page_has_them(
    patient: Patient, demo_user: Callable[[Role], User], client_for: Callable[[Role], Client]
) -> None:
    nurse = demo_user(Role.NURSE)
    first_day = date(2025, 1, 1)
    for n in range(CHART_LIMIT + 5):
        record_measurement(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            patient=patient,
            measured_on=first_day + timedelta(days=n),
            weight_kg=Decimal("70.0") + n,
            height_cm=None,
        )
    client = client_for(Role.NURSE)
    chart = client.get(reverse("patients:chart", args=[patient.public_id]))
    assert chart.context["timeline"]["truncated"] is True
    assert len(chart.context["timeline"]["entries"]) == CHART_LIMIT
    assert "See the whole timeline" in chart.content.decode()

    full = client.get(reverse("patients:timeline", args=[patient.public_id]))
    assert full.status_code == 200
    assert full.context["timeline"]["truncated"] is False
    weights = [e for e in full.context["timeline"]["entries"] if e.kind == "Weight"]
    assert len(weights) == patient.measurements.count()


def test_the_chart_query_count_does_not_grow_with_the_history(
    patient: Patient, demo_user: Callable[[Role], User], client_for: Callable[[Role], Client]
) -> None:
    client = client_for(Role.PRESCRIBER)
    url = reverse("patients:chart", args=[patient.public_id])
    _history(patient, demo_user(Role.PRESCRIBER), demo_user(Role.CLINIC_ADMIN))
    client.get(url)  # warm caches (content types, clinic) outside the comparison
    reset_queries()
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    nurse = demo_user(Role.NURSE)
    for n in range(12):
        add_medication(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            patient=patient,
            name=f"Vitamin D {n}",
            dose="",
        )
        record_screening(
            actor=Actor(user=nurse, roles=frozenset({Role.NURSE})),
            patient=patient,
            answers=COMPLETE,
            now=timezone.now(),
        )
    assert Medication.objects.filter(patient=patient).count() >= 12
    reset_queries()
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_read_only_reader_gets_no_links_and_a_reader_without_the_capability_neither(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    prescriber = demo_user(Role.PRESCRIBER)
    _history(patient, prescriber, demo_user(Role.CLINIC_ADMIN))
    entries = build_timeline(patient).entries
    assert any(e.url for e in entries)
    read_only = without_forbidden_links(
        entries, actor=Actor(user=prescriber, roles=frozenset(PRESCRIBER)), read_only=True
    )
    assert not any(e.url for e in read_only)  # break-glass: the chart only
    front_desk = without_forbidden_links(
        entries,
        actor=Actor(user=demo_user(Role.FRONT_DESK), roles=frozenset({Role.FRONT_DESK})),
        read_only=False,
    )
    assert not any(e.url for e in front_desk if e.kind in {"Screening", "Consent"})
    assert [e.title for e in front_desk] == [e.title for e in entries]  # nothing hidden
