"""The calendar pages' calls to the booking services (kapclinic.scheduling.services: book,
move, cancel, mark attended or missed, and the checks a booking runs). Each call is one small
function here, so the pages depend on these signatures only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Room, User
from kapclinic.scheduling import services
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, Course


class Problem(Protocol):
    """What a booking check reports (the booking services' BookingProblem)."""

    @property
    def message(self) -> str: ...

    @property
    def overridable(self) -> bool: ...


@dataclass(frozen=True)
class Slot:
    """Where and when a session goes, and with whom."""

    starts_at: datetime
    room: Room
    therapist: User | None = None
    nurse: User | None = None


def problems_of(error: SchedulingError) -> Sequence[Problem]:
    """The problems a refused booking lists (none for a plain refusal)."""
    found: Sequence[Problem] = getattr(error, "problems", ())
    return found


def check_move(*, appointment: Appointment, slot: Slot, now: datetime) -> Sequence[Problem]:
    found: Sequence[Problem] = services.check_booking(
        course=appointment.course,
        session_type=appointment.session_type,
        starts_at=slot.starts_at,
        room=slot.room,
        therapist=slot.therapist,
        nurse=slot.nurse,
        now=now,
        moving=appointment,
    )
    return found


def move(*, actor: Actor, appointment: Appointment, slot: Slot, override_reason: str) -> None:
    services.move_appointment(
        now=timezone.now(),
        actor=actor,
        appointment=appointment,
        starts_at=slot.starts_at,
        room=slot.room,
        therapist=slot.therapist,
        nurse=slot.nurse,
        override_reason=override_reason,
    )


def book(
    *,
    actor: Actor,
    course: Course,
    session_type: str,
    slot: Slot,
    override_reason: str = "",
) -> Appointment:
    booked: Appointment = services.book_appointment(
        now=timezone.now(),
        actor=actor,
        course=course,
        session_type=session_type,
        starts_at=slot.starts_at,
        room=slot.room,
        therapist=slot.therapist,
        nurse=slot.nurse,
        override_reason=override_reason,
    )
    return booked


def cancel(*, actor: Actor, appointment: Appointment, reason: str) -> int:
    """Cancel; how many waitlist entries the freed slot was offered to."""
    done = services.cancel_appointment(
        actor=actor, appointment=appointment, reason=reason, now=timezone.now()
    )
    return len(getattr(done, "offered", ()))


def attended(*, actor: Actor, appointment: Appointment) -> None:
    services.mark_attended(actor=actor, appointment=appointment, now=timezone.now())


def no_show(*, actor: Actor, appointment: Appointment) -> None:
    services.mark_no_show(actor=actor, appointment=appointment, now=timezone.now())
