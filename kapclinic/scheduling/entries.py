"""An appointment as the calendars, the waitlist and Today show it: its session type's name (from
its course's protocol version, each document parsed once per page) and its times in the
clinic's time zone. Pure: no query of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kapclinic.accounts.models import User
from kapclinic.patients.models import Patient
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.models import Appointment, ProtocolVersion
from kapclinic.scheduling.protocols.parser import parse_protocol


class SessionNames:
    """Session type names by protocol version, each document parsed once per page."""

    def __init__(self) -> None:
        self._names: dict[int, dict[str, str]] = {}

    def name(self, protocol: ProtocolVersion, code: str) -> str:
        names = self._names.get(protocol.pk)
        if names is None:
            try:
                parsed = parse_protocol(protocol.document)
            except ProtocolDefinitionError:
                names = {}
            else:
                names = {t.code: t.name for t in parsed.session_types}
            self._names[protocol.pk] = names
        return names.get(code, code)


@dataclass(frozen=True)
class Entry:
    """One appointment as a calendar shows it, times in the clinic's time zone."""

    appointment: Appointment
    session_name: str
    starts: datetime
    ends: datetime

    @property
    def patient(self) -> Patient:
        return self.appointment.patient

    @property
    def staff(self) -> list[tuple[str, User]]:
        a = self.appointment
        named = [("Therapist", a.therapist), ("Nurse", a.nurse)]
        return [(role, user) for role, user in named if user is not None]

    @property
    def is_override(self) -> bool:
        return bool(self.appointment.override_reason)

    @property
    def status_class(self) -> str:
        return f"appt-{self.appointment.status.replace('_', '-')}"


def entry_of(appointment: Appointment, names: SessionNames, tz: ZoneInfo) -> Entry:
    return Entry(
        appointment=appointment,
        session_name=names.name(appointment.course.protocol, appointment.session_type),
        starts=appointment.starts_at.astimezone(tz),
        ends=appointment.ends_at.astimezone(tz),
    )
