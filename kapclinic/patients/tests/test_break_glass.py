from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role, StaffMembership, StaffNotice, User
from kapclinic.audit.models import AuditEvent, Operation
from kapclinic.patients.models import BreakGlassGrant, Patient

pytestmark = pytest.mark.django_db
REASON = "Patient collapsed in our lobby, need allergy list"


@pytest.fixture
def prescriber(demo: object, clinics: list[Clinic]) -> User:
    """A generated prescriber who works in the first clinic only."""
    membership = (
        StaffMembership.objects.filter(clinic=clinics[0], role=Role.PRESCRIBER)
        .exclude(user__memberships__clinic=clinics[1])
        .select_related("user")
        .first()
    )
    assert membership is not None
    return membership.user


@pytest.fixture
def prescriber_client(prescriber: User) -> Client:
    client = Client()
    client.force_login(prescriber)
    return client


@pytest.fixture
def stranger(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]


def _open(client: Client, clinic: Clinic, mrn: str, reason: str = REASON) -> Any:
    return client.post(
        reverse("patients:break-glass"), {"clinic": clinic.pk, "mrn": mrn, "reason": reason}
    )


def test_without_break_glass_another_clinics_patient_is_not_found(
    prescriber_client: Client, stranger: Patient
) -> None:
    url = reverse("patients:chart", args=[stranger.public_id])
    assert prescriber_client.get(url).status_code == 404


def test_break_glass_opens_the_chart_with_a_banner_audits_and_alerts_admins(
    prescriber_client: Client,
    prescriber: User,
    stranger: Patient,
    clinics: list[Clinic],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _open(prescriber_client, clinics[1], stranger.mrn.lower())
    chart = reverse("patients:chart", args=[stranger.public_id])
    assert response.status_code == 302
    assert response["Location"] == chart
    page = prescriber_client.get(chart)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Emergency access." in html
    assert REASON in html
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.granted_at == timedelta(minutes=clinics[1].break_glass_minutes)
    opened = AuditEvent.objects.get(action="access.break_glass_opened")
    assert (opened.operation, opened.purpose) == (Operation.ACCESS, REASON)
    assert opened.patient_public_id == stranger.public_id
    assert opened.clinic_public_id == clinics[1].public_id
    read = AuditEvent.objects.get(action="patients.chart_viewed")
    assert read.purpose == f"break-glass: {REASON}"
    admins = set(
        User.objects.filter(memberships__clinic=clinics[1], memberships__role=Role.CLINIC_ADMIN)
    )
    notices = StaffNotice.objects.filter(clinic=clinics[1])
    assert {n.recipient for n in notices} == admins
    assert all(stranger.mrn in n.body for n in notices)
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {a.email for a in admins}
    assert stranger.mrn not in mail.outbox[0].body  # no patient details by e-mail
    assert stranger.family_name not in mail.outbox[0].body


def test_break_glass_access_ends_when_it_expires(
    prescriber_client: Client, stranger: Patient, clinics: list[Clinic]
) -> None:
    _open(prescriber_client, clinics[1], stranger.mrn)
    url = reverse("patients:chart", args=[stranger.public_id])
    later = timezone.now() + timedelta(minutes=clinics[1].break_glass_minutes + 1)
    with time_machine.travel(later, tick=False):
        assert prescriber_client.get(url).status_code == 404


def test_break_glass_gives_no_access_to_other_patients_of_that_clinic(
    prescriber_client: Client, stranger: Patient, clinics: list[Clinic]
) -> None:
    _open(prescriber_client, clinics[1], stranger.mrn)
    other = Patient.objects.filter(clinic=clinics[1]).exclude(pk=stranger.pk)[0]
    url = reverse("patients:chart", args=[other.public_id])
    assert prescriber_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("reason", "mrn_suffix", "message"),
    [
        ("too short", "", "at least 15 characters"),
        (REASON, "-NOPE", "No patient with MRN"),
    ],
)
def test_break_glass_refusals_are_explained_and_grant_nothing(
    prescriber_client: Client,
    stranger: Patient,
    clinics: list[Clinic],
    reason: str,
    mrn_suffix: str,
    message: str,
) -> None:
    response = _open(prescriber_client, clinics[1], stranger.mrn + mrn_suffix, reason)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert not StaffNotice.objects.exists()


def test_break_glass_only_offers_clinics_where_the_prescriber_does_not_work(
    prescriber_client: Client, clinics: list[Clinic]
) -> None:
    response = prescriber_client.get(reverse("patients:break-glass"))
    assert list(response.context["clinics"]) == [clinics[1]]
    refused = _open(prescriber_client, clinics[0], "X")
    assert refused.status_code == 422  # not a choice: their own clinic
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.THERAPIST, Role.FRONT_DESK, Role.RESEARCHER])
def test_only_prescribers_may_break_the_glass(
    client_for: Callable[[Role], Client], stranger: Patient, clinics: list[Clinic], role: Role
) -> None:
    response = _open(client_for(role), clinics[1], stranger.mrn)
    assert response.status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_admins_see_the_notice_on_every_page_until_they_mark_it_read(
    prescriber_client: Client, stranger: Patient, clinics: list[Clinic]
) -> None:
    _open(prescriber_client, clinics[1], stranger.mrn)
    admin = User.objects.filter(
        memberships__clinic=clinics[1], memberships__role=Role.CLINIC_ADMIN
    ).exclude(email__endswith="@demo.kapclinic.test")[0]
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("today:today")).content.decode()
    assert "Emergency access opened by" in page
    notice = StaffNotice.objects.get(recipient=admin)
    # A Referer that is no page of this site (once a 500: reversed as a URL name) goes home.
    dismissed = client.post(
        reverse("today:dismiss-notice", args=[notice.public_id]), HTTP_REFERER="foo"
    )
    assert dismissed.status_code == 302
    assert dismissed["Location"] == reverse("today:home")
    assert "Emergency access opened by" not in client.get(reverse("today:today")).content.decode()
    # Another user's notice cannot be dismissed by id.
    other = StaffNotice.objects.exclude(recipient=admin).first()
    if other is not None:
        url = reverse("today:dismiss-notice", args=[other.public_id])
        assert client.post(url).status_code == 404
        other.refresh_from_db()
        assert other.read_at is None
