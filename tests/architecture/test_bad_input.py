"""Bad input never reaches a 500: every route, for a role allowed to use it, answers garbage
query strings and form bodies with a 4xx or a normal page, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.permissions import ALL_ROLES, allows
from kapclinic.demo.generator import GenerationResult
from kapclinic.measurement.models import Assignment, SafetyTask
from kapclinic.patients.models import BreakGlassGrant, Diagnosis, Patient
from kapclinic.screening.models import Screening
from tests.architecture.routing import World
from tests.architecture.test_permission_matrix import _routes

GARBAGE = [
    {"page": "-1", "q": "' OR 1=1 --", "clinic": "<script>alert(1)</script>"},
    {"page": "99999999999999999999", "date_from": "31/02/2026", "user": "nan"},
    {"patient": "00000000-0000-0000-0000-000000000000", "operation": "\x00", "action": "x" * 500},
    {"patient_mrn": "😀" * 30, "clinic": "9" * 40, "mrn": "", "reason": "\u202e" * 20},
    {"form": "add", "icd10_code": "F33.1\x00", "noted_on": "2026-02-31", "diagnosis": "1"},
    {"form": "change", "diagnosis": "nan", "change": "\x00", "q": "F" * 5000},
    {"action": "other", "note": "\u202e" * 20, "cleared_for_dosing": "maybe"},
]


@pytest.fixture
def world(demo: GenerationResult, clinics: list[Clinic]) -> World:
    home = clinics[0]
    return World(home=home, patient=Patient.objects.filter(clinic=home).order_by("id")[0])


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != "patient"])
def test_garbage_never_causes_a_server_error(
    role: str, world: World, demo_user: Callable[[Role], User]
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(demo_user(Role(role)))
    diagnoses = Diagnosis.objects.count()
    handled = set(SafetyTask.objects.exclude(status=SafetyTask.Status.OPEN).values_list("pk"))
    failures = []
    for name, call in _routes(world).items():
        if name == "accounts:logout" or not allows({role}, call.capability):
            continue
        for params in GARBAGE:
            get = client.get(call.url, params)
            post = client.post(call.url, params)
            for method, response in (("GET", get), ("POST", post)):
                if response.status_code >= 500:
                    failures.append(f"{method} {name} {params}: {response.status_code}")
    assert failures == []
    assert not BreakGlassGrant.objects.exists()
    # Among the garbage: a "reason" of 20 invisible bidi overrides, which must not pass as one.
    assert not Screening.objects.filter(status=Screening.Status.ENTERED_IN_ERROR).exists()
    assert Diagnosis.objects.count() == diagnoses
    # "Other" with only invisible characters as its note must not acknowledge a safety task.
    assert SafetyTask.objects.exists()
    assert set(SafetyTask.objects.exclude(status=SafetyTask.Status.OPEN).values_list("pk")) == (
        handled
    )
    assert not Assignment.objects.filter(status=Assignment.Status.CANCELLED).exists()
