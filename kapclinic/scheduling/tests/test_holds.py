"""The database refuses double booking (issue 13.4): resource holds, chairs and staff units,
on SQLite (trigger, serialized writes) and PostgreSQL (exclusion constraint)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from kapclinic.accounts.models import Clinic, Role, Room, User
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.patients.models import Patient
from kapclinic.scheduling.exceptions import ResourceTakenError
from kapclinic.scheduling.holds import release_holds, take_holds
from kapclinic.scheduling.models import Appointment, Course, ResourceHold
from kapclinic.scheduling.resources import STAFF_UNITS, patient_key, room_chair, units_for
from kapclinic.scheduling.selectors import current_protocol_version

pytestmark = pytest.mark.django_db

NINE = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # 9:00 in the demo clinics' time zone


def _course(clinic: Clinic, patient: Patient) -> Course:
    version = current_protocol_version(clinic, "kap-im-sl")
    assert version is not None
    return Course.objects.create(
        clinic=clinic, patient=patient, protocol=version, modality=version.modality
    )


def _room(clinic: Clinic, capacity: int = 1) -> Room:
    return Room.objects.create(clinic=clinic, name=f"Test room {capacity}", capacity=capacity)


def _appointment(
    course: Course,
    room: Room,
    starts_at: datetime = NINE,
    *,
    minutes: int = 120,
    nurse: User | None = None,
    therapist: User | None = None,
) -> Appointment:
    return Appointment.objects.create(
        clinic=course.clinic,
        course=course,
        patient=course.patient,
        session_type="dosing",
        kind="dosing",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        room=room,
        nurse=nurse,
        therapist=therapist,
    )


@pytest.fixture
def clinic(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def patients(clinic: Clinic, new_patient: Callable[..., Patient]) -> list[Patient]:
    return [new_patient(clinic) for _ in range(3)]


def test_units_follow_the_nurse_ratio_to_the_safe_side() -> None:
    assert units_for(None) == STAFF_UNITS
    assert units_for(1) == STAFF_UNITS
    assert units_for(2) == STAFF_UNITS // 2
    assert units_for(3) == units_for(2)  # rounded up: never more patients than allowed
    assert units_for(4) == 1


def test_the_database_refuses_an_overlapping_hold_of_one_resource(
    clinic: Clinic, patients: list[Patient]
) -> None:
    room = _room(clinic)
    first = _appointment(_course(clinic, patients[0]), room)
    second = _appointment(_course(clinic, patients[1]), room, NINE + timedelta(minutes=60))
    key = room_chair(room.pk, 1)
    ResourceHold.objects.create(
        appointment=first, resource=key, starts_at=first.starts_at, ends_at=first.ends_at
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.create(
            appointment=second, resource=key, starts_at=second.starts_at, ends_at=second.ends_at
        )
    # Half-open times: one ending at 11:00 and one starting at 11:00 do not overlap.
    ResourceHold.objects.create(
        appointment=second,
        resource=key,
        starts_at=first.ends_at,
        ends_at=first.ends_at + timedelta(hours=1),
    )
    assert ResourceHold.objects.filter(resource=key).count() == 2


def test_the_database_refuses_moving_a_hold_onto_another(
    clinic: Clinic, patients: list[Patient]
) -> None:
    room = _room(clinic)
    first = _appointment(_course(clinic, patients[0]), room)
    later = _appointment(_course(clinic, patients[1]), room, NINE + timedelta(hours=3))
    key = room_chair(room.pk, 1)
    for appointment in (first, later):
        ResourceHold.objects.create(
            appointment=appointment,
            resource=key,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceHold.objects.filter(appointment=later).update(
            starts_at=first.starts_at, ends_at=first.ends_at
        )


def test_a_room_gives_each_overlapping_booking_its_own_chair_until_full(
    clinic: Clinic, patients: list[Patient]
) -> None:
    room = _room(clinic, capacity=2)
    chairs = []
    for patient in patients[:2]:
        appointment = _appointment(_course(clinic, patient), room)
        with transaction.atomic():
            take_holds(appointment, patients_per_nurse=None)
        chairs.append(appointment.chair)
    assert sorted(chairs) == [1, 2]
    third = _appointment(_course(clinic, patients[2]), room, NINE + timedelta(minutes=30))
    with pytest.raises(ResourceTakenError, match="no free chair"), transaction.atomic():
        take_holds(third, patients_per_nurse=None)
    assert not ResourceHold.objects.filter(appointment=third).exists()


def test_a_patient_is_in_one_place_at_a_time(clinic: Clinic, patients: list[Patient]) -> None:
    course = _course(clinic, patients[0])
    first = _appointment(course, _room(clinic))
    with transaction.atomic():
        take_holds(first, patients_per_nurse=None)
    assert ResourceHold.objects.filter(resource=patient_key(patients[0].pk)).count() == 1
    clash = _appointment(course, _room(clinic, capacity=2), NINE + timedelta(minutes=90))
    with pytest.raises(ResourceTakenError, match="patient already has"), transaction.atomic():
        take_holds(clash, patients_per_nurse=None)


def test_a_nurse_watches_as_many_overlapping_chairs_as_the_ratio_allows(
    clinic: Clinic, patients: list[Patient]
) -> None:
    nurse = staff_of(clinic, Role.NURSE)
    room = _room(clinic, capacity=3)
    for patient in patients[:2]:
        appointment = _appointment(_course(clinic, patient), room, nurse=nurse)
        with transaction.atomic():
            take_holds(appointment, patients_per_nurse=2)
    third = _appointment(_course(clinic, patients[2]), room, nurse=nurse)
    with pytest.raises(ResourceTakenError) as refused, transaction.atomic():
        take_holds(third, patients_per_nurse=2)
    assert refused.value.field == "nurse"


def test_a_therapist_runs_one_session_at_a_time_and_release_frees_them(
    clinic: Clinic, patients: list[Patient]
) -> None:
    therapist = staff_of(clinic, Role.THERAPIST)
    first = _appointment(_course(clinic, patients[0]), _room(clinic), therapist=therapist)
    with transaction.atomic():
        take_holds(first, patients_per_nurse=None)
    second = _appointment(
        _course(clinic, patients[1]), _room(clinic, capacity=2), therapist=therapist
    )
    with pytest.raises(ResourceTakenError) as refused, transaction.atomic():
        take_holds(second, patients_per_nurse=None)
    assert refused.value.field == "therapist"
    release_holds(first)
    with transaction.atomic():
        take_holds(second, patients_per_nurse=None)
    assert ResourceHold.objects.filter(appointment=second).count() == 2 + STAFF_UNITS
