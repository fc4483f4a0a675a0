"""The demo's calendar in memory: which resources are taken when, and a free slot for a session.

It counts resources as the database does (``kapclinic.scheduling.resources``: a chair of a room,
units of a staff member's time, the patient), so the holds the generator writes never overlap
(the database would refuse them: migration scheduling/0004). A slot is free when the session
fits the clinic's opening hours with half an hour before it (the questionnaires) and after it,
a room of the session type's kind with its equipment has a free chair, the monitoring nurse
(``patients_per_nurse``) is on duty with enough free units, the therapist is on duty and free,
a prescriber is on site when the session type needs one, and the patient is free.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from kapclinic.accounts.models import Role, Room
from kapclinic.demo.courses.staff import Rota
from kapclinic.scheduling.protocols.definition import SessionType
from kapclinic.scheduling.resources import (
    STAFF_UNITS,
    patient_key,
    room_chair,
    staff_unit,
    units_for,
)

SLOT: Final = 30  # minutes: sessions start on the half hour
MARGIN: Final = 30  # minutes kept free in the day's hours before and after a session


@dataclass(frozen=True)
class Slot:
    day: date
    start: int  # local minutes after midnight
    end: int
    room: Room
    chair: int
    nurse_id: int | None
    therapist_id: int | None
    keys: tuple[str, ...]  # the ResourceHold keys it takes


class Calendar:
    """One clinic's bookings so far, by resource key and day."""

    def __init__(self, rota: Rota, rooms: list[Room]) -> None:
        self.rota = rota
        self.rooms = rooms
        self.busy: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
        # (session type, day): no slot was found that day, whoever asked; days only fill.
        self.full: set[tuple[SessionType, date]] = set()
        self._rooms_for: dict[str, list[Room]] = {}

    def free(self, key: str, day: date, start: int, end: int) -> bool:
        return all(end <= a or b <= start for a, b in self.busy.get((key, day), ()))

    def hold(self, key: str, starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> None:
        """A hold already in the database (a demo given more patients)."""
        start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
        self.busy[key, start.date()].append(
            (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
        )

    def take(self, slot: Slot) -> None:
        for key in slot.keys:
            self.busy[key, slot.day].append((slot.start, slot.end))

    def release(self, slot: Slot) -> None:
        """Give back what ``slot`` took (a course that could not be booked whole)."""
        for key in slot.keys:
            self.busy[key, slot.day].remove((slot.start, slot.end))

    def rooms_for(self, session_type: SessionType) -> list[Room]:
        found = self._rooms_for.get(session_type.code)
        if found is None:
            wanted = session_type.resources
            found = [
                room
                for room in self.rooms
                if room.kind == wanted.room_kind
                and all(getattr(room, f"has_{item.value}") for item in wanted.equipment)
            ]
            self._rooms_for[session_type.code] = found
        return found

    def starts(self, day: date, minutes: int, wanted: int) -> list[int]:
        """The day's possible starts, the nearest to ``wanted`` first."""
        opening = self.rota.opening_of(day)
        if opening is None:
            return []
        first = -(-(opening[0] + MARGIN) // SLOT) * SLOT
        last = (opening[1] - MARGIN - minutes) // SLOT * SLOT
        return sorted(range(first, last + 1, SLOT), key=lambda s: (abs(s - wanted), s))

    def find(
        self,
        session_type: SessionType,
        day: date,
        wanted: int,
        patient_id: int,
        therapist_id: int | None,
    ) -> Slot | None:
        """The free slot on ``day`` nearest to ``wanted`` (taken), or None. ``therapist_id``:
        the course's therapist, asked for first."""
        if (session_type, day) in self.full:
            return None
        minutes = session_type.minutes
        resources = session_type.resources
        patient = patient_key(patient_id)
        rooms = self.rooms_for(session_type)
        blocked_by_patient = False
        for start in self.starts(day, minutes, wanted):
            end = start + minutes
            if not self.free(patient, day, start, end):
                blocked_by_patient = True
                continue
            if resources.prescriber_on_site and not self.rota.prescriber_on_site(day, start, end):
                continue
            chair = self._chair(rooms, day, start, end)
            if chair is None:
                continue
            keys = [room_chair(chair[0].pk, chair[1]), patient]
            nurse_id = None
            if resources.patients_per_nurse is not None:
                found = self._staff(
                    Role.NURSE, None, units_for(resources.patients_per_nurse), day, start, end
                )
                if found is None:
                    continue
                nurse_id, units = found
                keys += units
            therapist = None
            if resources.therapist:
                found = self._staff(Role.THERAPIST, therapist_id, STAFF_UNITS, day, start, end)
                if found is None:
                    continue
                therapist, units = found
                keys += units
            slot = Slot(day, start, end, chair[0], chair[1], nurse_id, therapist, tuple(keys))
            self.take(slot)
            return slot
        if not blocked_by_patient:
            self.full.add((session_type, day))
        return None

    def _chair(self, rooms: list[Room], day: date, start: int, end: int) -> tuple[Room, int] | None:
        for room in rooms:
            for chair in range(1, room.capacity + 1):
                if self.free(room_chair(room.pk, chair), day, start, end):
                    return room, chair
        return None

    def _staff(
        self, role: Role, preferred: int | None, units: int, day: date, start: int, end: int
    ) -> tuple[int, list[str]] | None:
        people = self.rota.staff.get(role, [])
        if preferred is not None and preferred in people:
            people = [preferred, *(p for p in people if p != preferred)]
        for user_id in people:
            if not self.rota.works(user_id, day, start, end):
                continue
            free = [
                staff_unit(user_id, u)
                for u in range(1, STAFF_UNITS + 1)
                if self.free(staff_unit(user_id, u), day, start, end)
            ]
            if len(free) >= units:
                return user_id, free[:units]
        return None
