"""Helpers of the preparation tests (issue 15.2): a clinic's staff as actors and a coming dosing
appointment of the demo, with its session opened through the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.dosing import services
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.setting import Phase, PhasePlan, Track
from kapclinic.ledger.tests.conftest import staff
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind


@dataclass(frozen=True)
class Prep:
    clinic: Clinic
    admin: Actor
    nurse: Actor
    therapist: Actor
    front_desk: Actor
    appointment: Appointment
    session: DosingSession
    now: datetime


def coming_dosing(clinic: Clinic, now: datetime, *, skip: int = 0) -> Appointment:
    appointment = (
        Appointment.objects.filter(
            clinic=clinic,
            kind=SessionKind.DOSING,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            dosing_session__isnull=True,  # not the one the demo prepared
        )
        .select_related("course__protocol", "patient", "room")
        .order_by("starts_at", "id")[skip]
    )
    return appointment


def make_prep(*, skip: int = 0) -> Prep:
    clinic = Clinic.objects.order_by("id")[0]
    now = timezone.now()
    nurse = Actor.for_user(staff(clinic, Role.NURSE), clinic)
    appointment = coming_dosing(clinic, now, skip=skip)
    session = services.open_session(actor=nurse, appointment=appointment, now=now)
    therapist = (
        appointment.therapist or appointment.patient.care_therapist or staff(clinic, Role.THERAPIST)
    )
    return Prep(
        clinic=clinic,
        admin=Actor.for_user(staff(clinic, Role.CLINIC_ADMIN), clinic),
        nurse=nurse,
        therapist=Actor.for_user(therapist, clinic),
        front_desk=Actor.for_user(staff(clinic, Role.FRONT_DESK), clinic),
        appointment=appointment,
        session=session,
        now=now,
    )


def phases(*, peak_minutes: int = 30, peak_title: str = "Peak piece") -> tuple[PhasePlan, ...]:
    return (
        PhasePlan(Phase.ONSET, 15, (Track("Opening", "A. Composer"),)),
        PhasePlan(Phase.PEAK, peak_minutes, (Track(peak_title, "B. Composer"),)),
        PhasePlan(Phase.RETURN, 25, (Track("Homecoming", ""),)),
    )
