"""Taking and releasing an appointment's resource holds: the one writer of ``ResourceHold``.

Called by the booking service inside its transaction, after the appointment row is written
(times, room, staff). It picks a free chair of the room and free units of each staff member
(``kapclinic.scheduling.resources``), and inserts the holds. The database refuses an overlap
(migration 0004), so a concurrent booking that read the same free chair loses there: the
insert runs in a savepoint and, on the refusal, the choice is made again from what is now
committed, a few times, before the resource is reported taken.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from kapclinic.scheduling.exceptions import ResourceTakenError
from kapclinic.scheduling.models import Appointment, ResourceHold
from kapclinic.scheduling.resources import (
    STAFF_UNITS,
    patient_key,
    room_chair,
    staff_unit,
    units_for,
)

ATTEMPTS = 5


def _held(appointment: Appointment, prefixes: Iterable[str]) -> set[str]:
    """The keys starting with one of ``prefixes`` held at overlapping times by others."""
    found: set[str] = set()
    for prefix in prefixes:
        found.update(
            ResourceHold.objects.filter(
                resource__startswith=prefix,
                starts_at__lt=appointment.ends_at,
                ends_at__gt=appointment.starts_at,
            )
            .exclude(appointment=appointment)
            .values_list("resource", flat=True)
        )
    return found


def _choose(appointment: Appointment, patients_per_nurse: int | None) -> tuple[int, list[str]]:
    """The chair and the keys to hold, from what is free now; ResourceTakenError when none is."""
    room = appointment.room
    held = _held(
        appointment,
        [f"room:{room.pk}:", patient_key(appointment.patient_id)]
        + [f"staff:{user_id}:" for user_id in _staff_ids(appointment)],
    )
    if patient_key(appointment.patient_id) in held:
        msg = "The patient already has an appointment at an overlapping time."
        raise ResourceTakenError(msg, field="starts_at")
    chair = next(
        (c for c in range(1, room.capacity + 1) if room_chair(room.pk, c) not in held), None
    )
    if chair is None:
        msg = f"{room.name} has no free chair at that time."
        raise ResourceTakenError(msg, field="room")
    keys = [room_chair(room.pk, chair), patient_key(appointment.patient_id)]
    for field, user_id, units in _staff_needs(appointment, patients_per_nurse):
        free = [u for u in range(1, STAFF_UNITS + 1) if staff_unit(user_id, u) not in held]
        if len(free) < units:
            msg = "That staff member is already booked at an overlapping time."
            raise ResourceTakenError(msg, field=field)
        keys.extend(staff_unit(user_id, u) for u in free[:units])
    return chair, keys


def _staff_ids(appointment: Appointment) -> list[int]:
    return [i for i in (appointment.therapist_id, appointment.nurse_id) if i is not None]


def _staff_needs(
    appointment: Appointment, patients_per_nurse: int | None
) -> list[tuple[str, int, int]]:
    """(form field, user id, units) per staff member the appointment names. One person named
    as both therapist and nurse attends the session alone: every unit."""
    if appointment.therapist_id is not None and appointment.therapist_id == appointment.nurse_id:
        return [("therapist", appointment.therapist_id, STAFF_UNITS)]
    needs: list[tuple[str, int, int]] = []
    if appointment.therapist_id is not None:
        needs.append(("therapist", appointment.therapist_id, STAFF_UNITS))
    if appointment.nurse_id is not None:
        needs.append(("nurse", appointment.nurse_id, units_for(patients_per_nurse)))
    return needs


def take_holds(appointment: Appointment, *, patients_per_nurse: int | None) -> None:
    """Hold the appointment's chair, staff units and patient for its times (replacing any holds
    it had, for a move). Sets ``appointment.chair`` and saves it. Must run inside the booking
    transaction; raises ResourceTakenError when a resource is not free."""
    if not transaction.get_connection().in_atomic_block:
        msg = "take_holds must run inside the booking service's transaction."
        raise RuntimeError(msg)
    for attempt in range(ATTEMPTS):
        chair, keys = _choose(appointment, patients_per_nurse)
        try:
            with transaction.atomic():
                ResourceHold.objects.filter(appointment=appointment).delete()
                ResourceHold.objects.bulk_create(
                    ResourceHold(
                        appointment=appointment,
                        resource=key,
                        starts_at=appointment.starts_at,
                        ends_at=appointment.ends_at,
                    )
                    for key in keys
                )
        except IntegrityError:
            # A concurrent booking committed one of these keys after we read them free.
            if attempt == ATTEMPTS - 1:
                msg = "Another booking took that time just now: choose another."
                raise ResourceTakenError(msg, field="starts_at") from None
            continue
        if appointment.chair != chair:
            appointment.chair = chair
            appointment.save(update_fields=["chair", "updated_at"])
        return


def release_holds(appointment: Appointment) -> None:
    """Free everything the appointment held (it was cancelled)."""
    ResourceHold.objects.filter(appointment=appointment).delete()
