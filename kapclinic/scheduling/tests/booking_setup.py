"""A clinic set up for booking tests (issue 13.2, 13.4): the demo's first clinic with rooms of
known capacity, staff working Monday to Friday on site, a new patient and a planned KAP course.
Times are the clinic's local time in the week of Monday 1 March 2027."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Course, ProtocolVersion, WorkingHours
from kapclinic.scheduling.selectors import current_protocol_version
from kapclinic.scheduling.services import plan_course

MONDAY = date(2027, 3, 1)
REASON = "Patient travels abroad that week."


@dataclass
class Scene:
    clinic: Clinic
    actor: Actor
    patient: Patient
    protocol: ProtocolVersion
    course: Course
    treatment: Room  # one recliner, every piece of equipment
    therapy: Room  # two chairs
    consult: Room
    therapist: User
    nurse: User
    prescriber: User
    now: datetime  # Monday 1 March 2027, 07:00 local

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        """``day`` days after Monday 1 March 2027 at ``hour``:``minute``, local time."""
        moment = datetime.combine(MONDAY + timedelta(days=day), time(hour, minute))
        return moment.replace(tzinfo=self.clinic.tzinfo)


def protocol_of(clinic: Clinic, code: str) -> ProtocolVersion:
    version = current_protocol_version(clinic, code)
    assert version is not None
    return version


def room(clinic: Clinic, name: str, kind: str, capacity: int = 1) -> Room:
    return Room.objects.create(
        clinic=clinic,
        name=name,
        kind=kind,
        capacity=capacity,
        has_recliner=True,
        has_eye_masks_and_headphones=True,
        has_bp_monitor=True,
        has_pulse_oximeter=True,
        has_cardiac_monitor=True,
        has_oxygen=True,
    )


def working_week(clinic: Clinic, *users: User) -> None:
    """Each of ``users`` works 07:00-20:00 on site, Monday to Friday, in ``clinic``."""
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, user=user, weekday=day, starts_at=time(7), ends_at=time(20))
        for user in users
        for day in range(5)
    )


def make_scene(
    clinic: Clinic, new_patient: Callable[..., Patient], code: str = "kap-im-sl"
) -> Scene:
    therapist = staff_of(clinic, Role.THERAPIST)
    nurse = staff_of(clinic, Role.NURSE)
    prescriber = staff_of(clinic, Role.PRESCRIBER)
    working_week(clinic, therapist, nurse, prescriber)
    actor = Actor.for_user(staff_of(clinic, Role.FRONT_DESK), clinic)
    patient = new_patient(clinic)
    protocol = protocol_of(clinic, code)
    course = plan_course(actor=actor, patient=patient, protocol=protocol)
    scene = Scene(
        clinic=clinic,
        actor=actor,
        patient=patient,
        protocol=protocol,
        course=course,
        treatment=room(clinic, "Test treatment", "treatment"),
        therapy=room(clinic, "Test therapy", "therapy", capacity=2),
        consult=room(clinic, "Test consult", "consult"),
        therapist=therapist,
        nurse=nurse,
        prescriber=prescriber,
        now=datetime.combine(MONDAY, time(7)).replace(tzinfo=clinic.tzinfo),
    )
    return scene
