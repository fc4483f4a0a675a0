"""Clinic boundaries: another clinic's patient answers 404, exactly like no patient at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db
CHART_ROLES = [Role.CLINIC_ADMIN, Role.NURSE, Role.THERAPIST, Role.FRONT_DESK]
# The demo admin and prescriber also work in the second clinic; these demo users do not.
SINGLE_CLINIC_ROLES = [Role.NURSE, Role.THERAPIST, Role.FRONT_DESK]


def _patient_of(clinic: Clinic) -> Patient:
    patient = Patient.objects.filter(clinic=clinic).order_by("id").first()
    assert patient is not None
    return patient


@pytest.mark.parametrize("role", CHART_ROLES)
def test_a_patient_of_the_users_clinic_opens_and_the_read_is_audited(
    client_for: Callable[[Role], Client], clinics: list[Clinic], role: Role
) -> None:
    patient = _patient_of(clinics[0])
    response = client_for(role).get(reverse("patients:chart", args=[patient.public_id]))
    assert response.status_code == 200
    assert patient.mrn in response.content.decode()
    event = AuditEvent.objects.get(action="patients.chart_viewed")
    assert event.patient_public_id == patient.public_id
    assert event.operation == Operation.READ
    assert event.actor_roles == role.value


@pytest.mark.parametrize("role", SINGLE_CLINIC_ROLES)
def test_another_clinics_patient_is_not_found_in_pages_and_api(
    client_for: Callable[[Role], Client], clinics: list[Clinic], role: Role
) -> None:
    stranger = _patient_of(clinics[1])
    client = client_for(role)
    page = client.get(reverse("patients:chart", args=[stranger.public_id]))
    missing = client.get(reverse("patients:chart", args=[uuid.uuid4()]))
    assert page.status_code == missing.status_code == 404
    assert stranger.family_name not in page.content.decode()
    api = client.get(f"/api/v1/patients/{stranger.public_id}")
    api_missing = client.get(f"/api/v1/patients/{uuid.uuid4()}")
    assert api.status_code == api_missing.status_code == 404
    assert api.json() == api_missing.json() == {"detail": "Not found.", "errors": []}
    assert not AuditEvent.objects.filter(patient_public_id=stranger.public_id).exists()


def test_guessed_and_malformed_ids_are_not_found(client_for: Callable[[Role], Client]) -> None:
    client = client_for(Role.NURSE)
    for bad in ["1", "00000000-0000-0000-0000-000000000001", "../1", "%00"]:
        assert client.get(f"/patients/{bad}/").status_code == 404
        api = client.get(f"/api/v1/patients/{bad}")
        assert (api.status_code, api.json()) == (404, {"detail": "Not found.", "errors": []})


def test_listing_never_includes_other_clinics_whatever_the_filters(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.FRONT_DESK)
    other_ids = {
        str(p)
        for p in Patient.objects.filter(clinic=clinics[1]).values_list("public_id", flat=True)
    }
    for params in [
        {},
        {"clinic": str(clinics[1].public_id)},
        {"clinic_id": str(clinics[1].pk)},
        {"page": "2", "clinic": clinics[1].code},
    ]:
        listed = client.get("/api/v1/patients", params).json()["items"]
        assert listed
        assert not {item["id"] for item in listed} & other_ids
        html = client.get(reverse("patients:list"), params).content.decode()
        assert not any(pid in html for pid in other_ids)


def test_an_api_listing_is_audited_as_a_search_with_the_patients_returned(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    body = client_for(Role.NURSE).get("/api/v1/patients").json()
    event = AuditEvent.objects.get(action="patients.listed_by_api")
    assert event.operation == Operation.SEARCH
    assert event.detail["patients"] == [item["id"] for item in body["items"]]
    assert event.clinic_public_id == clinics[0].public_id


def test_the_api_answers_401_in_json_without_a_session(client: Client, demo: object) -> None:
    response = client.get("/api/v1/patients")
    assert response.status_code == 401
    assert response.json() == {"detail": "Sign in first.", "errors": []}


def test_a_prescriber_in_two_clinics_reaches_patients_of_both(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    client = client_for(Role.PRESCRIBER)  # the demo prescriber works in both clinics
    for clinic in clinics:
        patient = _patient_of(clinic)
        assert client.get(reverse("patients:chart", args=[patient.public_id])).status_code == 200
