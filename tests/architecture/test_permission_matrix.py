"""The permission matrix is the single source of truth, and every route obeys it.

1. Every URL pattern and API operation declares a capability (or is on the public list).
2. For every route and every role, the response is exactly what the matrix allows:
   allowed roles get their page, everyone else 403 (the admin site sends them to its login).
3. docs/permissions.md is the rendering of the matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import uuid4

import pytest
from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.permissions import (
    ALL_ROLES,
    MATRIX,
    PATIENT,
    Capability,
    allows,
    render_markdown,
)
from kapclinic.api.api import api
from kapclinic.demo.generator import GenerationResult
from kapclinic.patients.models import Patient
from tests.architecture.routes_administration import administration_routes
from tests.architecture.routes_calendar import calendar_routes
from tests.architecture.routes_consent import consent_routes
from tests.architecture.routes_diagnoses import diagnosis_routes
from tests.architecture.routes_dosing import dosing_routes
from tests.architecture.routes_dosing_checks import dosing_check_routes
from tests.architecture.routes_dosing_console import dosing_console_routes
from tests.architecture.routes_dosing_notes import dosing_notes_routes
from tests.architecture.routes_ledger import ledger_routes
from tests.architecture.routes_ledger_counts import count_routes
from tests.architecture.routes_ledger_reports import ledger_report_routes
from tests.architecture.routes_measurement import measurement_routes, patient_mode_routes
from tests.architecture.routes_outcome_graph import outcome_graph_routes
from tests.architecture.routes_plans import plan_routes
from tests.architecture.routes_portal import portal_routes
from tests.architecture.routes_preparation import preparation_routes
from tests.architecture.routes_referrals import referral_routes
from tests.architecture.routes_safety import safety_routes
from tests.architecture.routes_scheduling import scheduling_routes
from tests.architecture.routes_screening import screening_routes
from tests.architecture.routing import Call, World
from tests.architecture.test_urls import PUBLIC_VIEWS

ROOT = Path(__file__).resolve().parents[2]


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}", entry.callback


def _api_operations() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, path, operation.view_func


def test_every_url_declares_a_capability_or_is_public() -> None:
    uncovered = [
        name
        for name, view in _walk(get_resolver().url_patterns)
        if not name.startswith(("admin:", "api:"))
        or name in {"api:openapi-json", "api:openapi-view"}
        if name not in PUBLIC_VIEWS
        and not isinstance(getattr(view, "capability", None), Capability)
    ]
    assert uncovered == []


def test_every_api_operation_declares_a_capability() -> None:
    operations = list(_api_operations())
    assert operations
    uncovered = [
        f"{m} {p}"
        for m, p, view in operations
        if not isinstance(getattr(view, "capability", None), Capability)
    ]
    assert uncovered == []


def test_every_capability_is_granted_to_someone_and_roles_are_known() -> None:
    for capability in Capability:
        assert MATRIX[capability], capability
        assert MATRIX[capability] <= set(ALL_ROLES)


def test_the_docs_show_the_current_matrix() -> None:
    path = ROOT / "docs" / "permissions.md"
    assert path.read_text(encoding="utf-8") == render_markdown(), (
        "docs/permissions.md is stale: run `manage.py render_permission_matrix`"
    )


def test_researchers_never_get_a_capability_that_shows_names() -> None:
    named = {
        Capability.VIEW_PATIENTS,
        Capability.VIEW_CHART,
        Capability.VIEW_OUTCOMES,
        Capability.VIEW_AUDIT,
        Capability.BREAK_GLASS,
    }
    assert not any(allows({Role.RESEARCHER}, c) for c in named)


# --- every route x every role ---------------------------------------------------------------


def _routes(world: World) -> dict[str, Call]:
    """One real request per route. A route missing here fails test_every_route_is_exercised."""
    chart = reverse("patients:chart", args=[world.patient.public_id])
    api_patient = f"/api/v1/patients/{world.patient.public_id}"
    routes = {
        "today:home": Call(
            "GET", reverse("today:home"), Capability.MANAGE_OWN_ACCOUNT, ok=frozenset({302})
        ),
        "today:today": Call("GET", reverse("today:today"), Capability.VIEW_TODAY),
        "today:outcomes": Call("GET", reverse("today:outcomes"), Capability.VIEW_OUTCOMES),
        "today:aggregates": Call("GET", reverse("today:aggregates"), Capability.VIEW_AGGREGATES),
        "patients:list": Call("GET", reverse("patients:list"), Capability.VIEW_PATIENTS),
        "patients:search": Call(
            "POST", reverse("patients:search"), Capability.VIEW_PATIENTS, data={"q": "a"}
        ),
        "patients:chart": Call("GET", chart, Capability.VIEW_CHART),
        "patients:merge": Call(
            "GET",
            reverse("patients:merge", args=[world.patient.public_id]),
            Capability.MERGE_PATIENTS,
        ),
        "patients:timeline": Call(
            "GET",
            reverse("patients:timeline", args=[world.patient.public_id]),
            Capability.VIEW_CHART,
        ),
        "patients:register": Call("GET", reverse("patients:register"), Capability.EDIT_PATIENT),
        "patients:measurements": Call(
            "GET",
            reverse("patients:measurements", args=[world.patient.public_id]),
            Capability.RECORD_MEASUREMENTS,
        ),
        "patients:contacts": Call(
            "GET",
            reverse("patients:contacts", args=[world.patient.public_id]),
            Capability.EDIT_PATIENT,
        ),
        # No choice posted: refused with a message, back to the chart.
        "patients:email-reminders": Call(
            "POST",
            reverse("patients:email-reminders", args=[world.patient.public_id]),
            Capability.EDIT_PATIENT,
            ok=frozenset({302}),
        ),
        "patients:history": Call(
            "GET",
            reverse("patients:history", args=[world.patient.public_id]),
            Capability.RECORD_HISTORY,
        ),
        "patients:edit": Call(
            "GET",
            reverse("patients:edit", args=[world.patient.public_id]),
            Capability.EDIT_PATIENT,
        ),
        "patients:break-glass": Call(
            "GET", reverse("patients:break-glass"), Capability.BREAK_GLASS
        ),
        "audit:report": Call("GET", reverse("audit:report"), Capability.VIEW_AUDIT),
        "audit:export": Call("GET", reverse("audit:export"), Capability.VIEW_AUDIT),
        "accounts:switch-clinic": Call(
            "POST",
            reverse("accounts:switch-clinic"),
            Capability.MANAGE_OWN_ACCOUNT,
            data={"clinic": str(world.home.public_id)},
            ok=frozenset({302}),
        ),
        # Someone else's (here: no) notice answers 404 to those allowed to dismiss their own.
        "today:dismiss-notice": Call(
            "POST",
            reverse("today:dismiss-notice", args=[uuid4()]),
            Capability.MANAGE_OWN_ACCOUNT,
            ok=frozenset({404}),
        ),
        "accounts:logout": Call(
            "POST", reverse("accounts:logout"), Capability.MANAGE_OWN_ACCOUNT, ok=frozenset({302})
        ),
        "api:openapi-json": Call("GET", "/api/v1/openapi.json", Capability.MANAGE_OWN_ACCOUNT),
        "api:openapi-view": Call("GET", "/api/v1/docs", Capability.MANAGE_OWN_ACCOUNT),
        "api GET /me": Call("GET", "/api/v1/me", Capability.MANAGE_OWN_ACCOUNT),
        "api GET /patients": Call("GET", "/api/v1/patients", Capability.VIEW_PATIENTS),
        "api GET /patients/{public_id}": Call("GET", api_patient, Capability.VIEW_CHART),
        # Signed in with both steps already: the code page sends the user on.
        "accounts:two-factor": Call(
            "GET",
            reverse("accounts:two-factor"),
            Capability.MANAGE_OWN_ACCOUNT,
            ok=frozenset({302}),
        ),
        "accounts:two-factor-enrol": Call(
            "GET", reverse("accounts:two-factor-enrol"), Capability.MANAGE_OWN_ACCOUNT
        ),
        "accounts:security": Call(
            "GET", reverse("accounts:security"), Capability.MANAGE_OWN_ACCOUNT
        ),
        "accounts:this-session": Call(
            "GET", reverse("accounts:this-session"), Capability.MANAGE_OWN_ACCOUNT
        ),
        "accounts:password-change": Call(
            "GET", reverse("accounts:password-change"), Capability.MANAGE_OWN_ACCOUNT
        ),
        # Without 2FA there are no recovery codes: back to the security page.
        "accounts:recovery-codes": Call(
            "GET",
            reverse("accounts:recovery-codes"),
            Capability.MANAGE_OWN_ACCOUNT,
            ok=frozenset({302}),
        ),
        "accounts:staff-two-factor": Call(
            "GET", reverse("accounts:staff-two-factor"), Capability.RESET_STAFF_2FA
        ),
        "accounts:staff-two-factor-reset": Call(
            "GET",
            reverse("accounts:staff-two-factor-reset", args=[_colleague(world).public_id]),
            Capability.RESET_STAFF_2FA,
        ),
        # POSTed, it ends every session of the user: keep it last.
        "accounts:sign-out-everywhere": Call(
            "GET", reverse("accounts:sign-out-everywhere"), Capability.MANAGE_OWN_ACCOUNT
        ),
    }
    routes.update(referral_routes(world))
    routes.update(ledger_report_routes(world))
    routes.update(screening_routes(world))
    routes.update(consent_routes(world))
    routes.update(diagnosis_routes(world))
    routes.update(portal_routes(world))
    routes.update(measurement_routes(world))
    routes.update(safety_routes(world))
    routes.update(plan_routes(world))
    routes.update(outcome_graph_routes(world))
    routes.update(administration_routes(world))
    routes.update(scheduling_routes(world))
    routes.update(calendar_routes(world))
    routes.update(ledger_routes(world))
    routes.update(preparation_routes(world))
    routes.update(count_routes(world))
    routes.update(dosing_check_routes(world))
    routes.update(dosing_console_routes(world))
    routes.update(dosing_notes_routes(world))
    routes.update(dosing_routes(world))
    routes.update(patient_mode_routes(world))  # last: it hands the session to a patient
    return routes


def _colleague(world: World) -> User:
    """A staff member of the home clinic who is not one of the demo logins."""
    colleague = (
        User.objects.filter(memberships__clinic=world.home, email__endswith="@staff.example.org")
        .order_by("id")
        .first()
    )
    assert colleague is not None
    return colleague


def _route_names() -> set[str]:
    names = {
        name
        for name, _ in _walk(get_resolver().url_patterns)
        if not name.startswith(("admin:", "api:")) and name not in PUBLIC_VIEWS
    }
    names |= {"api:openapi-json", "api:openapi-view"}
    names |= {f"api {m} {p}".replace("//", "/") for m, p, _ in _api_operations()}
    return names


@pytest.fixture
def world(demo: GenerationResult, clinics: list[Clinic]) -> World:
    home = clinics[0]
    return World(home=home, patient=Patient.objects.filter(clinic=home).order_by("id")[0])


def _client_for_role(role: str, world: World, demo_user: Callable[[Role], User]) -> Client:
    client = Client()
    if role == PATIENT:
        user = User.objects.create_user(
            "portal.patient@example.org",
            "x" * 20,
            full_name="Portal Patient",
            kind=User.Kind.PATIENT,
        )
        Patient.objects.filter(pk=world.patient.pk).update(portal_user=user)
    else:
        user = demo_user(Role(role))
    client.force_login(user)
    return client


def test_every_route_is_exercised(world: World) -> None:
    routes = _routes(world)
    assert set(routes) == _route_names()
    for name, call in routes.items():
        assert call.capability in MATRIX, name


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_gets_exactly_what_the_matrix_allows(
    role: str, world: World, demo_user: Callable[[Role], User]
) -> None:
    client = _client_for_role(role, world, demo_user)
    wrong = []
    for name, call in _routes(world).items():
        if name == "accounts:logout":
            continue  # checked last: it ends the session
        response = _send(client, call)
        expected = call.ok if allows({role}, call.capability) else frozenset({403})
        if response.status_code not in expected:
            wrong.append(f"{name}: {response.status_code}, expected {sorted(expected)}")
    logout = _routes(world)["accounts:logout"]
    response = client.post(logout.url)
    assert response.status_code in logout.ok
    assert wrong == []


def _send(client: Client, call: Call) -> _MonkeyPatchedWSGIResponse:
    if call.json is not None:
        return client.generic(
            call.method, call.url, data=json.dumps(call.json), content_type="application/json"
        )
    return client.generic(
        call.method,
        call.url,
        data=_form(call.data),
        content_type="application/x-www-form-urlencoded",
    )


def _form(data: dict[str, str] | None) -> str:
    return urlencode(data or {})
