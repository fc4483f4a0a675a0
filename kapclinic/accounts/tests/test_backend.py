"""The authentication backend loads a staff member's memberships with the user (one query):
it must refuse exactly what ModelBackend refuses and see a change of roles on the next request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Role, StaffMembership, User

pytestmark = pytest.mark.django_db


def test_a_deactivated_staff_member_is_signed_out_on_the_next_request(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    client = client_for(Role.NURSE)
    assert client.get(reverse("patients:list")).status_code == 200
    User.objects.filter(pk=demo_user(Role.NURSE).pk).update(is_active=False)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_role_taken_away_stops_working_on_the_next_request(
    client_for: Callable[[Role], Client], demo_user: Callable[[Role], User]
) -> None:
    client = client_for(Role.FRONT_DESK)
    assert client.get(reverse("patients:list")).status_code == 200
    StaffMembership.objects.filter(user=demo_user(Role.FRONT_DESK)).update(is_active=False)
    assert client.get(reverse("patients:list")).status_code == 403
    assert client.get(reverse("accounts:this-session")).status_code == 200  # still signed in


def test_a_portal_patient_without_memberships_is_still_signed_in(
    demo: object, client: Client
) -> None:
    client.force_login(User.objects.get(kind=User.Kind.PATIENT))
    assert client.get(reverse("portal:home")).status_code == 200
