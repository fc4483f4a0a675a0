"""The course's appointment and the measurement plan follow the session (issue 15.1), through
scheduling's own services (which call measurement's plan hooks); dosing never writes their
tables.

- checked in: the booked appointment is marked attended (scheduling's check-in, which assigns
  the after-session questionnaires from the booked end);
- discharged: the attended appointment's end is the discharge time (``record_session_end``,
  which moves those questionnaires to the real end);
- entered in error before the patient was checked in: the booked appointment is cancelled with
  the reason (its slot goes to the waitlist, its questionnaires are cancelled);
- aborted: nothing changes: the patient attended, is observed and discharged as usual.
"""

from __future__ import annotations

from datetime import datetime

from kapclinic.accounts.actor import Actor
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.rules.workflow import State
from kapclinic.scheduling import services as scheduling
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment


class FollowError(Exception):
    """Scheduling refused to follow the session; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def follow_appointment(
    *, actor: Actor, session: DosingSession, target: State, reason: str, now: datetime
) -> None:
    """Bring the session's appointment in step with ``target``, in the caller's transaction."""
    appointment = Appointment.objects.select_related("course__clinic", "patient").get(
        pk=session.appointment_id
    )
    booked = appointment.status == Appointment.Status.BOOKED
    try:
        if target == State.CHECKED_IN and booked:
            scheduling.mark_attended(actor=actor, appointment=appointment, now=now)
        elif target == State.DISCHARGED:
            if booked:
                scheduling.mark_attended(actor=actor, appointment=appointment, now=now)
            scheduling.record_session_end(actor=actor, appointment=appointment, ended_at=now)
        elif target == State.ENTERED_IN_ERROR and booked:
            scheduling.cancel_appointment(
                actor=actor,
                appointment=appointment,
                reason=f"Dosing session entered in error: {reason}",
                now=now,
            )
    except SchedulingError as error:
        raise FollowError(error.message) from error
