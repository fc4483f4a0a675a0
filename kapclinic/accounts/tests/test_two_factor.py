"""Two-factor authentication: enrolment with a confirmed code, the two-step sign-in, single-use
recovery codes, the demo exception, and the gate that holds half-signed-in sessions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.credentials import (
    matching_totp_step,
    recovery_code_hash,
    totp_step,
)
from kapclinic.accounts.models import (
    AuthThrottleEvent,
    RecoveryCode,
    Role,
    TwoFactorDevice,
    User,
)
from kapclinic.accounts.session_state import VERIFIED_KEY
from kapclinic.accounts.tests.helpers import Enrolled, SignIn, actions
from kapclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _secret_on(page: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert match, "the enrolment page shows the key for manual entry"
    return match.group(1).replace(" ", "")


# --- the rules themselves (pure) ------------------------------------------------------------


def test_totp_codes_match_pyotp_within_one_step_of_drift() -> None:
    secret = pyotp.random_base32()
    now = timezone.now()
    totp = pyotp.TOTP(secret)
    assert matching_totp_step(secret, totp.at(now), now) == totp_step(now)
    assert matching_totp_step(secret, totp.at(now - timedelta(seconds=30)), now) is not None
    assert matching_totp_step(secret, totp.at(now + timedelta(seconds=30)), now) is not None
    assert matching_totp_step(secret, totp.at(now - timedelta(seconds=90)), now) is None
    assert matching_totp_step(secret, "12345a", now) is None
    # A step at or before the last accepted one never matches again.
    assert matching_totp_step(secret, totp.at(now), now, newer_than=totp_step(now)) is None


# --- enrolment ------------------------------------------------------------------------------


def test_staff_without_2fa_enrol_at_first_sign_in_then_reach_the_page_they_wanted(
    nurse: User,
    sign_in: SignIn,
) -> None:
    client = Client()
    wanted = reverse("patients:list")
    assert sign_in(client, nurse.email, next_url=wanted) == reverse("accounts:two-factor-enrol")
    # Every other page (and the API) waits for the second step.
    assert client.get(reverse("today:today"))["Location"] == reverse("accounts:two-factor-enrol")
    assert client.get(wanted)["Location"] == reverse("accounts:two-factor-enrol")
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.json() == {
        "detail": "Finish signing in: two-factor authentication is needed.",
        "errors": [],
    }

    page = client.get(reverse("accounts:two-factor-enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    secret = _secret_on(html)
    assert _secret_on(client.get(reverse("accounts:two-factor-enrol")).content.decode()) == secret
    assert "Notices for you" not in html  # nothing of the clinic before the second step

    wrong = client.post(reverse("accounts:two-factor-enrol"), {"code": "123456"})
    assert "That code does not match." in wrong.content.decode()
    assert not TwoFactorDevice.objects.filter(user=nurse).exists()

    done = client.post(reverse("accounts:two-factor-enrol"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert done["Cache-Control"].startswith("max-age=0")
    codes = re.findall(r"<code>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</code>", done.content.decode())
    assert len(codes) == 10
    assert f'href="{wanted}"' in done.content.decode()
    assert client.get(wanted).status_code == 200

    device = TwoFactorDevice.objects.get(user=nurse)
    assert device.secret == secret
    assert actions(actor=nurse) == ["auth.password_accepted", "auth.2fa_enrolled", "auth.login"]
    enrolled = AuditEvent.objects.get(action="auth.2fa_enrolled")
    assert enrolled.changes == {"two_factor": ["off", "on"], "recovery_codes_left": [0, 10]}


def test_the_qr_code_is_inline_svg_without_script_or_style(nurse: User, sign_in: SignIn) -> None:
    client = Client()
    sign_in(client, nurse.email)
    html = client.get(reverse("accounts:two-factor-enrol")).content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert svg is not None
    markup = svg.group(0)
    assert 'class="qr-code"' in markup
    assert 'role="img"' in markup
    assert '<title id="qr-code-title">QR code for your authenticator app</title>' in markup
    assert "style" not in markup
    assert "<script" not in markup
    assert 'autocomplete="one-time-code"' in html


def test_the_enrolment_code_field_reports_errors_next_to_it(nurse: User, sign_in: SignIn) -> None:
    client = Client()
    sign_in(client, nurse.email)
    html = client.post(reverse("accounts:two-factor-enrol"), {"code": "abc"}).content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_code_helptext id_code_error"' in html
    assert (
        '<small class="field-error" id="id_code_error">Enter the 6 digits your authenticator '
        "app shows now.</small>" in html
    )


# --- signing in with a code -----------------------------------------------------------------


def test_an_enrolled_user_signs_in_with_password_then_code(
    nurse: User,
    enrol: Callable[[User], Enrolled],
    sign_in: SignIn,
) -> None:
    enrolled = enrol(nurse)
    client = Client()
    wanted = reverse("patients:list")
    assert sign_in(client, nurse.email, next_url=wanted) == reverse("accounts:two-factor")
    assert client.get(wanted)["Location"] == reverse("accounts:two-factor")
    page = client.get(reverse("accounts:two-factor"))
    assert 'autocomplete="one-time-code"' in page.content.decode()

    response = client.post(reverse("accounts:two-factor"), {"code": enrolled.next_code()})
    assert response["Location"] == wanted
    assert client.session[VERIFIED_KEY] is True
    assert client.get(wanted).status_code == 200
    login = AuditEvent.objects.filter(actor=nurse, action="auth.login").get()
    assert login.detail == {"method": "totp"}


def test_a_totp_code_is_accepted_only_once(nurse: User, enrol: Callable[[User], Enrolled]) -> None:
    enrolled = enrol(nurse)
    now = timezone.now()
    code = enrolled.code(now)
    first = services.verify_second_factor(
        actor=Actor.for_user(nurse), code=code, ip_address=None, now=now
    )
    again = services.verify_second_factor(
        actor=Actor.for_user(nurse), code=code, ip_address=None, now=now
    )
    assert first.method == "totp"
    assert again.method is None
    assert AuthThrottleEvent.objects.filter(kind=AuthThrottleEvent.Kind.CODE_FAILED).count() == 1


def test_recovery_codes_sign_in_once_each_and_are_stored_hashed(
    nurse: User,
    enrol: Callable[[User], Enrolled],
    sign_in: SignIn,
) -> None:
    enrolled = enrol(nurse)
    stored = set(RecoveryCode.objects.filter(user=nurse).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in enrolled.recovery_codes}
    assert recovery_code_hash(str(nurse.public_id), enrolled.recovery_codes[0]) in stored

    client = Client()
    sign_in(client, nurse.email)
    code = enrolled.recovery_codes[0].lower().replace("-", " ")  # forgiving about the format
    response = client.post(reverse("accounts:two-factor"), {"code": code}, follow=True)
    assert response.status_code == 200
    assert "You signed in with a recovery code; 9 left." in response.content.decode()
    used = AuditEvent.objects.get(action="auth.recovery_code_used")
    assert used.changes == {"recovery_codes_left": [10, 9]}

    other = Client()
    sign_in(other, nurse.email)
    again = other.post(reverse("accounts:two-factor"), {"code": enrolled.recovery_codes[0]})
    assert "That code is not right." in again.content.decode()
    assert VERIFIED_KEY not in other.session or other.session[VERIFIED_KEY] is False


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(
    client_for: Callable[[Role], Client],
    demo_user: Callable[[Role], User],
    enrol: Callable[[User], Enrolled],
    demo_password: str,
) -> None:
    nurse = demo_user(Role.NURSE)
    enrolled = enrol(nurse)
    client = client_for(Role.NURSE)
    url = reverse("accounts:recovery-codes")
    assert client.get(url).status_code == 200

    wrong = client.post(url, {"password": "not-my-password"})
    assert "That is not your current password." in wrong.content.decode()
    assert AuthThrottleEvent.objects.filter(kind=AuthThrottleEvent.Kind.PASSWORD_FAILED).exists()

    done = client.post(url, {"password": demo_password})
    new_codes = re.findall(r"<code>([A-Z0-9-]{14})</code>", done.content.decode())
    assert len(new_codes) == 10
    assert "the old ones no longer work" in done.content.decode()
    now = timezone.now()
    old = services.verify_second_factor(
        actor=Actor.for_user(nurse), code=enrolled.recovery_codes[1], ip_address=None, now=now
    )
    assert old.method is None
    new = services.verify_second_factor(
        actor=Actor.for_user(nurse), code=new_codes[0], ip_address=None, now=now
    )
    assert new.method == "recovery_code"
    assert "auth.recovery_codes_regenerated" in actions(actor=nurse)


def test_without_2fa_there_are_no_recovery_codes_to_renew(
    client_for: Callable[[Role], Client],
) -> None:
    response = client_for(Role.NURSE).get(reverse("accounts:recovery-codes"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:security")
    assert "Set up two-factor authentication first" in response.content.decode()


# --- patients -------------------------------------------------------------------------------


def test_a_patient_without_2fa_signs_in_with_the_password_alone(
    portal_patient: User, sign_in: SignIn
) -> None:
    client = Client()
    assert sign_in(client, portal_patient.email) == reverse("today:home")
    assert client.get(reverse("portal:home")).status_code == 200
    assert AuditEvent.objects.get(action="auth.login").detail == {"method": "password"}


def test_a_patient_may_turn_on_2fa_and_is_then_asked_for_codes(
    portal_patient: User, sign_in: SignIn
) -> None:
    client = Client()
    sign_in(client, portal_patient.email)
    security = client.get(reverse("accounts:security")).content.decode()
    assert "Set up two-factor authentication" in security
    secret = _secret_on(client.get(reverse("accounts:two-factor-enrol")).content.decode())
    done = client.post(reverse("accounts:two-factor-enrol"), {"code": pyotp.TOTP(secret).now()})
    assert f'href="{reverse("accounts:security")}"' in done.content.decode()

    again = Client()
    assert sign_in(again, portal_patient.email) == reverse("accounts:two-factor")
    assert again.get(reverse("portal:home"))["Location"] == reverse("accounts:two-factor")


# --- any way in is held to the second step ---------------------------------------------------


def test_a_session_signed_in_some_other_way_must_still_pass_the_second_step(
    nurse: User, demo_password: str
) -> None:
    client = Client()
    assert client.login(username=nurse.email, password=demo_password)  # no verified flag
    assert client.get(reverse("today:today"))["Location"] == reverse("accounts:two-factor-enrol")


def test_the_admin_sites_own_login_form_sends_to_the_app_login(
    demo: object, demo_user: Callable[[Role], User], demo_password: str
) -> None:
    client = Client()
    admin = demo_user(Role.CLINIC_ADMIN)
    response = client.get(reverse("admin:login"))
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fadmin%2F"
    posted = client.post(
        reverse("admin:login"), {"username": admin.email, "password": demo_password}
    )
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session  # no sign-in around throttling and 2FA


# --- the demo profile ------------------------------------------------------------------------


def test_demo_logins_skip_2fa_only_in_the_demo_profile(
    demo: object, demo_user: Callable[[Role], User], settings: Settings, sign_in: SignIn
) -> None:
    email = demo_user(Role.PRESCRIBER).email
    settings.DEMO_MODE = False
    assert sign_in(Client(), email) == reverse("accounts:two-factor-enrol")

    settings.DEMO_MODE = True
    client = Client()
    assert sign_in(client, email) == reverse("today:home")
    page = client.get(reverse("today:today"), follow=True).content.decode()
    assert '<aside class="demo-banner" aria-label="Demo mode">' in page
    assert AuditEvent.objects.filter(action="auth.login").latest("id").detail == {"method": "demo"}

    # Switching the demo profile off ends the exemption for sessions that already have it.
    settings.DEMO_MODE = False
    assert client.get(reverse("today:today"))["Location"] == reverse("accounts:two-factor-enrol")


def test_other_staff_never_skip_2fa_even_in_the_demo_profile(
    nurse: User,
    settings: Settings,
    sign_in: SignIn,
) -> None:
    settings.DEMO_MODE = True
    assert sign_in(Client(), nurse.email) == reverse("accounts:two-factor-enrol")


def test_there_is_no_demo_banner_outside_the_demo_profile(
    client_for: Callable[[Role], Client],
) -> None:
    page = client_for(Role.NURSE).get(reverse("today:today")).content.decode()
    assert "demo-banner" not in page
    assert "demo-banner" not in Client().get(reverse("accounts:login")).content.decode()
