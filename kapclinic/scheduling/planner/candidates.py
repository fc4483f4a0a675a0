"""The concrete options for one session type: (day, start, room, therapist, nurse) that the one
slot-rules module (``slots.slot_problems``) finds problem-free, inside the patient's
availability, with a free chair and free staff units left by the existing holds (counted with
the keys of ``kapclinic.scheduling.resources``, as the booking's holds are taken).

Where a day gives no option, why is kept (``Blocked``), for the planner to name the constraint
that blocks when nothing fits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import Final

from kapclinic.scheduling.planner.values import PlanRequest
from kapclinic.scheduling.protocols.definition import SessionType
from kapclinic.scheduling.resources import (
    STAFF_UNITS,
    patient_key,
    room_chair,
    staff_unit,
    units_for,
)
from kapclinic.scheduling.slots import (
    NURSE,
    THERAPIST,
    ClinicFacts,
    RoomFacts,
    SlotProblemKind,
    SlotRequest,
    Span,
    StaffFacts,
    is_covered,
    needs,
    rooms_for,
    slot_problems,
    staff_for,
)

# At most this many start times a day per session type, at least SPREAD minutes apart: enough
# for two sessions of one course on one day (a dose, then its review) without a huge model.
STARTS_PER_DAY: Final = 4
SPREAD_MINUTES: Final = 60


class Blocked(IntEnum):
    """Why a day gives no option, from the furthest from fitting to the nearest: a day keeps
    the largest value any of its start times reached."""

    WEEKDAY = 0  # the patient does not come on that weekday
    BLACKOUT = 1  # a day the patient cannot
    CLOSED = 2  # the clinic is closed in the patient's hours (or too briefly)
    NO_ROOM = 3  # no active room of the kind with the equipment (or not among those asked)
    PRESCRIBER = 4  # no prescriber on site for the whole session
    NO_THERAPIST = 5  # no therapist works then
    NO_NURSE = 6  # no nurse works then
    ROOM_FULL = 7  # the rooms are full
    THERAPIST_FULL = 8  # the therapists are fully booked
    NURSE_FULL = 9  # the nurses have no place left (the ratio)
    PATIENT_BUSY = 10  # the patient has another appointment


@dataclass(frozen=True)
class Candidate:
    day: int  # days after the request's earliest start
    starts_at: datetime
    ends_at: datetime
    minute: int  # minutes from the earliest start's midnight (for the patient's no-overlap)
    room: RoomFacts
    therapist: StaffFacts | None
    nurse: StaffFacts | None
    room_free_chairs: int
    nurse_others: int  # patients the nurse already watches then (the ratio's share)


@dataclass
class Options:
    session_type: SessionType
    candidates: list[Candidate] = field(default_factory=list)
    blocked: dict[date, Blocked] = field(default_factory=dict)
    role_missing: str = ""  # "nurse"/"therapist" when the clinic has nobody in the role


class HeldIndex:
    """Existing holds by key and local day, for fast overlap tests; ``add`` takes a planned
    session's holds (the batch planner)."""

    def __init__(self, held: Mapping[str, Iterable[Span]], tz: object) -> None:
        self._tz = tz
        self._spans: dict[tuple[str, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        for key, spans in held.items():
            for span in spans:
                self.add(key, span)

    def _days(self, span: Span) -> Iterable[date]:
        first = span.starts_at.astimezone(self._tz).date()  # type: ignore[arg-type]
        last = (span.ends_at - timedelta(microseconds=1)).astimezone(self._tz).date()  # type: ignore[arg-type]
        day = first
        while day <= last:
            yield day
            day += timedelta(days=1)

    def add(self, key: str, span: Span) -> None:
        for day in self._days(span):
            spans = self._spans[(key, day)]
            spans.insert(
                bisect_left(spans, (span.starts_at, span.ends_at)), (span.starts_at, span.ends_at)
            )

    def is_free(self, key: str, span: Span) -> bool:
        for day in self._days(span):
            for starts_at, ends_at in self._spans.get((key, day), ()):
                if starts_at >= span.ends_at:
                    break
                if ends_at > span.starts_at:
                    return False
        return True

    def free_units(self, staff_id: int, span: Span) -> int:
        return sum(
            1 for u in range(1, STAFF_UNITS + 1) if self.is_free(staff_unit(staff_id, u), span)
        )

    def free_chairs(self, room: RoomFacts, span: Span) -> int:
        return sum(
            1 for c in range(1, room.capacity + 1) if self.is_free(room_chair(room.id, c), span)
        )


def _on_day(spans: Iterable[Span], start: datetime, end: datetime) -> tuple[Span, ...]:
    return tuple(s for s in spans if s.starts_at < end and s.ends_at > start)


class DayFacts:
    """The clinic's facts cut to one day at a time (so each slot check reads a day's spans),
    built once per request and shared by every session type."""

    def __init__(self, facts: ClinicFacts) -> None:
        self.facts = facts
        self._cache: dict[date, ClinicFacts] = {}

    def day(self, day: date) -> ClinicFacts:
        found = self._cache.get(day)
        if found is None:
            tz = self.facts.tz
            start = datetime.combine(day, time(0), tzinfo=tz)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            staff = {
                key: replace(
                    person,
                    working=_on_day(person.working, start, end),
                    on_site=_on_day(person.on_site, start, end),
                )
                for key, person in self.facts.staff.items()
            }
            found = replace(
                self.facts, opening=_on_day(self.facts.opening, start, end), staff=staff
            )
            self._cache[day] = found
        return found


def _window(request: PlanRequest, day: date, minutes: int, facts: ClinicFacts) -> list[datetime]:
    """Start times on ``day`` (on the grid) whose whole session lies in the patient's hours and
    in one of the clinic's opening intervals."""
    tz = facts.tz
    patient_from = datetime.combine(day, request.availability.earliest_time, tzinfo=tz)
    patient_to = datetime.combine(day, request.availability.latest_time, tzinfo=tz)
    length = timedelta(minutes=minutes)
    grid = timedelta(minutes=request.grid_minutes)
    starts: list[datetime] = []
    for opening in sorted(facts.opening):
        begin = max(opening.starts_at, patient_from)
        stop = min(opening.ends_at, patient_to)
        # Align to the grid from midnight, so options read as round times.
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        steps = -(-(begin - midnight) // grid)
        cursor = midnight + steps * grid
        while cursor + length <= stop:
            starts.append(cursor)
            cursor += grid
    return sorted(set(starts))


def _best(staff: list[tuple[int, StaffFacts]]) -> list[StaffFacts]:
    # Best fit: the person with the fewest free units first (a nurse already watching someone
    # then takes the next patient, keeping others free), then by id for a stable answer.
    return [person for _, person in sorted(staff, key=lambda pair: (pair[0], pair[1].id))]


def session_options(
    request: PlanRequest,
    session_type: SessionType,
    held: HeldIndex,
    days: DayFacts,
) -> Options:
    """Every problem-free option for ``session_type`` from the earliest start to the horizon,
    at most STARTS_PER_DAY a day."""
    facts = request.facts
    options = Options(session_type)
    need = needs(session_type)
    rooms = [
        room
        for room in rooms_for(session_type, facts)
        if request.room_ids is None or room.id in request.room_ids
    ]
    therapists = staff_for(THERAPIST, facts) if need.therapist else ()
    nurses = staff_for(NURSE, facts) if need.nurse else ()
    if need.therapist and not therapists:
        options.role_missing = "therapist"
    if need.nurse and not nurses:
        options.role_missing = "nurse"
    nurse_units = units_for(need.patients_per_nurse)
    availability = request.availability
    origin = datetime.combine(request.earliest_start, time(0), tzinfo=facts.tz)
    for offset in range(request.horizon_days):
        day = request.earliest_start + timedelta(days=offset)
        if day > facts.last_day:
            break
        if day.weekday() not in availability.weekdays:
            options.blocked[day] = Blocked.WEEKDAY
            continue
        if day in availability.blackout:
            options.blocked[day] = Blocked.BLACKOUT
            continue
        day_facts = days.day(day)
        reached = Blocked.CLOSED
        kept = 0
        last_kept: datetime | None = None
        for starts_at in _window(request, day, session_type.minutes, day_facts):
            if kept >= STARTS_PER_DAY:
                break
            if last_kept is not None and starts_at < last_kept + timedelta(minutes=SPREAD_MINUTES):
                continue
            found, stage = _option(
                request,
                session_type,
                starts_at,
                day_facts,
                held,
                rooms,
                therapists,
                nurses,
                nurse_units,
            )
            reached = max(reached, stage)
            if found is None:
                continue
            room, free_chairs, therapist, nurse, nurse_free = found
            ends_at = starts_at + timedelta(minutes=session_type.minutes)
            options.candidates.append(
                Candidate(
                    offset,
                    starts_at,
                    ends_at,
                    int((starts_at - origin).total_seconds() // 60),
                    room,
                    therapist,
                    nurse,
                    free_chairs,
                    (STAFF_UNITS - nurse_free) // nurse_units if nurse is not None else 0,
                )
            )
            kept += 1
            last_kept = starts_at
        if kept == 0:
            options.blocked[day] = reached
    return options


_Found = tuple[RoomFacts, int, StaffFacts | None, StaffFacts | None, int]


def _option(
    request: PlanRequest,
    session_type: SessionType,
    starts_at: datetime,
    facts: ClinicFacts,
    held: HeldIndex,
    rooms: list[RoomFacts],
    therapists: tuple[StaffFacts, ...],
    nurses: tuple[StaffFacts, ...],
    nurse_units: int,
) -> tuple[_Found | None, Blocked]:
    """The best (room, therapist, nurse) free at ``starts_at``, or None and how near it came."""
    ends_at = starts_at + timedelta(minutes=session_type.minutes)
    span = Span(starts_at, ends_at)
    if not rooms:
        return None, Blocked.NO_ROOM
    need = needs(session_type)
    # The rules no staff choice changes first, with any room: closed, no prescriber on site.
    probe = {
        problem.kind
        for problem in slot_problems(SlotRequest(session_type, starts_at, rooms[0].id), facts)
    }
    if SlotProblemKind.CLINIC_CLOSED in probe:
        return None, Blocked.CLOSED
    if SlotProblemKind.NO_PRESCRIBER_ON_SITE in probe:
        return None, Blocked.PRESCRIBER
    working_t = [t for t in therapists if is_covered(span, t.working)]
    working_n = [n for n in nurses if is_covered(span, n.working)]
    if need.therapist and not working_t:
        return None, Blocked.NO_THERAPIST
    if need.nurse and not working_n:
        return None, Blocked.NO_NURSE
    free_rooms = [(held.free_chairs(room, span), room) for room in rooms]
    free_rooms = [(free, room) for free, room in free_rooms if free > 0]
    if not free_rooms:
        return None, Blocked.ROOM_FULL
    free_t = [
        (units, t) for t in working_t if (units := held.free_units(t.id, span)) == STAFF_UNITS
    ]
    free_n = [
        (units, n) for n in working_n if (units := held.free_units(n.id, span)) >= nurse_units
    ]
    if need.therapist and not free_t:
        return None, Blocked.THERAPIST_FULL
    if need.nurse and not free_n:
        return None, Blocked.NURSE_FULL
    if request.patient_id is not None and not held.is_free(patient_key(request.patient_id), span):
        return None, Blocked.PATIENT_BUSY
    free_rooms.sort(key=lambda pair: (pair[0], pair[1].id))
    therapist_choices: list[StaffFacts | None] = list(_best(free_t)) if need.therapist else [None]
    nurse_choices: list[StaffFacts | None] = list(_best(free_n)) if need.nurse else [None]
    units_of = {n.id: units for units, n in free_n}
    for free, room in free_rooms:
        for therapist in therapist_choices:
            for nurse in nurse_choices:
                if therapist is not None and nurse is not None and therapist.id == nurse.id:
                    continue
                slot = SlotRequest(
                    session_type,
                    starts_at,
                    room.id,
                    therapist.id if therapist else None,
                    nurse.id if nurse else None,
                )
                if not slot_problems(slot, facts):
                    nurse_free = units_of.get(nurse.id, STAFF_UNITS) if nurse else STAFF_UNITS
                    return (room, free, therapist, nurse, nurse_free), Blocked.PATIENT_BUSY
    return None, Blocked.NO_NURSE
