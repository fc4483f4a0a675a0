"""Where sign-in sends the user afterwards (``next``): a local page that exists, else the home
page. An unsafe (another host) or unresolvable ``next`` once crashed the sign-in (a 500 after
the password was accepted) because redirect() tried to reverse it as a URL name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import User
from kapclinic.accounts.tests.helpers import Enrolled, SignIn

# Names that are no URL name and no path, another host, a path that does not exist, a header
# injection attempt.
BAD_NEXT = [
    "foo",
    "-1",
    "NaN",
    "null",
    "accounts:login",
    "https://evil.example/",
    "//evil.example/",
    "/no/such/page/",
    "/today/\r\nSet-Cookie: x=1",
]


@pytest.fixture
def home() -> str:
    return reverse("today:home")


@pytest.mark.parametrize("next_url", BAD_NEXT)
def test_a_signed_in_user_with_a_bad_next_goes_home(next_url: str, nurse: User, home: str) -> None:
    client = Client()
    client.force_login(nurse)
    response = client.get(reverse("accounts:login"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == home


def test_a_patient_signing_in_with_a_bad_next_goes_home(
    portal_patient: User, sign_in: SignIn, home: str
) -> None:
    for next_url in BAD_NEXT:
        client = Client()
        assert sign_in(client, portal_patient.email, next_url=next_url) == home, next_url


def test_a_bad_next_survives_the_second_step_as_the_home_page(
    nurse: User, enrol: Callable[[User], Enrolled], sign_in: SignIn, home: str
) -> None:
    enrolled = enrol(nurse)
    # One recovery code per round: each code is accepted once.
    for next_url, code in zip(
        ("foo", "null", "https://evil.example/"), enrolled.recovery_codes, strict=False
    ):
        client = Client()
        assert sign_in(client, nurse.email, next_url=next_url) == reverse("accounts:two-factor")
        response = client.post(reverse("accounts:two-factor"), {"code": code})
        assert response["Location"] == home, next_url


def test_a_bad_next_survives_enrolment_as_the_home_page(
    nurse: User, sign_in: SignIn, home: str
) -> None:
    client = Client()
    assert sign_in(client, nurse.email, next_url="NaN") == reverse("accounts:two-factor-enrol")
    html = client.get(reverse("accounts:two-factor-enrol")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
    done = client.post(reverse("accounts:two-factor-enrol"), {"code": code})
    assert done.status_code == 200
    assert f'<a href="{home}">I have saved my codes, continue</a>' in done.content.decode()


def test_a_good_next_is_kept(portal_patient: User, nurse: User, sign_in: SignIn) -> None:
    wanted = reverse("portal:home") + "?tab=1"
    assert sign_in(Client(), portal_patient.email, next_url=wanted) == wanted
    client = Client()
    client.force_login(nurse)
    wanted = reverse("patients:list")
    response = client.get(reverse("accounts:login"), {"next": f"http://testserver{wanted}"})
    assert response["Location"] == f"http://testserver{wanted}"
