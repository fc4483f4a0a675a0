"""Discharge beyond the criteria (issue 15.7): R-REMS-4 is never overridden, the take-home
instructions show in the portal, the integration session is offered (R-INT-1), and the
dosing work shows on the nurse's and prescriber's Today lists."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Room, User
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.tests.pages import Booked, at, nurse_client, prescriber_client, signed_in
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def _url(name: str, session: DosingSession) -> str:
    return reverse(f"dosing:{name}", args=[session.public_id])


def _held_then_observed(booked: Booked, session_type: str, client: Client) -> DosingSession:
    """A session of ``session_type`` held before the dose and observed (no dose given), with
    its escort: only the criteria of a session without a dose stand."""
    stock = booked.stock
    appointment = (
        Appointment.objects.filter(clinic=stock.clinic, session_type=session_type)
        .order_by("-starts_at")
        .first()
    )
    assert appointment is not None
    session = services.check_in(actor=stock.prescriber, appointment=appointment, now=_now())
    moves = ({"target": "held", "reason": "Felt unwell before the dose"}, {"target": "observation"})
    for data in moves:
        assert client.post(_url("move", session), data).status_code == 302
    escort = {"escort_name": "A. Friend", "no_driving_acknowledged": "on"}
    assert client.post(_url("escort", session), escort).status_code == 302
    return DosingSession.objects.get(pk=session.pk)


def _now() -> datetime:
    return timezone.now()


def _appointment_start(session_type: str, booked: Booked) -> datetime:
    found = (
        Appointment.objects.filter(clinic=booked.stock.clinic, session_type=session_type)
        .order_by("-starts_at")
        .first()
    )
    assert found is not None
    return found.starts_at


def test_r_rems_4_is_never_overridden_even_by_a_prescriber(booked: Booked) -> None:
    """R-REMS-4, R-DC-3: an esketamine patient leaves only after the clinician's attestation
    (and two hours after the first device); the prescriber's override does not cover it."""
    client = prescriber_client(booked.stock)
    with at(_appointment_start("induction-dose", booked)):
        session = _held_then_observed(booked, "induction-dose", client)
        page = client.get(_url("session", session)).content.decode()
        refused = client.post(
            _url("move", session),
            {
                "target": "ready_for_discharge",
                "override_discharge": "1",
                "reason": "Patient wants to leave, escort waiting",
            },
        )
    assert "never overridden" in page
    assert "Override and make ready" not in page
    assert refused.status_code == 422
    assert "discharge criteria are not met" in refused.content.decode()
    assert DosingSession.objects.get(pk=session.pk).current == State.OBSERVATION


def test_discharge_offers_the_integration_session_and_the_portal_shows_the_instructions(
    booked: Booked,
) -> None:
    """Issue 15.7, R-INT-1, R-REMS-6: after discharge the integration session is offered for
    booking through scheduling (whose refusals are shown in words), and the patient's portal
    shows the take-home instructions."""
    client = prescriber_client(booked.stock)
    start = _appointment_start("kap-dose", booked)
    with at(start):
        session = _held_then_observed(booked, "kap-dose", client)
        override = {
            "target": "ready_for_discharge",
            "override_discharge": "1",
            "reason": "No dose given; patient well and escorted home",
        }
        assert client.post(_url("move", session), override).status_code == 302
        assert client.post(_url("move", session), {"target": "discharged"}).status_code == 302
        page = client.get(_url("session", session)).content.decode()
        empty = client.post(_url("integration", session), {})
        before = Appointment.objects.count()
        therapist = User.objects.filter(memberships__clinic=booked.stock.clinic).first()
        room = Room.objects.filter(clinic=booked.stock.clinic).order_by("name").first()
        assert therapist is not None
        assert room is not None
        when = timezone.localtime(start, booked.stock.clinic.tzinfo)
        refused = client.post(
            _url("integration", session),
            {
                "starts_at": f"{when:%Y-%m-%dT%H:%M}",
                "room": str(room.pk),
                "therapist": str(therapist.pk),
            },
        )
    assert "Book the integration session" in page
    assert "Take-home instructions" in page
    assert empty.status_code == 422
    assert "This field is required" in empty.content.decode()
    assert refused.status_code == 422
    assert "Not booked." in refused.content.decode()
    assert Appointment.objects.count() == before

    patient = Patient.objects.get(pk=session.patient_id)
    if patient.portal_user is None:
        user = User.objects.create_user(
            "portal.discharge@example.org", "x" * 20, full_name=patient.full_name, kind="patient"
        )
        Patient.objects.filter(pk=patient.pk).update(portal_user=user)
        patient.refresh_from_db()
    assert patient.portal_user is not None
    portal = signed_in(patient.portal_user).get(reverse("portal:home")).content.decode()
    assert "until the next day, after a restful sleep" in portal
    assert booked.stock.clinic.phone in portal


def test_the_dosing_work_is_on_the_nurses_and_prescribers_today(booked: Booked) -> None:
    """Issue 15: checked in, awaiting the dose and ready for discharge are Today items that
    open the session page."""
    stock = booked.stock
    with at(booked.at):
        session = services.check_in(
            actor=stock.nurse, appointment=booked.appointment, now=booked.at
        )
        for client in (nurse_client(stock), prescriber_client(stock)):
            page = client.get(reverse("today:today")).content.decode()
            assert "Checked in for dosing" in page
            assert _url("session", session) in page
            assert 'href="/dosing/"' in page  # the navigation
