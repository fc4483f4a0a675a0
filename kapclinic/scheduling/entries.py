"""An appointment as the calendars, the waitlist and Today show it: its session type's name (from
its course's protocol version, each document parsed once per page) and its times in the
clinic's time zone. Pure: no query of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kapclinic.accounts.models import User
from kapclinic.patients.models import Patient
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.models import Appointment, ProtocolVersion
from kapclinic.scheduling.protocols.parser import parse_protocol


def _names_in(document: Any) -> dict[str, str]:
    try:
        parsed = parse_protocol(document)
    except ProtocolDefinitionError:
        return {}
    return {t.code: t.name for t in parsed.session_types}


class SessionNames:
    """Session type names by protocol version, each document parsed once per page. A list of
    appointments reads its versions' documents once (``documents``, by version pk) rather than
    with every row."""

    def __init__(self, documents: Mapping[int, Any] | None = None) -> None:
        self._names: dict[int, dict[str, str]] = {
            pk: _names_in(document) for pk, document in (documents or {}).items()
        }

    def name(self, protocol: ProtocolVersion, code: str) -> str:
        names = self._names.get(protocol.pk)
        if names is None:
            names = self._names[protocol.pk] = _names_in(protocol.document)
        return names.get(code, code)

    def of(self, appointment: Appointment) -> str:
        """``appointment``'s session name: from the documents given, without loading its
        course's protocol, or else from the protocol loaded with it."""
        names = self._names.get(appointment.course.protocol_id)
        if names is None:
            return self.name(appointment.course.protocol, appointment.session_type)
        return names.get(appointment.session_type, appointment.session_type)


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
        session_name=names.of(appointment),
        starts=appointment.starts_at.astimezone(tz),
        ends=appointment.ends_at.astimezone(tz),
    )
