"""A clinic admin resets a colleague's 2FA: only for staff of their clinic, with a reason,
audited with the state before and after; the colleague enrols again at next sign-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Clinic, RecoveryCode, Role, TwoFactorDevice, User
from kapclinic.accounts.tests.helpers import Enrolled, SignIn, staff_of
from kapclinic.audit.models import AuditEvent, Operation

pytestmark = pytest.mark.django_db
REASON = "Lost phone; identity checked in person at the front desk"


@pytest.fixture
def admin_client(client_for: Callable[[Role], Client]) -> Client:
    return client_for(Role.CLINIC_ADMIN)


def _reset_url(user: User) -> str:
    return reverse("accounts:staff-two-factor-reset", args=[user.public_id])


def test_the_staff_page_lists_the_clinics_staff_with_their_2fa_status(
    admin_client: Client, nurse: User, clinics: list[Clinic], enrol: Callable[[User], Enrolled]
) -> None:
    enrol(nurse)
    response = admin_client.get(reverse("accounts:staff-two-factor"))
    rows = response.context["rows"]
    people = {row.user for row in rows}
    assert people == set(User.objects.filter(memberships__clinic=clinics[0]).distinct())
    status = next(row.status for row in rows if row.user == nurse)
    assert status.enrolled
    assert status.recovery_codes_left == 10
    html = response.content.decode()
    assert f'href="{_reset_url(nurse)}"' in html
    assert html.count("Reset</a>") == 1  # only the enrolled colleague can be reset


def test_an_admin_resets_a_colleagues_2fa_with_a_reason(
    admin_client: Client,
    nurse: User,
    clinics: list[Clinic],
    enrol: Callable[[User], Enrolled],
    demo_user: Callable[[Role], User],
    django_capture_on_commit_callbacks: Callable[..., Any],
    sign_in: SignIn,
) -> None:
    enrolled = enrol(nurse)
    enrolled_session = Client()
    enrolled_session.force_login(nurse)
    RecoveryCode.objects.filter(
        pk=RecoveryCode.objects.filter(user=nurse).order_by("id")[0].pk
    ).delete()  # 9 left

    page = admin_client.get(_reset_url(nurse))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_reset_url(nurse), {"reason": REASON}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:staff-two-factor")
    assert f"Two-factor authentication of {nurse.full_name} was reset." in (
        response.content.decode()
    )

    assert not TwoFactorDevice.objects.filter(user=nurse).exists()
    assert not RecoveryCode.objects.filter(user=nurse).exists()
    event = AuditEvent.objects.get(action="auth.2fa_reset")
    assert event.operation == Operation.AUTH
    assert event.actor == demo_user(Role.CLINIC_ADMIN)
    assert event.target == f"accounts.User:{nurse.public_id}"
    assert event.clinic_public_id == clinics[0].public_id
    assert event.changes == {"two_factor": ["on", "off"], "recovery_codes_left": [9, 0]}
    assert event.purpose == REASON
    assert "clinic_admin" in event.actor_roles
    # The colleague is told, signed out everywhere, and enrols again at the next sign-in.
    assert mail.outbox[-1].to == [nurse.email]
    assert "two-factor authentication was reset" in mail.outbox[-1].subject
    login = reverse("accounts:login")
    assert enrolled_session.get(reverse("today:today"))["Location"].startswith(login)
    assert sign_in(Client(), nurse.email) == reverse("accounts:two-factor-enrol")
    assert enrolled.secret  # the old authenticator is of no use any more


def test_staff_of_another_clinic_are_not_found(
    admin_client: Client, clinics: list[Clinic], enrol: Callable[[User], Enrolled]
) -> None:
    # The demo admin also administers the second clinic, but works in the first one now.
    outsider = (
        User.objects.filter(memberships__clinic=clinics[1], email__endswith="@staff.example.org")
        .exclude(memberships__clinic=clinics[0])
        .first()
    )
    assert outsider is not None
    enrol(outsider)
    assert admin_client.get(_reset_url(outsider)).status_code == 404
    assert admin_client.post(_reset_url(outsider), {"reason": REASON}).status_code == 404
    assert TwoFactorDevice.objects.filter(user=outsider).exists()
    assert not AuditEvent.objects.filter(action="auth.2fa_reset").exists()


def test_an_unknown_person_is_not_found(admin_client: Client) -> None:
    url = reverse("accounts:staff-two-factor-reset", args=["00000000-0000-4000-8000-000000000000"])
    assert admin_client.get(url).status_code == 404


def test_only_clinic_admins_may_reset(
    client_for: Callable[[Role], Client], clinics: list[Clinic], enrol: Callable[[User], Enrolled]
) -> None:
    therapist = staff_of(clinics[0], Role.THERAPIST)
    enrol(therapist)
    prescriber = client_for(Role.PRESCRIBER)
    assert prescriber.get(reverse("accounts:staff-two-factor")).status_code == 403
    assert prescriber.post(_reset_url(therapist), {"reason": REASON}).status_code == 403
    assert TwoFactorDevice.objects.filter(user=therapist).exists()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("lost", "Give the reason in words, at least 10 characters"),
        ("\u202e" * 20, "Give the reason in words, at least 10 characters"),
        ("1234567890", "Give the reason in words, at least 10 characters"),
    ],
)
def test_a_reason_is_required(
    admin_client: Client,
    nurse: User,
    enrol: Callable[[User], Enrolled],
    reason: str,
    message: str,
) -> None:
    enrol(nurse)
    response = admin_client.post(_reset_url(nurse), {"reason": reason})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'id="id_reason_error"' in html
    assert TwoFactorDevice.objects.filter(user=nurse).exists()


def test_an_admin_cannot_reset_their_own_2fa_here(
    admin_client: Client, demo_user: Callable[[Role], User], enrol: Callable[[User], Enrolled]
) -> None:
    admin = demo_user(Role.CLINIC_ADMIN)
    enrol(admin)
    response = admin_client.post(_reset_url(admin), {"reason": REASON})
    assert "You cannot reset your own two-factor authentication" in response.content.decode()
    assert TwoFactorDevice.objects.filter(user=admin).exists()


def test_someone_without_2fa_has_nothing_to_reset(admin_client: Client, nurse: User) -> None:
    page = admin_client.get(_reset_url(nurse)).content.decode()
    assert "There is nothing to reset" in page
    response = admin_client.post(_reset_url(nurse), {"reason": REASON})
    assert "has no two-factor authentication to reset" in response.content.decode()
