"""Whether one session fits one slot, without the database: the one place this is decided.

The booking checks (every book and move), the course planner (its candidate slots) and the
tests all call ``slot_problems``; ``kapclinic.scheduling.availability`` reads the clinic's
hours, staff and rooms into the ``ClinicFacts`` value it takes. The course-level rules
(counts, order, spacing, integration windows) are ``kapclinic.scheduling.rules``; whether a
chair, a staff member's time or the patient is already taken is the database's to refuse
(``kapclinic.scheduling.holds``).

A session fits a slot when:
- the clinic is not closed then (a holiday or one-off closure, ``models.ClinicClosure``: never
  overridable, like a room that does not exist) and is open for the whole session (its
  opening hours that day, less its closures: ``ClinicFacts.opening`` never holds a closed
  time, so the planner's candidate slots skip closed days too);
- the room is active, of the kind the session type needs, with its equipment (a dosing room
  with monitoring equipment, R-REMS-2 for esketamine);
- the staff it needs are named and hold the role (a therapist; a monitoring nurse when the
  session type has a nurse-to-chair ratio), and work then (their working hours, less leave);
- a prescriber is on site for the whole session when the session type needs one (issue 13.5:
  never bookable outside coverage).

Only "a staff member is booked outside their working hours" may be overridden, with a written
reason (they agreed to stay late); everything else protects the patient or is impossible.
Times are aware datetimes; spans are half-open [starts_at, ends_at).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kapclinic.scheduling.protocols.definition import (
    EQUIPMENT_LABELS,
    ROOM_KIND_LABELS,
    Equipment,
    RoomKind,
    SessionType,
)

PRESCRIBER = "prescriber"
THERAPIST = "therapist"
NURSE = "nurse"


@dataclass(frozen=True, order=True)
class Span:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Span) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def merged(spans: Iterable[Span]) -> tuple[Span, ...]:
    """The union of ``spans`` as sorted, disjoint spans (touching spans join)."""
    result: list[Span] = []
    for span in sorted(spans):
        if result and span.starts_at <= result[-1].ends_at:
            if span.ends_at > result[-1].ends_at:
                result[-1] = Span(result[-1].starts_at, span.ends_at)
        else:
            result.append(span)
    return tuple(result)


def is_covered(span: Span, spans: Iterable[Span]) -> bool:
    """Whether ``span`` lies inside the union of ``spans``."""
    return any(
        part.starts_at <= span.starts_at and span.ends_at <= part.ends_at for part in merged(spans)
    )


@dataclass(frozen=True)
class RoomFacts:
    id: int
    name: str
    kind: RoomKind
    equipment: frozenset[Equipment]
    capacity: int
    is_active: bool = True


@dataclass(frozen=True)
class StaffFacts:
    id: int
    name: str
    roles: frozenset[str]
    working: tuple[Span, ...]  # at this clinic, already less leave
    on_site: tuple[Span, ...] = ()  # the part of ``working`` spent at the clinic


def less(spans: Iterable[Span], cuts: Iterable[Span]) -> tuple[Span, ...]:
    """The parts of ``spans`` outside every one of ``cuts`` (sorted, disjoint)."""
    result = list(merged(spans))
    for cut in merged(cuts):
        kept: list[Span] = []
        for span in result:
            if not span.overlaps(cut):
                kept.append(span)
                continue
            if span.starts_at < cut.starts_at:
                kept.append(Span(span.starts_at, cut.starts_at))
            if cut.ends_at < span.ends_at:
                kept.append(Span(cut.ends_at, span.ends_at))
        result = kept
    return tuple(result)


@dataclass(frozen=True)
class Closure:
    """A time the clinic is closed (a holiday, a one-off closure) and what it is called."""

    span: Span
    label: str
    whole_day: bool = False


def closed_during(span: Span, closures: Iterable[Closure]) -> tuple[Closure, ...]:
    """The closures that overlap ``span``: nothing may take place then."""
    return tuple(c for c in closures if c.span.overlaps(span))


@dataclass(frozen=True)
class ClinicFacts:
    """What a clinic offers from ``first_day`` to ``last_day`` (its local calendar days).

    ``opening`` is the clinic's opening hours less its ``closures``, whoever builds the facts:
    the closures are taken out here, once, so no reader can forget them."""

    clinic_id: int
    tz: ZoneInfo
    first_day: date
    last_day: date
    opening: tuple[Span, ...]
    rooms: Mapping[int, RoomFacts] = field(default_factory=dict)
    staff: Mapping[int, StaffFacts] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()

    def __post_init__(self) -> None:
        if self.closures:
            object.__setattr__(self, "opening", less(self.opening, (c.span for c in self.closures)))

    def closures_over(self, span: Span) -> tuple[Closure, ...]:
        """The closures that overlap ``span``."""
        return closed_during(span, self.closures)

    @property
    def prescriber_cover(self) -> tuple[Span, ...]:
        """When a prescriber is on site: the union of the prescribers' on-site hours."""
        return merged(
            span
            for person in self.staff.values()
            if PRESCRIBER in person.roles
            for span in person.on_site
        )


