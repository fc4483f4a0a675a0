"""Throttling and lockout: by account and by client address, counted in the database, with
messages that never tell whether an account exists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts import services
from kapclinic.accounts.actor import Actor
from kapclinic.accounts.credentials import ACCOUNT_FAILURES, ADDRESS_FAILURES
from kapclinic.accounts.models import AuthLockout, AuthThrottleEvent, User
from kapclinic.accounts.tests.helpers import Enrolled, SignIn, actions
from kapclinic.audit.models import AuditEvent, Operation

pytestmark = pytest.mark.django_db
LOCKED = (
    "Too many failed sign-in attempts. For your security, signing in is paused: "
    "try again in 15 minutes."
)
WRONG = "That email and password do not match an active account."


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    nurse: User, demo_password: str
) -> None:
    start = timezone.now()
    for attempt in range(1, ACCOUNT_FAILURES.limit + 1):
        check = services.check_password(
            email=nurse.email, password="wrong-guess-123", ip_address=None, now=start
        )
        assert check.user is None
        assert check.locked_until == (start + timedelta(minutes=15) if attempt == 5 else None)

    during = start + timedelta(minutes=14, seconds=59)
    refused = services.check_password(
        email=nurse.email, password=demo_password, ip_address=None, now=during
    )
    assert refused.user is None  # the right password is not even checked while locked
    assert refused.locked_until == start + timedelta(minutes=15)

    after = start + timedelta(minutes=15)
    assert (
        services.check_password(
            email=nurse.email, password=demo_password, ip_address=None, now=after
        ).user
        == nurse
    )


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(nurse: User) -> None:
    start = timezone.now()
    for minute in (0, 4, 8, 12, 16, 20):  # never five within one 15-minute window
        check = services.check_password(
            email=nurse.email,
            password="wrong-guess-123",
            ip_address=None,
            now=start + timedelta(minutes=minute),
        )
        assert check.locked_until is None
    assert not AuthLockout.objects.exists()


def test_the_lockout_is_audited_with_the_failures_and_refusals(
    nurse: User, demo_password: str
) -> None:
    now = timezone.now()
    for _ in range(5):
        services.check_password(email=nurse.email, password="nope", ip_address=None, now=now)
    services.check_password(email=nurse.email, password=demo_password, ip_address=None, now=now)
    assert actions(actor=nurse) == [
        *["auth.login_failed"] * 5,
        "auth.lockout",
        "auth.login_refused",
    ]
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.operation == Operation.AUTH
    assert lockout.detail["scope"] == "account"
    assert lockout.detail["minutes"] == 15
    assert lockout.detail["failures"] == 5


def test_an_unknown_email_is_counted_and_locked_like_a_real_account(demo: object) -> None:
    now = timezone.now()
    email = "nobody-here@staff.example.org"
    results = [
        services.check_password(email=email, password="guess-guess-1", ip_address=None, now=now)
        for _ in range(5)
    ]
    assert results[-1].locked_until == now + timedelta(minutes=15)
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() == 5
    assert all(e.actor_id is None and e.detail["email"] == email for e in failed)


def test_the_throttle_table_keeps_no_email_address(nurse: User) -> None:
    services.check_password(
        email=nurse.email, password="x" * 12, ip_address="198.51.100.7", now=timezone.now()
    )
    event = AuthThrottleEvent.objects.get()
    assert nurse.email not in event.account_key
    assert "@" not in event.account_key
    assert event.ip_address == "198.51.100.7"


def test_twenty_failures_from_one_address_lock_it_for_every_account(
    nurse: User,
    demo_user: Callable[..., User],
    demo_password: str,
) -> None:
    now = timezone.now()
    address = "203.0.113.9"
    for number in range(ADDRESS_FAILURES.limit):
        check = services.check_password(
            email=f"guess{number}@staff.example.org",
            password="wrong-guess-123",
            ip_address=address,
            now=now,
        )
    assert check.locked_until == now + timedelta(minutes=15)
    lock = AuthLockout.objects.get(scope=AuthLockout.Scope.ADDRESS)
    assert lock.key == address

    # Even the right password of an account never tried is refused from that address...
    refused = services.check_password(
        email=nurse.email, password=demo_password, ip_address=address, now=now
    )
    assert refused.user is None
    # ...but accepted from another address, and from the same one once the lock has ended.
    assert (
        services.check_password(
            email=nurse.email, password=demo_password, ip_address="203.0.113.10", now=now
        ).user
        == nurse
    )
    later = now + timedelta(minutes=15, seconds=1)
    assert (
        services.check_password(
            email=nurse.email, password=demo_password, ip_address=address, now=later
        ).user
        == nurse
    )


def test_a_full_sign_in_forgives_the_accounts_earlier_failures(
    nurse: User, sign_in: SignIn
) -> None:
    now = timezone.now()
    for _ in range(4):
        services.check_password(email=nurse.email, password="nope", ip_address=None, now=now)
    services.complete_sign_in(actor=Actor.for_user(nurse), method="password")
    check = services.check_password(email=nurse.email, password="nope", ip_address=None, now=now)
    assert check.locked_until is None  # one failure since, not five


def test_the_login_page_answers_the_same_for_a_real_and_an_unknown_account(nurse: User) -> None:
    pages = {}
    for email in (nurse.email, "nobody-here@staff.example.org"):
        client = Client()
        texts = []
        for _ in range(6):
            response = client.post(
                reverse("accounts:login"), {"username": email, "password": "wrong-guess-123"}
            )
            assert response.status_code == 200
            texts.append(response.context["form"].non_field_errors()[0])
        pages[email] = texts
    assert pages[nurse.email] == pages["nobody-here@staff.example.org"]
    assert pages[nurse.email] == [WRONG] * 4 + [LOCKED] * 2


def test_a_lockout_ends_after_fifteen_minutes(
    nurse: User, sign_in: SignIn, demo_password: str
) -> None:
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(client, nurse.email, "wrong-guess-123")
        response = client.post(
            reverse("accounts:login"), {"username": nurse.email, "password": demo_password}
        )
        assert LOCKED in response.content.decode()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sign_in(client, nurse.email) == reverse("accounts:two-factor-enrol")


def test_wrong_two_factor_codes_count_and_lock_the_account_out(
    nurse: User,
    enrol: Callable[[User], Enrolled],
    sign_in: SignIn,
) -> None:
    enrol(nurse)
    client = Client()
    assert sign_in(client, nurse.email) == reverse("accounts:two-factor")
    for _ in range(4):
        response = client.post(reverse("accounts:two-factor"), {"code": "000000"})
        assert response.status_code == 200
        assert "That code is not right." in response.content.decode()
    response = client.post(reverse("accounts:two-factor"), {"code": "000000"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session  # the half-done sign-in was ended
    # The password no longer opens the account until the lock ends.
    assert sign_in(client, nurse.email) == ""
    assert actions(actor=nurse, action="auth.2fa_failed") == ["auth.2fa_failed"] * 5
