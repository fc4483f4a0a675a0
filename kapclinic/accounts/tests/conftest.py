"""Fixtures for the sign-in tests: generated staff, the demo portal patient, and an enrolled
authenticator whose secret the test knows."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.credentials import new_totp_secret
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.tests.helpers import Enrolled, SignIn, staff_of, submit_login


@pytest.fixture
def nurse(demo: object, clinics: list[Clinic]) -> User:
    """A generated nurse of the first clinic (not a demo login)."""
    return staff_of(clinics[0], Role.NURSE)


@pytest.fixture
def portal_patient(demo: object) -> User:
    """The generator's one patient with a portal login."""
    return User.objects.get(kind=User.Kind.PATIENT)


@pytest.fixture
def sign_in(demo_password: str) -> SignIn:
    def submit(client: Client, email: str, password: str | None = None, next_url: str = "") -> str:
        return submit_login(client, email, password or demo_password, next_url)

    return submit


@pytest.fixture
def enrol() -> Callable[[User], Enrolled]:
    """Turn on 2FA for a user the way the enrolment page does, keeping the secret."""

    def make(user: User) -> Enrolled:
        secret = new_totp_secret()
        past = timezone.now().replace(year=2020)  # an old step, so today's codes are fresh
        codes = services.confirm_two_factor(
            actor=Actor.for_user(user),
            secret=secret,
            code=pyotp.TOTP(secret).at(past),
            now=past,
        )
        assert codes is not None
        return Enrolled(user, secret, codes)

    return make
