"""Hand-built clinics for the planner's pure tests: ``ClinicFacts`` values, no database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kapclinic.scheduling.protocols.definition import Equipment, Protocol, RoomKind
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.slots import ClinicFacts, RoomFacts, Span, StaffFacts

TZ = ZoneInfo("America/New_York")
MONDAY = date(2027, 1, 4)
DOSING_KIT = frozenset({Equipment.RECLINER, Equipment.BP_MONITOR, Equipment.PULSE_OXIMETER})


def protocol(code: str) -> Protocol:
    return next(p for p in shipped_protocols() if p.code == code)


def spans(
    first: date, days: int, weekdays: Iterable[int], opens: time, closes: time
) -> tuple[Span, ...]:
    wanted = set(weekdays)
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in wanted:
            found.append(
                Span(
                    datetime.combine(day, opens, tzinfo=TZ),
                    datetime.combine(day, closes, tzinfo=TZ),
                )
            )
    return tuple(found)


def person(
    staff_id: int,
    name: str,
    roles: Iterable[str],
    first: date = MONDAY,
    days: int = 120,
    weekdays: Iterable[int] = range(5),
    opens: time = time(8),
    closes: time = time(18),
    on_site: bool = True,
) -> StaffFacts:
    working = spans(first, days, weekdays, opens, closes)
    return StaffFacts(staff_id, name, frozenset(roles), working, working if on_site else ())


def clinic(
    *,
    rooms: Iterable[RoomFacts] | None = None,
    staff: Iterable[StaffFacts] | None = None,
    first: date = MONDAY,
    days: int = 120,
    weekdays: Iterable[int] = range(5),
) -> ClinicFacts:
    rooms = list(
        rooms
        if rooms is not None
        else [
            RoomFacts(1, "Treatment 1", RoomKind.TREATMENT, DOSING_KIT, 1, True),
            RoomFacts(2, "Treatment 2", RoomKind.TREATMENT, DOSING_KIT, 1, True),
            RoomFacts(3, "Consult 1", RoomKind.CONSULT, frozenset(), 1, True),
            RoomFacts(4, "Therapy 1", RoomKind.THERAPY, frozenset(), 1, True),
        ]
    )
    staff = list(
        staff
        if staff is not None
        else [
            person(10, "Dr Prescriber", ["prescriber"]),
            person(11, "Nurse Ana", ["nurse"]),
            person(12, "Therapist Tom", ["therapist"]),
        ]
    )
    return ClinicFacts(
        clinic_id=1,
        tz=TZ,
        first_day=first,
        last_day=first + timedelta(days=days - 1),
        opening=spans(first, days, weekdays, time(8), time(18)),
        rooms={room.id: room for room in rooms},
        staff={member.id: member for member in staff},
    )
