"""The API publishes its closed vocabularies as enums (issue 12.3): a client generated from
/api/v1/openapi.json knows every occasion and status it may send or receive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import TextChoices
from django.test import Client

from kapclinic.accounts.models import Role
from kapclinic.measurement.models import Assessment, Assignment, Occasion
from kapclinic.patients.models import Diagnosis
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.protocols.definition import Modality, SessionKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client_for: Callable[[Role], Client]) -> dict[str, Any]:
    response = client_for(Role.NURSE).get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A property's schema with $ref followed and anyOf (an optional field) unfolded."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        yield from _resolved(schema, schema["components"]["schemas"][name])
    elif "anyOf" in node:
        for choice in node["anyOf"]:
            yield from _resolved(schema, choice)
    else:
        yield node


def _enum_of(schema: dict[str, Any], component: str, field: str) -> list[str] | None:
    """The enum values a component's field is published with (None: not an enum)."""
    node = schema["components"]["schemas"][component]["properties"][field]
    enums = [n["enum"] for n in _resolved(schema, node) if "enum" in n]
    others = [n for n in _resolved(schema, node) if "enum" not in n and n.get("type") != "null"]
    return enums[0] if len(enums) == 1 and not others else None


def test_every_occasion_is_published_as_the_occasion_enum(schema: dict[str, Any]) -> None:
    fields = [
        (component, "occasion")
        for component, body in schema["components"]["schemas"].items()
        if "occasion" in body.get("properties", {})
    ]
    assert sorted(fields) == [
        ("DueQuestionnaireOut", "occasion"),
        ("QuestionnaireResponseIn", "occasion"),
    ]
    for component, field in fields:
        assert _enum_of(schema, component, field) == list(Occasion.values), component


@pytest.mark.parametrize(
    ("component", "field", "choices"),
    [
        ("DiagnosisOut", "status", Diagnosis.Status),
        ("DueQuestionnaireOut", "state", Assignment.State),
        ("QuestionnaireResponseOut", "status", Assessment.Status),
        ("CourseSummaryOut", "status", Course.Status),
        ("CourseOut", "status", Course.Status),
        ("AppointmentOut", "status", Appointment.Status),
    ],
)
def test_statuses_are_published_as_their_own_enums(
    schema: dict[str, Any], component: str, field: str, choices: type[TextChoices]
) -> None:
    assert _enum_of(schema, component, field) == list(choices.values)


def test_a_courses_treatment_and_a_sessions_kind_are_enums(schema: dict[str, Any]) -> None:
    assert _enum_of(schema, "CourseSummaryOut", "modality") == [m.value for m in Modality]
    assert _enum_of(schema, "AppointmentOut", "kind") == [k.value for k in SessionKind]


def test_the_lists_status_filters_are_enums(schema: dict[str, Any]) -> None:
    for path, choices in (("/courses", Course.Status), ("/appointments", Appointment.Status)):
        parameters = schema["paths"][f"/api/v1{path}"]["get"]["parameters"]
        status = next(p for p in parameters if p["name"] == "status")
        enums = [n["enum"] for n in _resolved(schema, status["schema"]) if "enum" in n]
        assert enums == [list(choices.values)], path