@dataclass(frozen=True)
class Needs:
    therapist: bool
    nurse: bool
    patients_per_nurse: int | None
    prescriber_on_site: bool


def needs(session_type: SessionType) -> Needs:
    resources = session_type.resources
    return Needs(
        therapist=resources.therapist,
        nurse=resources.patients_per_nurse is not None,
        patients_per_nurse=resources.patients_per_nurse,
        prescriber_on_site=resources.prescriber_on_site,
    )


@dataclass(frozen=True)
class SlotRequest:
    session_type: SessionType
    starts_at: datetime
    room_id: int
    therapist_id: int | None = None
    nurse_id: int | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.session_type.minutes)

    @property
    def span(self) -> Span:
        return Span(self.starts_at, self.ends_at)


class SlotProblemKind(StrEnum):
    CLOSED_DAY = "closed_day"
    CLINIC_CLOSED = "clinic_closed"
    OUTSIDE_PERIOD = "outside_period"
    UNKNOWN_ROOM = "unknown_room"
    ROOM_INACTIVE = "room_inactive"
    ROOM_KIND = "room_kind"
    ROOM_EQUIPMENT = "room_equipment"
    STAFF_MISSING = "staff_missing"
    STAFF_ROLE = "staff_role"
    STAFF_NOT_WORKING = "staff_not_working"
    NO_PRESCRIBER_ON_SITE = "no_prescriber_on_site"


@dataclass(frozen=True)
class SlotProblem:
    kind: SlotProblemKind
    message: str
    field: str  # the booking form's field it concerns
    overridable: bool = False


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%H:%M}"


def _span_words(span: Span, tz: ZoneInfo) -> str:
    start = span.starts_at.astimezone(tz)
    return (
        f"{start:%a} {start.day} {start:%b} {_local(span.starts_at, tz)}-{_local(span.ends_at, tz)}"
    )


def _room_problems(session_type: SessionType, room: RoomFacts | None) -> list[SlotProblem]:
    if room is None:
        return [
            SlotProblem(SlotProblemKind.UNKNOWN_ROOM, "That room is not in this clinic.", "room")
        ]
    wanted = session_type.resources
    problems: list[SlotProblem] = []
    if not room.is_active:
        problems.append(
            SlotProblem(SlotProblemKind.ROOM_INACTIVE, f"{room.name} is out of use.", "room")
        )
    if room.kind != wanted.room_kind:
        problems.append(
            SlotProblem(
                SlotProblemKind.ROOM_KIND,
                f"{session_type.name} needs {ROOM_KIND_LABELS[wanted.room_kind]}; "
                f"{room.name} is {ROOM_KIND_LABELS[room.kind]}.",
                "room",
            )
        )
    missing = [item for item in wanted.equipment if item not in room.equipment]
    if missing:
        problems.append(
            SlotProblem(
                SlotProblemKind.ROOM_EQUIPMENT,
                f"{room.name} lacks what {session_type.name} needs: "
                + ", ".join(EQUIPMENT_LABELS[item] for item in missing)
                + ".",
                "room",
            )
        )
    return problems


