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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from kapclinic.scheduling.planner.values import PlanRequest
from kapclinic.scheduling.protocols.definition import SessionType
from kapclinic.scheduling.resources import (
    STAFF_UNITS,
    patient_key,
    room_chair,
    staff_units,
    units_for,
)
from kapclinic.scheduling.slots import (
    NURSE,
    PRESCRIBER,
    THERAPIST,
    ClinicFacts,
    RoomFacts,
    SlotRequest,
    Span,
    StaffFacts,
    merged,
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

    def __init__(self, held: Mapping[str, Iterable[Span]], tz: ZoneInfo) -> None:
        self._tz = tz
        self._spans: dict[tuple[str, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self._unit_keys: dict[int, tuple[str, ...]] = {}
        self._chair_keys: dict[int, tuple[str, ...]] = {}
        # Day options already worked out against these holds (candidates._day_options).
        self.memo: dict[tuple[object, ...], tuple[list[tuple[datetime, Any]], Blocked]] = {}
        for key, spans in held.items():
            for span in spans:
                self.add(key, span)

    def _days(self, span: Span) -> list[date]:
        first = span.starts_at.astimezone(self._tz).date()
        last = (span.ends_at - _TICK).astimezone(self._tz).date()
        if first == last:
            return [first]
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def add(self, key: str, span: Span) -> None:
        self.memo.clear()
        pair = (span.starts_at, span.ends_at)
        for day in self._days(span):
            spans = self._spans[(key, day)]
            spans.insert(bisect_left(spans, pair), pair)

    def export(self) -> dict[str, tuple[Span, ...]]:
        """The holds by key (each once), as ``availability.held`` gives them."""
        found: dict[str, set[tuple[datetime, datetime]]] = defaultdict(set)
        for (key, _), spans in self._spans.items():
            found[key].update(spans)
        return {key: tuple(Span(*pair) for pair in sorted(spans)) for key, spans in found.items()}

    def is_free(self, key: str, span: Span, day: date | None = None) -> bool:
        """Whether nothing holds ``key`` during ``span``; ``day``: the span's one local day,
        when the caller knows it."""
        for on in [day] if day is not None else self._days(span):
            for starts_at, ends_at in self._spans.get((key, on), ()):
                if starts_at >= span.ends_at:
                    break
                if ends_at > span.starts_at:
                    return False
        return True

    def free_units(self, staff_id: int, span: Span, day: date | None = None) -> int:
        keys = self._unit_keys.get(staff_id)
        if keys is None:
            keys = self._unit_keys[staff_id] = staff_units(staff_id)
        return sum(1 for key in keys if self.is_free(key, span, day))

    def free_chairs(self, room: RoomFacts, span: Span, day: date | None = None) -> int:
        keys = self._chair_keys.get(room.id)
        if keys is None:
            keys = tuple(room_chair(room.id, c) for c in range(1, room.capacity + 1))
            self._chair_keys[room.id] = keys
        return sum(1 for key in keys if self.is_free(key, span, day))


_TICK = timedelta(microseconds=1)


def _inside(span: Span, spans: Sequence[Span]) -> bool:
    """A quick pre-check on one day's merged spans (``slot_problems`` decides in the end)."""
    return any(part.starts_at <= span.starts_at and span.ends_at <= part.ends_at for part in spans)


class DayFacts:
    """The clinic's facts cut to one day at a time (so each slot check reads a day's spans),
    indexed once and shared by every session type and, in a batch, every request."""

    def __init__(self, facts: ClinicFacts) -> None:
        self.facts = facts
        tz = facts.tz

        def local_day(span: Span) -> date:
            moment = span.starts_at
            return (moment if moment.tzinfo is tz else moment.astimezone(tz)).date()

        self._opening: dict[date, list[Span]] = defaultdict(list)
        for span in facts.opening:
            self._opening[local_day(span)].append(span)
        self._working: dict[tuple[int, date], list[Span]] = defaultdict(list)
        self._on_site: dict[tuple[int, date], list[Span]] = defaultdict(list)
        for person in facts.staff.values():
            for span in person.working:
                self._working[(person.id, local_day(span))].append(span)
            for span in person.on_site:
                self._on_site[(person.id, local_day(span))].append(span)
        prescribers = [p.id for p in facts.staff.values() if PRESCRIBER in p.roles]
        self._prescribers = prescribers
        self._cover: dict[date, tuple[Span, ...]] = {}
        self._cache: dict[date, ClinicFacts] = {}

    def opening(self, day: date) -> list[Span]:
        return self._opening.get(day, [])

    def working(self, staff_id: int, day: date) -> list[Span]:
        return self._working.get((staff_id, day), [])

    def cover(self, day: date) -> tuple[Span, ...]:
        """When a prescriber is on site that day (merged)."""
        found = self._cover.get(day)
        if found is None:
            found = merged(
                span
                for staff_id in self._prescribers
                for span in self._on_site.get((staff_id, day), ())
            )
            self._cover[day] = found
        return found

    def day(self, day: date) -> ClinicFacts:
        """The facts of that day alone, for ``slot_problems``."""
        found = self._cache.get(day)
        if found is None:
            staff = {
                key: replace(
                    person,
                    working=tuple(self._working.get((key, day), ())),
                    on_site=tuple(self._on_site.get((key, day), ())),
                )
                for key, person in self.facts.staff.items()
            }
            found = replace(self.facts, opening=tuple(self.opening(day)), staff=staff)
            self._cache[day] = found
        return found


def _window(
    request: PlanRequest, day: date, minutes: int, opening: Sequence[Span]
) -> list[datetime]:
    """Start times on ``day`` (on the grid) whose whole session lies in the patient's hours and
    in one of the clinic's opening intervals."""
    tz = request.facts.tz
    patient_from = datetime.combine(day, request.availability.earliest_time, tzinfo=tz)
    patient_to = datetime.combine(day, request.availability.latest_time, tzinfo=tz)
    length = timedelta(minutes=minutes)
    grid = timedelta(minutes=request.grid_minutes)
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    starts: set[datetime] = set()
    for interval in opening:
        begin = max(interval.starts_at, patient_from)
        stop = min(interval.ends_at, patient_to)
        # Aligned to the grid from midnight, so options read as round times.
        cursor = midnight + -(-(begin - midnight) // grid) * grid
        while cursor + length <= stop:
            starts.add(cursor)
            cursor += grid
    return sorted(starts)


def _best(staff: list[tuple[int, StaffFacts]]) -> list[StaffFacts]:
    # Best fit: the person with the fewest free units first (a nurse already watching someone
    # then takes the next patient, keeping others free), then by id for a stable answer.
    return [person for _, person in sorted(staff, key=lambda pair: (pair[0], pair[1].id))]


@dataclass(frozen=True)
class _Need:
    session_type: SessionType
    rooms: list[RoomFacts]
    therapists: tuple[StaffFacts, ...]
    nurses: tuple[StaffFacts, ...]
    nurse_units: int
    prescriber: bool


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
    wanted = _Need(
        session_type,
        [
            room
            for room in rooms_for(session_type, facts)
            if request.room_ids is None or room.id in request.room_ids
        ],
        staff_for(THERAPIST, facts) if need.therapist else (),
        staff_for(NURSE, facts) if need.nurse else (),
        units_for(need.patients_per_nurse),
        need.prescriber_on_site,
    )
    if need.therapist and not wanted.therapists:
        options.role_missing = THERAPIST
    if need.nurse and not wanted.nurses:
        options.role_missing = NURSE
    availability = request.availability
    origin = datetime.combine(request.earliest_start, time(0), tzinfo=facts.tz)
    length = timedelta(minutes=session_type.minutes)
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
        found_today, reached = _day_options(request, wanted, day, days, held)
        for starts_at, (room, free_chairs, therapist, nurse, nurse_free) in found_today:
            options.candidates.append(
                Candidate(
                    offset,
                    starts_at,
                    starts_at + length,
                    int((starts_at - origin).total_seconds() // 60),
                    room,
                    therapist,
                    nurse,
                    free_chairs,
                    (STAFF_UNITS - nurse_free) // wanted.nurse_units if nurse is not None else 0,
                )
            )
        if not found_today:
            options.blocked[day] = reached
    return options


_Found = tuple[RoomFacts, int, StaffFacts | None, StaffFacts | None, int]
_Day = tuple[list[tuple[datetime, _Found]], Blocked]


def _day_options(
    request: PlanRequest, wanted: _Need, day: date, days: DayFacts, held: HeldIndex
) -> _Day:
    """A day's options for ``wanted``, at most STARTS_PER_DAY, SPREAD_MINUTES apart, or how
    near the day came. Kept in ``held``'s memo (the alternatives of a NoFit ask for many of the
    same days again) until a hold is added."""
    availability = request.availability
    key = (
        id(wanted.session_type),
        day,
        availability.earliest_time,
        availability.latest_time,
        request.room_ids,
        request.patient_id,
        request.grid_minutes,
    )
    memo = held.memo.get(key)
    if memo is not None:
        return memo
    reached = Blocked.CLOSED
    found_today: list[tuple[datetime, _Found]] = []
    spread = timedelta(minutes=SPREAD_MINUTES)
    for starts_at in _window(request, day, wanted.session_type.minutes, days.opening(day)):
        if len(found_today) >= STARTS_PER_DAY:
            break
        if found_today and starts_at < found_today[-1][0] + spread:
            continue
        found, stage = _option(request, wanted, starts_at, day, days, held)
        reached = max(reached, stage)
        if found is not None:
            found_today.append((starts_at, found))
    held.memo[key] = (found_today, reached)
    return found_today, reached


def _option(
    request: PlanRequest,
    wanted: _Need,
    starts_at: datetime,
    day: date,
    days: DayFacts,
    held: HeldIndex,
) -> tuple[_Found | None, Blocked]:
    """The best (room, therapist, nurse) free at ``starts_at``, or None and how near it came.
    Quick pre-checks first; the choice is then confirmed by ``slot_problems``."""
    session_type = wanted.session_type
    span = Span(starts_at, starts_at + timedelta(minutes=session_type.minutes))
    if not wanted.rooms:
        return None, Blocked.NO_ROOM
    if wanted.prescriber and not _inside(span, days.cover(day)):
        return None, Blocked.PRESCRIBER
    working_t = [t for t in wanted.therapists if _inside(span, days.working(t.id, day))]
    if wanted.therapists and not working_t:
        return None, Blocked.NO_THERAPIST
    working_n = [n for n in wanted.nurses if _inside(span, days.working(n.id, day))]
    if wanted.nurses and not working_n:
        return None, Blocked.NO_NURSE
    free_rooms = [(held.free_chairs(room, span, day), room) for room in wanted.rooms]
    free_rooms = [(free, room) for free, room in free_rooms if free > 0]
    if not free_rooms:
        return None, Blocked.ROOM_FULL
    free_t = [
        (units, t) for t in working_t if (units := held.free_units(t.id, span, day)) == STAFF_UNITS
    ]
    if wanted.therapists and not free_t:
        return None, Blocked.THERAPIST_FULL
    free_n = [
        (units, n)
        for n in working_n
        if (units := held.free_units(n.id, span, day)) >= wanted.nurse_units
    ]
    if wanted.nurses and not free_n:
        return None, Blocked.NURSE_FULL
    if request.patient_id is not None and not held.is_free(
        patient_key(request.patient_id), span, day
    ):
        return None, Blocked.PATIENT_BUSY
    free_rooms.sort(key=lambda pair: (pair[0], pair[1].id))
    therapist_choices: list[StaffFacts | None] = [*_best(free_t)] if wanted.therapists else [None]
    nurse_choices: list[StaffFacts | None] = [*_best(free_n)] if wanted.nurses else [None]
    units_of = {n.id: units for units, n in free_n}
    facts = days.day(day)
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
    return None, Blocked.CLOSED
