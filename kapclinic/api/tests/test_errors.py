"""Every error the API answers has the one documented shape, whichever layer answers it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.api.api import api
from kapclinic.api.schemas import ErrorOut
from kapclinic.measurement.models import Assessment
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "errors"}
    ErrorOut.model_validate(body)
    return body


def test_the_schema_documents_one_error_body_for_every_error_status() -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    documented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorOut", (method, path, status)
                    documented.append(int(status))
    assert {401, 403, 404, 422, 400} <= set(documented)
    error_out = schema["components"]["schemas"]["ErrorOut"]
    assert set(error_out["required"]) == {"detail", "errors"}


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


def _post(client: Client, patient: Patient, body: str) -> Any:
    return client.post(
        f"/api/v1/patients/{patient.public_id}/questionnaire-responses",
        data=body,
        content_type="application/json",
    )


def test_not_signed_in_is_a_401_error_body(patient: Patient) -> None:
    body = _error_of(Client().get(f"/api/v1/patients/{patient.public_id}"), 401)
    assert body == {"detail": "Sign in first.", "errors": []}


def test_a_role_that_may_not_is_a_403_error_body(
    patient: Patient,
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    valid = json.dumps({"instrument": "gad7", "answers": {}})
    response = _post(client_for(Role.FRONT_DESK), patient, valid)
    body = _error_of(response, 403)
    assert body["detail"].startswith("Your role in this clinic does not allow this")
    assert not written(Assessment).exists()


def test_a_write_without_the_csrf_token_is_a_403_error_body(
    patient: Patient,
    demo_user: Callable[[Role], User],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_user(Role.NURSE))
    body = _error_of(_post(client, patient, json.dumps({"instrument": "gad7"})), 403)
    assert "CSRF" in body["detail"]
    assert not written(Assessment).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/not-a-uuid",
        "/api/v1/patients/1/questionnaires-due",
        "/api/v1/patients/00000000-0000-0000-0000-000000000001",
        "/api/v1/patients/%2e%2e%2f1",
        "/api/v1/no-such-operation",
    ],
)
def test_malformed_ids_and_unknown_paths_are_a_404_error_body(
    path: str, client_for: Callable[[Role], Client]
) -> None:
    body = _error_of(client_for(Role.NURSE).get(path), 404)
    assert body == {"detail": "Not found.", "errors": []}


def test_a_body_that_is_not_json_is_a_400_error_body(
    patient: Patient, client_for: Callable[[Role], Client]
) -> None:
    body = _error_of(_post(client_for(Role.NURSE), patient, "{not json"), 400)
    assert body == {"detail": "The request body is not valid JSON.", "errors": []}


def test_an_empty_instrument_is_refused_like_any_invalid_value(
    patient: Patient,
    client_for: Callable[[Role], Client],
    written: Callable[[type[Any]], QuerySet[Any]],
) -> None:
    client = client_for(Role.NURSE)
    empty = _error_of(_post(client, patient, json.dumps({"instrument": "", "answers": {}})), 422)
    unknown = _error_of(_post(client, patient, json.dumps({"instrument": "?", "answers": {}})), 422)
    assert [e["field"] for e in empty["errors"]] == ["instrument"]
    assert [e["field"] for e in unknown["errors"]] == ["instrument"]
    assert not written(Assessment).exists()


def test_an_invalid_query_parameter_is_a_422_naming_it(
    client_for: Callable[[Role], Client],
) -> None:
    body = _error_of(client_for(Role.NURSE).get("/api/v1/patients", {"page": "two"}), 422)
    assert [e["field"] for e in body["errors"]] == ["page"]
