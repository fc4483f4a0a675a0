"""Sessions: sign out everywhere, password change, the staff idle timeout, sign-out audit, and
the account's security page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.accounts.session_state import LAST_ACTIVITY_KEY
from kapclinic.accounts.tests.helpers import Enrolled, SignIn, actions
from kapclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _with_idle_clock(client: Client) -> Client:
    """Start the idle clock now (force_login's sessions never idle out by themselves)."""
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp())
    session.save()
    return client


# --- sign out everywhere --------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_of_the_user(nurse: User) -> None:
    here, elsewhere, colleague = _signed_in(nurse), _signed_in(nurse), Client()
    colleague.force_login(User.objects.exclude(pk=nurse.pk).filter(kind="staff")[0])
    assert elsewhere.get(reverse("today:today")).status_code == 200
    salt_before = nurse.session_salt

    confirm = here.get(reverse("accounts:sign-out-everywhere"))
    assert confirm.status_code == 200  # a GET only asks
    response = here.post(reverse("accounts:sign-out-everywhere"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You were signed out everywhere, including here." in response.content.decode()

    login = reverse("accounts:login")
    assert elsewhere.get(reverse("today:today"))["Location"].startswith(login)
    assert here.get(reverse("today:today"))["Location"].startswith(login)
    assert colleague.get(reverse("today:today")).status_code == 200  # only that user's sessions
    nurse.refresh_from_db()
    assert nurse.session_salt != salt_before
    assert actions(actor=nurse) == ["auth.sign_out_everywhere"]


def test_signing_in_again_after_signing_out_everywhere_works(
    nurse: User,
    enrol: Callable[[User], Enrolled],
    sign_in: SignIn,
) -> None:
    enrolled = enrol(nurse)
    client = _signed_in(nurse)
    client.post(reverse("accounts:sign-out-everywhere"))
    sign_in(client, nurse.email)
    response = client.post(reverse("accounts:two-factor"), {"code": enrolled.next_code()})
    assert response.status_code == 302
    assert client.get(reverse("today:today")).status_code == 200


# --- password change ------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    nurse: User, demo_password: str
) -> None:
    here, elsewhere = _signed_in(nurse), _signed_in(nurse)
    new = "orchid-Lantern-violin-42"
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": demo_password, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Your password was changed. Your other sessions were signed out." in (
        response.content.decode()
    )
    assert here.get(reverse("today:today")).status_code == 200
    assert elsewhere.get(reverse("today:today"))["Location"].startswith(reverse("accounts:login"))
    nurse.refresh_from_db()
    assert nurse.check_password(new)
    assert actions(actor=nurse) == ["auth.password_changed"]


def test_a_weak_new_password_is_refused_with_every_reason_next_to_the_field(
    nurse: User, demo_password: str
) -> None:
    client = _signed_in(nurse)
    html = client.post(
        reverse("accounts:password-change"),
        {"old_password": demo_password, "new_password1": "Ketamine2026", "new_password2": "x"},
    ).content.decode()
    assert "The two password fields didn’t match." in html
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": demo_password,
            "new_password1": "Ketamine2026",
            "new_password2": "Ketamine2026",
        },
    )
    errors = response.context["form"].errors["new_password2"]
    assert any("built around “ketamine”" in e for e in errors)
    assert 'id="id_new_password2_error"' in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.check_password(demo_password)


def test_a_wrong_current_password_counts_towards_the_lockout(
    nurse: User, demo_password: str
) -> None:
    client = _signed_in(nurse)
    data = {"old_password": "guess-guess", "new_password1": "a", "new_password2": "a"}
    for _ in range(4):
        page = client.post(reverse("accounts:password-change"), data)
        assert "That is not your current password." in page.content.decode()
    response = client.post(reverse("accounts:password-change"), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "signing in is paused" in response.content.decode()
    assert actions(actor=nurse, action="auth.lockout") == ["auth.lockout"]


# --- idle timeout ---------------------------------------------------------------------------


def test_staff_are_signed_out_after_the_clinics_idle_minutes(
    nurse: User, clinics: list[Clinic]
) -> None:
    client = _with_idle_clock(_signed_in(nurse))
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(reverse("today:today")).status_code == 200  # activity restarts it
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(reverse("today:today")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=43, seconds=30), tick=False):
        response = client.get(reverse("patients:list"), follow=True)
    assert response.redirect_chain[0][0] == (
        reverse("accounts:login") + "?next=" + reverse("patients:list").replace("/", "%2F")
    )
    assert "You were signed out after 15 minutes without activity." in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.idle_timeout")
    assert event.actor == nurse
    assert event.detail == {"idle_minutes": 15}
    assert event.clinic_public_id == clinics[0].public_id


def test_the_idle_limit_is_the_current_clinics(nurse: User, clinics: list[Clinic]) -> None:
    Clinic.objects.filter(pk=clinics[0].pk).update(idle_timeout_minutes=5)
    client = _with_idle_clock(_signed_in(nurse))
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        response = client.get(reverse("today:today"), follow=True)
    assert "You were signed out after 5 minutes without activity." in response.content.decode()


def test_the_api_answers_401_after_an_idle_timeout(nurse: User) -> None:
    client = _with_idle_clock(_signed_in(nurse))
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("You were signed out after 15 minutes")


def test_patients_are_not_signed_out_by_the_staff_idle_limit(portal_patient: User) -> None:
    client = _with_idle_clock(_signed_in(portal_patient))
    with time_machine.travel(timezone.now() + timedelta(minutes=60), tick=False):
        assert client.get(reverse("portal:home")).status_code == 200


def test_a_real_sign_in_starts_the_idle_clock(
    demo: object,
    settings: Settings,
    demo_password: str,
    sign_in: SignIn,
) -> None:
    settings.DEMO_MODE = True  # the demo login skips 2FA
    client = Client()
    sign_in(client, "nurse@demo.kapclinic.test", demo_password)
    assert client.get(reverse("today:today")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert client.get(reverse("today:today")).status_code == 302


# --- sign-out and the security page ---------------------------------------------------------


def test_signing_out_is_audited(nurse: User) -> None:
    client = _signed_in(nurse)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert actions(actor=nurse) == ["auth.logout"]


def test_the_security_page_shows_the_2fa_status_and_the_ways_out(
    nurse: User, enrol: Callable[[User], Enrolled]
) -> None:
    client = _signed_in(nurse)
    before = client.get(reverse("accounts:security")).content.decode()
    assert "Not set up." in before
    enrol(nurse)
    after = client.get(reverse("accounts:security")).content.decode()
    assert "Recovery codes left: <strong>10</strong> of 10." in after
    for name in ("password-change", "recovery-codes", "sign-out-everywhere"):
        assert f'href="{reverse(f"accounts:{name}")}"' in after
    assert reverse("accounts:staff-two-factor") not in after  # nurses reset nobody


def test_clinic_admins_find_the_staff_2fa_page_on_their_security_page(
    client_for: Callable[[Role], Client],
) -> None:
    page = client_for(Role.CLINIC_ADMIN).get(reverse("accounts:security")).content.decode()
    assert f'href="{reverse("accounts:staff-two-factor")}"' in page
