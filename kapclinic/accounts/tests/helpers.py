"""Helpers for the sign-in tests (fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pyotp
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.audit.models import AuditEvent

CLIENT_IP = "127.0.0.1"  # what Django's test client sends as REMOTE_ADDR


@dataclass(frozen=True)
class Enrolled:
    user: User
    secret: str
    recovery_codes: list[str]

    def code(self, at: datetime | None = None) -> str:
        return pyotp.TOTP(self.secret).at(at or timezone.now())

    def next_code(self) -> str:
        """The code of the next 30-second step: still accepted (clock drift), and never the
        one used a moment ago."""
        return pyotp.TOTP(self.secret).at(timezone.now(), counter_offset=1)


def staff_of(clinic: Clinic, role: Role) -> User:
    """A generated staff member (not a demo login) with ``role`` in ``clinic``."""
    membership = (
        StaffMembership.objects.filter(
            clinic=clinic, role=role, user__email__endswith="@staff.example.org"
        )
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert membership is not None
    return membership.user


class SignIn(Protocol):
    """The ``sign_in`` fixture: submit the login form (the demo password unless given) and
    return the redirect target, or "" when the form was shown again."""

    def __call__(
        self, client: Client, email: str, password: str | None = None, next_url: str = ""
    ) -> str: ...


def submit_login(client: Client, email: str, password: str, next_url: str = "") -> str:
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("accounts:login"), data)
    return response["Location"] if response.status_code == 302 else ""


def actions(**filters: object) -> list[str]:
    """The audited actions matching ``filters``, without the demo's ledger entries (the demo's
    staff post its stock histories; these tests are about sign-in and sessions)."""
    rows = AuditEvent.objects.filter(**filters).exclude(action__startswith="ledger.")
    return list(rows.values_list("action", flat=True))
