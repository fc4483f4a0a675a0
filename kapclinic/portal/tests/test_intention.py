"""The patient writes their intention for a coming dosing session in the portal (issue 15.2,
§12.5), and the care team reads it on the session's preparation page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.dosing.models import PatientIntention
from kapclinic.dosing.services import open_session
from kapclinic.dosing.tests.preparing import coming_dosing
from kapclinic.ledger.tests.books import client_for
from kapclinic.ledger.tests.conftest import staff
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(demo: object) -> Appointment:
    """A coming dosing session of a patient who has a portal sign-in."""
    clinic = Clinic.objects.order_by("id")[0]
    appointment = coming_dosing(clinic, timezone.now())
    patient = appointment.patient
    if patient.portal_user is None:
        user = User.objects.create_user(
            "portal.intention.page@example.org",
            "x" * 20,
            full_name=patient.full_name,
            kind="patient",
        )
        Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    appointment.patient.refresh_from_db()
    return appointment


def _portal(appointment: Appointment) -> Client:
    client = Client()
    assert appointment.patient.portal_user is not None
    client.force_login(appointment.patient.portal_user)
    return client


def test_r_int_3_the_patient_writes_an_intention_the_care_team_reads(booked: Appointment) -> None:
    """R-INT-3 (§12.5): the patient's lightly held intention, written before the session, shows
    on the session's preparation page."""
    client = _portal(booked)
    home = client.get(reverse("portal:home")).content.decode()
    url = reverse("portal:intention", args=[booked.public_id])
    assert url in home
    assert "Write my intention" in home
    response = client.post(url, {"text": "  To listen to my body  "})
    assert response.status_code == 302
    assert PatientIntention.objects.get(appointment=booked).text == "To listen to my body"
    assert "To listen to my body" in client.get(reverse("portal:home")).content.decode()
    nurse = Actor.for_user(staff(booked.clinic, Role.NURSE), booked.clinic)
    session = open_session(actor=nurse, appointment=booked, now=timezone.now())
    page = client_for(nurse).get(reverse("dosing:preparation", args=[session.public_id]))
    assert "To listen to my body" in page.content.decode()


def test_an_empty_or_too_long_intention_is_refused_and_kept(booked: Appointment) -> None:
    client = _portal(booked)
    url = reverse("portal:intention", args=[booked.public_id])
    empty = client.post(url, {"text": "   "})
    assert empty.status_code == 422
    assert "This field is required." in empty.content.decode()
    long = "y" * 2001
    refused = client.post(url, {"text": long})
    assert refused.status_code == 422
    assert long in refused.content.decode()
    assert "at most 2000 characters" in refused.content.decode()
    assert not PatientIntention.objects.filter(appointment=booked).exists()


def test_a_patient_cannot_write_for_someone_elses_session(booked: Appointment) -> None:
    theirs = (
        Appointment.objects.filter(kind="dosing", starts_at__gt=timezone.now())
        .exclude(patient=booked.patient)
        .first()
    )
    assert theirs is not None
    client = _portal(booked)
    assert client.get(reverse("portal:intention", args=[theirs.public_id])).status_code == 404
    assert (
        client.post(reverse("portal:intention", args=[theirs.public_id]), {"text": "x"}).status_code
        == 404
    )