def _staff_problems(
    *,
    role: str,
    person_id: int | None,
    needed: bool,
    session_type: SessionType,
    span: Span,
    facts: ClinicFacts,
) -> list[SlotProblem]:
    if person_id is None:
        if not needed:
            return []
        return [
            SlotProblem(SlotProblemKind.STAFF_MISSING, f"{session_type.name} needs a {role}.", role)
        ]
    person = facts.staff.get(person_id)
    if person is None or role not in person.roles:
        return [
            SlotProblem(
                SlotProblemKind.STAFF_ROLE, f"That person is not a {role} of this clinic.", role
            )
        ]
    if is_covered(span, person.working):
        return []
    return [
        SlotProblem(
            SlotProblemKind.STAFF_NOT_WORKING,
            f"{person.name} does not work {_span_words(span, facts.tz)} (working hours or leave).",
            role,
            overridable=True,
        )
    ]


def slot_problems(request: SlotRequest, facts: ClinicFacts) -> tuple[SlotProblem, ...]:
    """Everything that stops ``request`` fitting its slot, in words, each with its form field
    and whether a reason may override it. Empty: it fits."""
    session_type = request.session_type
    span = request.span
    need = needs(session_type)
    problems: list[SlotProblem] = []
    local_start = span.starts_at.astimezone(facts.tz).date()
    if not facts.first_day <= local_start <= facts.last_day:
        msg = "That day is outside the period these facts were read for."
        raise ValueError(msg)
    closed = facts.closures_over(span)
    if closed:
        problems.append(
            SlotProblem(
                SlotProblemKind.CLOSED_DAY,
                f"The clinic is closed then ({_span_words(span, facts.tz)}): "
                + "; ".join(sorted({c.label for c in closed}))
                + ". Choose another day.",
                "starts_at",
            )
        )
    elif not is_covered(span, facts.opening):
        problems.append(
            SlotProblem(
                SlotProblemKind.CLINIC_CLOSED,
                f"The clinic is not open for the whole session ({_span_words(span, facts.tz)}).",
                "starts_at",
            )
        )
    problems.extend(_room_problems(session_type, facts.rooms.get(request.room_id)))
    problems.extend(
        _staff_problems(
            role=THERAPIST,
            person_id=request.therapist_id,
            needed=need.therapist,
            session_type=session_type,
            span=span,
            facts=facts,
        )
    )
    problems.extend(
        _staff_problems(
            role=NURSE,
            person_id=request.nurse_id,
            needed=need.nurse,
            session_type=session_type,
            span=span,
            facts=facts,
        )
    )
    if need.prescriber_on_site and not is_covered(span, facts.prescriber_cover):
        problems.append(
            SlotProblem(
                SlotProblemKind.NO_PRESCRIBER_ON_SITE,
                f"{session_type.name} needs a prescriber on site, and none is for the whole "
                f"session ({_span_words(span, facts.tz)}).",
                "starts_at",
            )
        )
    return tuple(problems)


def rooms_for(session_type: SessionType, facts: ClinicFacts) -> tuple[RoomFacts, ...]:
    """The clinic's rooms where ``session_type`` may take place, by name."""
    return tuple(
        sorted(
            (room for room in facts.rooms.values() if not _room_problems(session_type, room)),
            key=lambda room: room.name,
        )
    )


def staff_for(role: str, facts: ClinicFacts) -> tuple[StaffFacts, ...]:
    """The clinic's staff holding ``role``, by name."""
    return tuple(
        sorted(
            (person for person in facts.staff.values() if role in person.roles),
            key=lambda person: person.name,
        )
    )
