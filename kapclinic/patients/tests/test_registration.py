from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db

NEW = {
    "given_name": "Renée",
    "family_name": "Okafor-Smith",
    "birth_date": "1984-02-29",
    "sex": "female",
    "phone": "+1 555 201 7788",
    "email": "Renee.O@Example.org",
}


@pytest.fixture
def front_desk(client_for: Callable[[Role], Client]) -> Client:
    return client_for(Role.FRONT_DESK)


def _post(client: Client, data: dict[str, Any], url: str = "") -> Any:
    return client.post(url or reverse("patients:register"), data)


def test_registering_gives_the_next_mrn_and_audits_every_field(
    front_desk: Client, clinics: list[Clinic]
) -> None:
    home = clinics[0]
    last = Patient.objects.filter(clinic=home).order_by("-mrn")[0].mrn
    response = _post(front_desk, NEW)
    patient = Patient.objects.get(family_name="Okafor-Smith")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:chart", args=[patient.public_id])
    assert patient.clinic == home
    assert int(patient.mrn.split("-")[1]) == int(last.split("-")[1]) + 1
    assert patient.email == "renee.o@example.org"
    assert patient.search_name == " renee okafor smith "
    event = AuditEvent.objects.get(action="patients.registered")
    assert event.operation == Operation.CREATE
    assert event.patient_public_id == patient.public_id
    assert event.changes["family_name"] == [None, "Okafor-Smith"]
    assert event.changes["mrn"] == [None, patient.mrn]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2999-01-01", "cannot be in the future"),
        ("birth_date", "1850-01-01", "not plausible"),
        ("birth_date", "31/02/2000", "Enter a valid date"),
        ("given_name", "  ", "This field is required"),
        ("family_name", "---", "at least one letter"),
        ("phone", "12", "7 to 15 digits"),
        ("phone", "555-CALL-NOW", "Use digits"),
        ("email", "not-an-email", "valid email"),
        ("sex", "robot", "Select a valid choice"),
    ],
)
def test_impossible_values_are_refused_with_a_message_and_nothing_saved(
    front_desk: Client, field: str, value: str, message: str
) -> None:
    before = Patient.objects.count()
    response = _post(front_desk, {**NEW, field: value})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert f'value="{NEW["given_name"]}"' in response.content.decode() or field == "given_name"
    assert Patient.objects.count() == before
    assert not AuditEvent.objects.filter(action="patients.registered").exists()


def test_a_same_name_same_birth_date_patient_is_offered_not_silently_created(
    front_desk: Client, clinics: list[Clinic]
) -> None:
    existing = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    twin = {
        **NEW,
        "given_name": existing.given_name.upper(),
        "family_name": existing.family_name,
        "birth_date": existing.birth_date.isoformat(),
    }
    before = Patient.objects.count()
    response = _post(front_desk, twin)
    assert response.status_code == 422
    html = response.content.decode()
    assert "already registered" in html
    assert reverse("patients:chart", args=[existing.public_id]) in html
    assert Patient.objects.count() == before
    confirmed = _post(front_desk, {**twin, "confirm_different_person": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == before + 1
    event = AuditEvent.objects.get(action="patients.registered")
    assert event.detail["same_name_and_birth_date_as"] == [str(existing.public_id)]


def test_the_same_person_in_another_clinic_is_not_a_duplicate_here(
    front_desk: Client, clinics: list[Clinic]
) -> None:
    elsewhere = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    response = _post(
        front_desk,
        {
            **NEW,
            "given_name": elsewhere.given_name,
            "family_name": elsewhere.family_name,
            "birth_date": elsewhere.birth_date.isoformat(),
        },
    )
    assert response.status_code == 302  # no hint that the other clinic knows this person


def test_editing_demographics_audits_old_and_new_values(
    front_desk: Client, clinics: list[Clinic]
) -> None:
    patient = Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]
    url = reverse("patients:edit", args=[patient.public_id])
    form = front_desk.get(url)
    assert form.status_code == 200
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "phone": "+1-555-333-4444",
        "email": patient.email,
    }
    assert front_desk.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="patients.demographics_changed")
    assert event.operation == Operation.UPDATE
    assert event.changes == {"phone": [patient.phone, "+1-555-333-4444"]}
    patient.refresh_from_db()
    assert patient.phone_digits == "15553334444"
    # Saving again without a change writes no update entry.
    front_desk.post(url, data)
    assert AuditEvent.objects.filter(action="patients.demographics_changed").count() == 1


def test_another_clinics_patient_cannot_be_edited(
    front_desk: Client, clinics: list[Clinic]
) -> None:
    stranger = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    url = reverse("patients:edit", args=[stranger.public_id])
    assert front_desk.get(url).status_code == 404
    data = {**NEW, "birth_date": (stranger.birth_date + timedelta(days=1)).isoformat()}
    assert front_desk.post(url, data).status_code == 404
    stranger.refresh_from_db()
    assert stranger.given_name != NEW["given_name"]


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.RESEARCHER])
def test_roles_without_edit_rights_cannot_register(
    client_for: Callable[[Role], Client], role: Role
) -> None:
    before = Patient.objects.count()
    assert _post(client_for(role), NEW).status_code == 403
    assert Patient.objects.count() == before
