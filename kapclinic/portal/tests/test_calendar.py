"""The patient's calendar address in the portal (issue 13.6): made, shown once, revoked."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.models import CalendarFeed
from kapclinic.scheduling.tests.booked import book, course_for, with_portal_login

pytestmark = pytest.mark.django_db


def test_a_patient_makes_shows_once_and_revokes_their_calendar_address(
    clinics: list[Clinic], new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient(clinics[0])
    client = Client()
    client.force_login(with_portal_login(patient))
    booked = book(course_for(patient), "kap-dose", timezone.now() + timedelta(days=3))
    url = reverse("portal:calendar")
    assert f'href="{url}"' in client.get(reverse("portal:home")).content.decode()
    page = client.get(url).content.decode()
    assert f"Treatment session at {clinics[0].name}" in page
    assert "KAP dosing" not in page
    local = booked.starts_at.astimezone(clinics[0].tzinfo)
    assert f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}" in page  # the clinic's time

    made = client.post(url, {"action": "create"}).content.decode()

    shown = re.search(r"/calendar/([A-Za-z0-9_-]{43})\.ics", made)
    assert shown is not None
    feed = CalendarFeed.objects.get(patient=patient, revoked_at__isnull=True)
    assert hashlib.sha256(shown.group(1).encode()).hexdigest() == feed.token_sha256
    assert shown.group(1) not in client.get(url).content.decode()
    assert Client().get(shown.group(0)).status_code == 200

    assert client.post(url, {"action": "revoke"}).status_code == 302
    assert Client().get(shown.group(0)).status_code == 404
    assert client.post(url, {"action": "revoke"}).status_code == 422
    assert client.post(url, {"action": "nonsense"}).status_code == 422
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(
        action=SchedulingAuditAction.FEED_ISSUED, patient_public_id=patient.public_id
    ).exists()
