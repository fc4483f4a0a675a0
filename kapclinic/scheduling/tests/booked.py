"""Courses and appointments written directly, for the feed and reminder tests (the booking
services are another part of issue 13): a course on a clinic's shipped protocol and its
appointments of the protocol's session types, booked or cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from kapclinic.accounts.models import Clinic, Room, User
from kapclinic.patients.models import Patient, ReminderConsent
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.selectors import current_protocol_version


def course_for(patient: Patient, code: str = "kap-im-sl") -> Course:
    version = current_protocol_version(patient.clinic, code)
    assert version is not None
    return Course.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=version,
        modality=version.modality,
        status=Course.Status.ACTIVE,
    )


def room_of(clinic: Clinic) -> Room:
    room = Room.objects.filter(clinic=clinic, is_active=True).order_by("id").first()
    assert room is not None
    return room


def book(
    course: Course,
    session_type: str,
    starts_at: datetime,
    *,
    room: Room | None = None,
    nurse: User | None = None,
    therapist: User | None = None,
) -> Appointment:
    protocol = parse_protocol(course.protocol.document)
    kind = protocol.session_type(session_type)
    assert kind is not None
    return Appointment.objects.create(
        clinic=course.clinic,
        course=course,
        patient=course.patient,
        session_type=session_type,
        kind=kind.kind.value,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=kind.minutes),
        room=room or room_of(course.clinic),
        nurse=nurse,
        therapist=therapist,
    )


def cancel(appointment: Appointment, when: datetime) -> Appointment:
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = when
    appointment.cancel_reason = "The patient asked to come another day."
    appointment.save()
    return appointment


def with_email(
    patient: Patient, email: str = "", reminders: ReminderConsent = ReminderConsent.YES
) -> Patient:
    """``patient`` with an e-mail address, who agreed to e-mail reminders unless ``reminders``
    says otherwise."""
    patient.email = email or f"patient.{patient.pk}@example.org"
    patient.email_reminders = reminders
    Patient.objects.filter(pk=patient.pk).update(email=patient.email, email_reminders=reminders)
    return patient


def with_portal_login(patient: Patient) -> User:
    user = User.objects.create_user(
        f"portal.{patient.pk}@example.org",
        "x" * 20,
        full_name="Portal Patient",
        kind=User.Kind.PATIENT,
    )
    Patient.objects.filter(pk=patient.pk).update(portal_user=user)
    patient.portal_user = user
    return user
