"""The "This session" page: who, where, how signed in, and when an idle session ends. It is the
benchmark's signed-in floor (bench/scenarios.py); what it reads is pinned in
kapclinic/today/tests/test_layout.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.session_state import METHOD_KEY

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
