"""The "This session" page: who, where, how signed in, and when an idle session ends. It is the
benchmark's signed-in floor (bench/scenarios.py), so it must stay as cheap as any staff page
can be: the session, the user, their memberships and the base layout's own reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.session_state import METHOD_KEY
from kapclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _as(client: Client, method: str) -> Client:
    session = client.session
    session[METHOD_KEY] = method
    session.save()
    return client


def test_it_says_who_where_and_how_the_session_is_signed_in(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    clinics: list[Clinic],
) -> None:
    client = _as(client_for(Role.NURSE), "recovery_code")
    response = client.get(reverse("accounts:this-session"))
    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    nurse = demo_user(Role.NURSE)
    home = response.wsgi_request.clinic  # type: ignore[attr-defined]
    assert home in clinics
    assert f"{nurse.display_name} ({nurse.email})" in page
    assert f"{home.name}, as Nurse" in page
    assert "your password and a recovery code" in page
    assert f"After {home.idle_timeout_minutes} minutes without activity." in page


def test_an_unknown_sign_in_method_is_not_named(client_for: Callable[[Role], Client]) -> None:
    page = _as(client_for(Role.NURSE), "test").get(reverse("accounts:this-session"))
    assert "Signed in with" not in page.content.decode()


def test_a_portal_patient_sees_their_session_without_staff_details(
    demo: object, client: Client
) -> None:
    patient = User.objects.get(kind=User.Kind.PATIENT)
    client.force_login(patient)
    page = _as(client, "link").get(reverse("accounts:this-session")).content.decode()
    assert "a one-time sign-in link sent to your e-mail" in page
    assert "Working in" not in page
    assert "Idle sign-out" not in page


def test_the_security_page_links_to_it(client_for: Callable[[Role], Client]) -> None:
    page = client_for(Role.FRONT_DESK).get(reverse("accounts:security")).content.decode()
    assert f'href="{reverse("accounts:this-session")}"' in page


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN, Role.RESEARCHER])
def test_it_reads_only_what_every_page_reads_and_writes_nothing(
    client_for: Callable[[Role], Client], role: Role
) -> None:
    """The signed-in floor: the session, the user with their memberships (one query), then
    the base layout's notices, safety banner and to-do badge (a researcher has no banner and
    no list to count)."""
    client = client_for(role)
    url = reverse("accounts:this-session")
    client.get(url)
    audited = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert AuditEvent.objects.count() == audited
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    expected = {Role.RESEARCHER: 3, Role.FRONT_DESK: 5, Role.CLINIC_ADMIN: 5}[role]
    assert len(queries.captured_queries) == expected, [q["sql"] for q in queries.captured_queries]
