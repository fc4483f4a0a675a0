from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.bmi import bmi
from kapclinic.patients.models import BodyMeasurement, Patient
from kapclinic.patients.selectors import latest_weight_kg


@pytest.mark.parametrize(
    ("weight", "height", "expected"),
    [
        ("70", "175", "22.9"),
        ("50.5", "160", "19.7"),
        ("120", "190", "33.2"),
    ],
)
def test_bmi_is_kilograms_per_square_metre_to_one_decimal(
    weight: str, height: str, expected: str
) -> None:
    assert bmi(weight_kg=Decimal(weight), height_cm=Decimal(height)) == Decimal(expected)


@pytest.fixture
def patient(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Patient:
    """A newly registered patient: no history yet (generated patients have some)."""
    return new_patient(clinics[0])


def _url(patient: Patient) -> str:
    return reverse("patients:measurements", args=[patient.public_id])


@pytest.mark.django_db
def test_a_nurse_records_weight_and_the_latest_feeds_dosing(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    today = patient.clinic.local_today()
    earlier = (today - timedelta(days=30)).isoformat()
    assert (
        nurse.post(
            _url(patient), {"measured_on": earlier, "weight_kg": "82.4", "height_cm": "178"}
        ).status_code
        == 302
    )
    assert (
        nurse.post(
            _url(patient), {"measured_on": today.isoformat(), "weight_kg": "80.0"}
        ).status_code
        == 302
    )
    assert latest_weight_kg(patient) == Decimal("80.0")
    rows = nurse.get(_url(patient)).context["rows"]
    assert [r.measurement.weight_kg for r in rows] == [Decimal("80.0"), Decimal("82.4")]
    assert rows[0].height_cm == Decimal("178.0")  # carried from the earlier measurement
    assert rows[0].bmi == bmi(weight_kg=Decimal("80.0"), height_cm=Decimal("178"))
    event = AuditEvent.objects.filter(action="patients.measurement_recorded").latest("id")
    assert event.operation == Operation.CREATE
    assert event.changes["weight_kg"] == [None, "80.0"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weight_kg": "0"}, "greater than or equal to 20"),
        ({"weight_kg": "700"}, "less than or equal to 300"),
        ({"weight_kg": "abc"}, "Enter a number"),
        ({"height_cm": "20"}, "greater than or equal to 100"),
        ({"measured_on": "2999-01-01"}, "cannot be dated in the future"),
        ({"measured_on": "1900-01-01"}, "before birth"),
    ],
)
def test_impossible_measurements_are_refused(
    client_for: Callable[[Role], Client], patient: Patient, data: dict[str, str], message: str
) -> None:
    base = {"measured_on": patient.clinic.local_today().isoformat(), "weight_kg": "70"}
    response = client_for(Role.NURSE).post(_url(patient), {**base, **data})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not BodyMeasurement.objects.filter(patient=patient).exists()


@pytest.mark.django_db
def test_the_database_refuses_an_implausible_weight_too(
    patient: Patient, demo_user: Callable[[Role], User]
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        BodyMeasurement.objects.create(
            patient=patient,
            measured_on=date(2026, 1, 1),
            weight_kg=Decimal("700"),
            recorded_by=demo_user(Role.NURSE),
        )


@pytest.mark.django_db
def test_measurement_history_queries_do_not_grow(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    today = patient.clinic.local_today().isoformat()
    nurse.post(_url(patient), {"measured_on": today, "weight_kg": "70", "height_cm": "170"})
    with CaptureQueriesContext(connection) as few:
        nurse.get(_url(patient))
    for kg in range(71, 81):
        nurse.post(_url(patient), {"measured_on": today, "weight_kg": str(kg)})
    with CaptureQueriesContext(connection) as many:
        nurse.get(_url(patient))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.RESEARCHER])
def test_only_clinical_measurers_record_weight(
    client_for: Callable[[Role], Client], patient: Patient, role: Role
) -> None:
    response = client_for(role).post(
        _url(patient), {"measured_on": "2026-01-01", "weight_kg": "70"}
    )
    assert response.status_code == 403
    assert not BodyMeasurement.objects.filter(patient=patient).exists()
