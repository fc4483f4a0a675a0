"""Appointments written straight into the database for the tests of the calendar pages (the
booking service is tested on its own): a course on the shipped KAP protocol, the appointment,
and its resource holds, as the booking service leaves them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from kapclinic.accounts.models import Clinic, Room, User
from kapclinic.patients.models import Patient
from kapclinic.scheduling.holds import take_holds
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.selectors import current_protocol_version

KINDS = {
    "preparation": "preparation",
    "kap-dose": "dosing",
    "integration": "integration",
    "infusion": "dosing",  # iv-ketamine-induction
    "induction-dose": "dosing",  # esketamine-rems
    "booster": "dosing",  # ketamine-maintenance
    "cbt-session": "therapy",  # cbt-comparison
}


def course_of(clinic: Clinic, patient: Patient, protocol: str = "kap-im-sl") -> Course:
    """The patient's open course, started on the shipped ``protocol`` (KAP unless said) when
    they have none."""
    course = Course.objects.filter(patient=patient, status__in=Course.OPEN_STATUSES).first()
    if course is not None:
        return course
    version = current_protocol_version(clinic, protocol)
    assert version is not None
    return Course.objects.create(
        clinic=clinic,
        patient=patient,
        protocol=version,
        modality=version.modality,
        status=Course.Status.ACTIVE,
    )


def treatment_room(clinic: Clinic, name: str = "Calendar test room", capacity: int = 2) -> Room:
    return Room.objects.create(
        clinic=clinic,
        name=name,
        capacity=capacity,
        kind=Room.Kind.TREATMENT,
        has_recliner=True,
        has_bp_monitor=True,
        has_pulse_oximeter=True,
    )


def book_directly(
    patient: Patient,
    room: Room,
    starts_at: datetime,
    *,
    session_type: str = "kap-dose",
    minutes: int = 120,
    therapist: User | None = None,
    nurse: User | None = None,
    override_reason: str = "",
) -> Appointment:
    clinic = patient.clinic
    with transaction.atomic():
        appointment = Appointment.objects.create(
            clinic=clinic,
            course=course_of(clinic, patient),
            patient=patient,
            session_type=session_type,
            kind=KINDS[session_type],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            room=room,
            therapist=therapist,
            nurse=nurse,
            override_reason=override_reason,
        )
        take_holds(appointment, patients_per_nurse=2 if nurse is not None else None)
    return appointment
