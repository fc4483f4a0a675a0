"""The one booking check (issue 13.4): everything a booking, a move or a course plan breaks.

Every entry point that books (``book_appointment``, ``move_appointment``, ``book_course_plan``,
the calendar and planner pages before they ask) calls ``check_booking`` or ``check_proposals``.
A problem is either refused outright or overridable with a written reason:

- refused: the course is closed (completed or stopped); the session type is not one of the
  course's protocol version; the start has passed; and what ``slots.slot_problems`` refuses
  (clinic closed, a room of another clinic, out of use, of the wrong kind or without the
  equipment; missing staff or staff without the role; no prescriber on site, R-REMS-2);
- overridable: the protocol's course rules (``rules.course_problems``: counts, order, spacing,
  integration windows, each with its rule id) that the booking adds to the course's live
  sessions, and a staff member outside their working hours.

A room, staff member or patient already booked at that time is not a problem here: the
database refuses it when the holds are taken (``holds.take_holds``), inside the booking's
transaction, so no check can go stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from kapclinic.accounts.models import Room, User
from kapclinic.scheduling.availability import clinic_facts
from kapclinic.scheduling.booking_rules import (
    BookingProblemKind,
    added_course_problems,
    course_rule_problem,
)
from kapclinic.scheduling.exceptions import BookingProblem
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.protocols.definition import Protocol, SessionType
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.rules import ProposedSession, day_words
from kapclinic.scheduling.slots import SlotRequest, slot_problems


@dataclass(frozen=True)
class Proposal:
    """One session to book: its type (a code of the course's protocol), start, room and staff."""

    session_type: str
    starts_at: datetime
    room: Room
    therapist: User | None = None
    nurse: User | None = None


@dataclass(frozen=True)
class Checked:
    """What the checks found, with what the booking service needs next."""

    protocol: Protocol
    problems: tuple[BookingProblem, ...]

    @property
    def refused(self) -> tuple[BookingProblem, ...]:
        return tuple(p for p in self.problems if not p.overridable)

    @property
    def overridable(self) -> tuple[BookingProblem, ...]:
        return tuple(p for p in self.problems if p.overridable)


def course_protocol(course: Course) -> Protocol:
    """The course's protocol version, as the typed protocol."""
    return parse_protocol(course.protocol.document)


def _session(course: Course, session_type: str, moment: datetime) -> ProposedSession:
    day = timezone.localtime(moment, course.clinic.tzinfo).date()
    return ProposedSession(day=day, session_type=session_type)


def _live_sessions(course: Course, moving: Appointment | None) -> list[ProposedSession]:
    """The course's live appointments (booked, attended, missed), less the one being moved."""
    rows = Appointment.objects.filter(course=course).exclude(status=Appointment.Status.CANCELLED)
    if moving is not None:
        rows = rows.exclude(pk=moving.pk)
    return [
        _session(course, session_type, starts_at)
        for session_type, starts_at in rows.values_list("session_type", "starts_at")
    ]


def _own_problems(
    course: Course, protocol: Protocol, proposal: Proposal, now: datetime, label: str
) -> list[BookingProblem]:
    problems = []
    if protocol.session_type(proposal.session_type) is None:
        problems.append(
            BookingProblem(
                kind=BookingProblemKind.UNKNOWN_SESSION_TYPE,
                message=f"{label}'{proposal.session_type}' is not a session of "
                f"{protocol.name} (version {course.protocol.version}).",
                field="session_type",
                overridable=False,
            )
        )
    if proposal.starts_at < now:
        problems.append(
            BookingProblem(
                kind=BookingProblemKind.IN_THE_PAST,
                message=f"{label}The start has passed: choose a time from now on.",
                field="starts_at",
                overridable=False,
            )
        )
    return problems


def _label(protocol: Protocol, proposal: Proposal, course: Course, many: bool) -> str:
    if not many:
        return ""
    session_type = protocol.session_type(proposal.session_type)
    name = session_type.name if session_type is not None else proposal.session_type
    day = _session(course, proposal.session_type, proposal.starts_at).day
    return f"{name} on {day_words(day)}: "


def _slot_problems(
    course: Course, protocol: Protocol, proposals: Sequence[Proposal]
) -> list[BookingProblem]:
    """What ``slots.slot_problems`` finds for each proposal (opening hours, the room, the staff
    and their working hours, a prescriber on site), the clinic read once for the whole span."""
    if not proposals:
        return []
    tz = course.clinic.tzinfo
    days = [timezone.localtime(p.starts_at, tz).date() for p in proposals]
    facts = clinic_facts(course.clinic, min(days), max(days))
    many = len(proposals) > 1
    problems = []
    for proposal in proposals:
        session_type = protocol.session_type(proposal.session_type)
        if session_type is None:  # refused by _own_problems
            continue
        request = SlotRequest(
            session_type=session_type,
            starts_at=proposal.starts_at,
            room_id=proposal.room.pk,
            therapist_id=proposal.therapist.pk if proposal.therapist else None,
            nurse_id=proposal.nurse.pk if proposal.nurse else None,
        )
        label = _label(protocol, proposal, course, many)
        problems += [
            BookingProblem(
                kind=str(problem.kind),
                message=f"{label}{problem.message}",
                field=problem.field,
                overridable=problem.overridable,
            )
            for problem in slot_problems(request, facts)
        ]
    return problems


def check_proposals(
    *,
    course: Course,
    proposals: Sequence[Proposal],
    now: datetime,
    moving: Appointment | None = None,
) -> Checked:
    """Every problem of booking ``proposals`` into ``course`` at ``now`` (``moving``: the
    appointment a move replaces, left out of the course's sessions). Read-only; a constant
    number of queries whatever the course holds."""
    protocol = course_protocol(course)
    many = len(proposals) > 1
    problems: list[BookingProblem] = []
    if not course.is_open:
        problems.append(
            BookingProblem(
                kind=BookingProblemKind.COURSE_CLOSED,
                message=f"The course is {course.get_status_display().lower()}: nothing more "
                "can be booked in it.",
                field=None,
                overridable=False,
            )
        )
    for proposal in proposals:
        label = _label(protocol, proposal, course, many)
        problems += _own_problems(course, protocol, proposal, now, label)
    known = [p for p in proposals if protocol.session_type(p.session_type) is not None]
    problems += _slot_problems(course, protocol, proposals)
    before = _live_sessions(course, moving)
    after = before + [_session(course, p.session_type, p.starts_at) for p in known]
    problems += [
        course_rule_problem(problem)
        for problem in added_course_problems(
            protocol, before, after, today=timezone.localtime(now, course.clinic.tzinfo).date()
        )
    ]
    return Checked(protocol=protocol, problems=tuple(problems))


def check_booking(
    *,
    course: Course,
    session_type: str,
    starts_at: datetime,
    room: Room,
    therapist: User | None = None,
    nurse: User | None = None,
    now: datetime,
    moving: Appointment | None = None,
) -> list[BookingProblem]:
    """Every problem of booking one session (the calendar pages show them before booking)."""
    proposal = Proposal(session_type, starts_at, room, therapist, nurse)
    checked = check_proposals(course=course, proposals=[proposal], now=now, moving=moving)
    return list(checked.problems)


def cancellation_problems(
    *, course: Course, appointment: Appointment, now: datetime
) -> tuple[BookingProblem, ...]:
    """The course-rule problems cancelling ``appointment`` leaves the course with (a gap
    between doses now too long, for example): shown to staff, never a reason to refuse."""
    protocol = course_protocol(course)
    after = _live_sessions(course, appointment)
    before = [*after, _session(course, appointment.session_type, appointment.starts_at)]
    today = timezone.localtime(now, course.clinic.tzinfo).date()
    return tuple(
        course_rule_problem(problem)
        for problem in added_course_problems(protocol, before, after, today=today)
    )


def ends_at(session_type: SessionType, starts_at: datetime) -> datetime:
    return starts_at + timedelta(minutes=session_type.minutes)
