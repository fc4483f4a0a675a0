"""R-INT-1: the integration session offered at discharge, booked through scheduling's one
booking service (its checks, overrides and measurement hooks), never written here."""

from __future__ import annotations

from datetime import datetime

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Room, User
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.services.sessions import DosingError
from kapclinic.scheduling import services as scheduling
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import Integration
from kapclinic.scheduling.protocols.parser import parse_protocol


def integration_of(session: DosingSession) -> Integration | None:
    """The integration that follows this dose in the course's protocol (the session's own
    dosing step first; its session type and window of days), or None when it has none."""
    protocol = parse_protocol(session.appointment.course.protocol.document)
    steps = [step for step in protocol.outline if step.integration is not None]
    own = [step for step in steps if step.session_type == session.appointment.session_type]
    chosen = own or steps
    return chosen[0].integration if chosen else None


def book_integration(
    *,
    actor: Actor,
    session: DosingSession,
    starts_at: datetime,
    room: Room,
    therapist: User | None,
    override_reason: str = "",
    now: datetime,
) -> Appointment:
    """Book the course's integration session (R-INT-1); scheduling's BookingError names every
    problem (its window after the dose, the room, the therapist's hours) when refused."""
    integration = integration_of(session)
    if integration is None:
        msg = "This course's protocol has no integration session to book."
        raise DosingError(msg)
    return scheduling.book_appointment(
        actor=actor,
        course=session.appointment.course,
        session_type=integration.session_type,
        starts_at=starts_at,
        room=room,
        therapist=therapist,
        override_reason=override_reason,
        now=now,
    )
