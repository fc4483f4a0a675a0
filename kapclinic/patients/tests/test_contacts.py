from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _staff(clinic: Clinic, role: Role) -> User:
    return StaffMembership.objects.filter(clinic=clinic, role=role).order_by("id")[0].user


def _data(clinic: Clinic, **extra: Any) -> dict[str, Any]:
    return {
        "address_line": "12 Elm St",
        "city": "Boston",
        "region": "MA",
        "postal_code": "02110",
        "emergency_contact_name": "Ada Lovelace",
        "emergency_contact_relationship": "sister",
        "emergency_contact_phone": "+1 555 201 1111",
        "escort_name": "Ada Lovelace",
        "escort_phone": "+1 555 201 1111",
        "pregnancy_potential": "no",
        "care_prescriber": _staff(clinic, Role.PRESCRIBER).pk,
        "care_therapist": _staff(clinic, Role.THERAPIST).pk,
        "care_nurse": _staff(clinic, Role.NURSE).pk,
        **extra,
    }


def _last_event() -> int:
    """The newest audit entry's id: the demo changes contacts too (a care therapist)."""
    return AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def test_contacts_escort_and_care_team_are_saved_audited_and_shown(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    """R-DC-1 needs the escort who drives the patient home on record."""
    before = _last_event()
    desk = client_for(Role.FRONT_DESK)
    url = reverse("patients:contacts", args=[patient.public_id])
    assert desk.post(url, _data(patient.clinic)).status_code == 302
    patient.refresh_from_db()
    assert patient.escort_name == "Ada Lovelace"
    assert patient.care_nurse == _staff(patient.clinic, Role.NURSE)
    event = AuditEvent.objects.get(action="patients.contacts_changed", pk__gt=before)
    assert event.operation == Operation.UPDATE
    assert event.changes["escort_name"] == ["", "Ada Lovelace"]
    assert event.changes["care_nurse"] == [None, patient.care_nurse.email]
    chart = desk.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert "Ada Lovelace, +1 555 201 1111" in chart
    assert "none recorded (needed for discharge" not in chart


def test_a_care_team_member_must_work_in_the_clinic_with_that_role(
    client_for: Callable[[Role], Client], patient: Patient, clinics: list[Clinic]
) -> None:
    url = reverse("patients:contacts", args=[patient.public_id])
    elsewhere = (
        StaffMembership.objects.filter(clinic=clinics[1], role=Role.NURSE)
        .exclude(user__memberships__clinic=clinics[0])
        .order_by("id")[0]
        .user
    )
    therapist_as_nurse = _staff(patient.clinic, Role.THERAPIST)
    for wrong in (elsewhere, therapist_as_nurse):
        response = client_for(Role.FRONT_DESK).post(url, _data(patient.clinic, care_nurse=wrong.pk))
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
    patient.refresh_from_db()
    assert patient.care_nurse is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"escort_phone": ""}, "Give the escort"),
        ({"emergency_contact_phone": "call me"}, "Use digits"),
        ({"pregnancy_potential": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_contact_input_is_explained(
    client_for: Callable[[Role], Client], patient: Patient, extra: dict[str, str], message: str
) -> None:
    before = _last_event()
    url = reverse("patients:contacts", args=[patient.public_id])
    response = client_for(Role.FRONT_DESK).post(url, _data(patient.clinic, **extra))
    assert response.status_code == 422
    assert message in response.content.decode()
    changed = AuditEvent.objects.filter(action="patients.contacts_changed", pk__gt=before)
    assert not changed.exists()


def test_the_chart_query_count_does_not_depend_on_the_care_team(
    client_for: Callable[[Role], Client], patient: Patient
) -> None:
    nurse = client_for(Role.NURSE)
    chart = reverse("patients:chart", args=[patient.public_id])
    nurse.get(chart)
    with CaptureQueriesContext(connection) as without_team:
        nurse.get(chart)
    client_for(Role.FRONT_DESK).post(
        reverse("patients:contacts", args=[patient.public_id]), _data(patient.clinic)
    )
    with CaptureQueriesContext(connection) as with_team:
        nurse.get(chart)
    assert len(with_team.captured_queries) == len(without_team.captured_queries)
