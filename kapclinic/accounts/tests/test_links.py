"""Patients' one-time sign-in links: e-mailed through a task, random and stored hashed, single
use, 15 minutes, nothing identifying in the URL, the same answer for any address, rate-limited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import AuthThrottleEvent, SignInLink, User
from kapclinic.accounts.session_state import VERIFIED_KEY
from kapclinic.accounts.tests.helpers import Enrolled, actions
from kapclinic.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
INVALID = "This sign-in link cannot be used: each link works once, within 15 minutes."
LINK = re.compile(r"http://testserver/accounts/link/([A-Za-z0-9_-]+)/")

Capture = Callable[..., Any]


def _ask(client: Client, email: str, capture: Capture) -> Any:
    with capture(execute=True):
        return client.post(reverse("accounts:sign-in-link-request"), {"email": email})


def _main(response: Any) -> str:
    """The page's main content (the rest carries a per-client CSRF token)."""
    match = re.search(r"<main.*</main>", response.content.decode(), re.DOTALL)
    assert match is not None
    return match.group(0)


def _link_sent_to(portal_patient: User, capture: Capture) -> str:
    _ask(Client(), portal_patient.email, capture)
    match = LINK.search(str(mail.outbox[-1].body))
    assert match is not None
    return match.group(0).removeprefix("http://testserver")


def test_a_patient_gets_a_link_by_email_and_nothing_identifying_is_in_it(
    portal_patient: User, django_capture_on_commit_callbacks: Capture
) -> None:
    response = _ask(Client(), portal_patient.email.upper(), django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [portal_patient.email]
    assert "It works once, within 15 minutes." in message.body
    match = LINK.search(str(message.body))
    assert match is not None
    url, token = match.group(0), match.group(1)
    assert len(token) == 43
    # The token is 43 random characters (a short id like "31" may occur in it by chance), so the
    # rest of the URL is what must name nobody, and the token must not be the email or ids.
    rest = url.replace(token, "")
    for identifying in (
        portal_patient.email,
        str(portal_patient.public_id),
        str(portal_patient.pk),
    ):
        assert identifying not in rest
        assert token != identifying
    assert portal_patient.email not in url
    assert str(portal_patient.public_id) not in url
    link = SignInLink.objects.get()
    assert link.token_hash != token
    assert token not in link.token_hash
    assert link.expires_at - link.created_at == timedelta(minutes=15)
    assert actions(actor=portal_patient) == ["auth.link_sent"]


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    portal_patient: User, nurse: User, django_capture_on_commit_callbacks: Capture
) -> None:
    known = _ask(Client(), portal_patient.email, django_capture_on_commit_callbacks)
    unknown = _ask(Client(), "nobody@example.org", django_capture_on_commit_callbacks)
    staff = _ask(Client(), nurse.email, django_capture_on_commit_callbacks)  # patients only
    assert _main(known) == _main(unknown) == _main(staff)
    assert known.status_code == unknown.status_code == staff.status_code == 200
    assert len(mail.outbox) == 1


def test_opening_the_link_only_asks_and_the_button_signs_in_once(
    portal_patient: User, django_capture_on_commit_callbacks: Capture
) -> None:
    url = _link_sent_to(portal_patient, django_capture_on_commit_callbacks)
    client = Client()
    page = client.get(url)  # what a mail scanner fetching the link does
    assert page.status_code == 200
    assert SignInLink.objects.get().used_at is None

    response = client.post(url)
    assert response["Location"] == reverse("today:home")
    assert client.session[VERIFIED_KEY] is True
    assert client.get(reverse("portal:home")).status_code == 200
    assert actions(actor=portal_patient) == ["auth.link_sent", "auth.link_used", "auth.login"]
    assert AuditEvent.objects.get(action="auth.login").detail == {"method": "link"}

    again = Client().post(url)
    assert INVALID in again.content.decode()
    failed = AuditEvent.objects.get(action="auth.link_failed")
    assert failed.detail == {"step": "link", "reason": "used"}


def test_a_link_expires_after_fifteen_minutes(
    portal_patient: User, django_capture_on_commit_callbacks: Capture
) -> None:
    url = _link_sent_to(portal_patient, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1), tick=False):
        response = Client().post(url)
    assert INVALID in response.content.decode()
    assert AuditEvent.objects.get(action="auth.link_failed").detail["reason"] == "expired"


@pytest.mark.parametrize("token", ["x" * 43, "short", "%00" * 5, "a" * 300])
def test_made_up_links_get_the_same_answer_and_count_against_the_address(
    demo: object, token: str
) -> None:
    response = Client().post(reverse("accounts:sign-in-link", args=[token]))
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert AuthThrottleEvent.objects.filter(kind=AuthThrottleEvent.Kind.LINK_FAILED).count() == 1


def test_link_requests_are_rate_limited_per_address_typed(
    portal_patient: User, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    for _ in range(3):
        assert (
            "Check your e-mail"
            in _ask(
                client, portal_patient.email, django_capture_on_commit_callbacks
            ).content.decode()
        )
    limited = _ask(client, portal_patient.email, django_capture_on_commit_callbacks)
    assert "Too many sign-in links were asked for. Wait 15 minutes" in limited.content.decode()
    assert len(mail.outbox) == 3
    # The limit is the same for an address without an account: it tells nothing.
    for _ in range(3):
        _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    unknown = _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert unknown.context["form"].non_field_errors() == limited.context["form"].non_field_errors()


def test_link_requests_are_rate_limited_per_client_address(
    demo: object, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.23")
    for number in range(10):
        _ask(client, f"someone{number}@example.org", django_capture_on_commit_callbacks)
    limited = _ask(client, "someone-else@example.org", django_capture_on_commit_callbacks)
    assert "Too many sign-in links were asked for." in limited.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.24")
    assert (
        "Check your e-mail"
        in _ask(
            other, "someone-else@example.org", django_capture_on_commit_callbacks
        ).content.decode()
    )


def test_a_patient_with_2fa_still_enters_a_code_after_the_link(
    portal_patient: User,
    enrol: Callable[[User], Enrolled],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    enrolled = enrol(portal_patient)
    url = _link_sent_to(portal_patient, django_capture_on_commit_callbacks)
    client = Client()
    assert client.post(url)["Location"] == reverse("accounts:two-factor")
    assert client.get(reverse("portal:home"))["Location"] == reverse("accounts:two-factor")
    response = client.post(reverse("accounts:two-factor"), {"code": enrolled.next_code()})
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_the_request_form_reports_a_bad_address_next_to_the_field(demo: object) -> None:
    response = Client().post(reverse("accounts:sign-in-link-request"), {"email": "not-an-email"})
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert '<small class="field-error" id="id_email_error">Enter a valid email address.' in html
    assert not AuthThrottleEvent.objects.exists()
