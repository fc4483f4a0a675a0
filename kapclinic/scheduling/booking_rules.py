"""What a booking may break, without the database (issue 13.4): which course-rule problems
a booking adds, and which waitlist entries a freed slot fits.

The booking services (``kapclinic.scheduling.services``) read the database and call these; the
course rules themselves live in ``kapclinic.scheduling.rules`` and a single session's fit
(opening hours, rooms, staff) in ``kapclinic.scheduling.slots``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from kapclinic.scheduling.exceptions import BookingProblem
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.rules import (
    CourseProblem,
    ProblemKind,
    ProposedSession,
    course_problems,
)


class BookingProblemKind(StrEnum):
    """Problems of the booking itself (the course rules and slot rules bring their own kinds)."""

    COURSE_CLOSED = "course_closed"
    UNKNOWN_SESSION_TYPE = "unknown_session_type"
    IN_THE_PAST = "in_the_past"


def course_rule_problem(problem: CourseProblem) -> BookingProblem:
    """A course-rule problem (spacing, counts, order, integration) as a booking problem: staff
    may override it with a reason."""
    return BookingProblem(
        kind=str(problem.kind),
        message=problem.message,
        field="starts_at",
        overridable=True,
        rule_id=problem.rule_id,
    )


def _bookable_later(protocol: Protocol, problem: CourseProblem, today: date) -> bool:
    """A dose without its integration session is not a problem yet while the integration
    window is still open: the integration session can be booked next (R-INT-1)."""
    if problem.kind != ProblemKind.INTEGRATION_MISSING or problem.day is None:
        return False
    latest = max(
        (s.integration.max_days_after for s in protocol.outline if s.integration is not None),
        default=0,
    )
    return problem.day + timedelta(days=latest) >= today


def added_course_problems(
    protocol: Protocol,
    before: Sequence[ProposedSession],
    after: Sequence[ProposedSession],
    *,
    today: date,
) -> list[CourseProblem]:
    """The course-rule problems ``after`` (the course's sessions with the booking) has that
    ``before`` (without it) had not: a problem staff overrode once is not asked again, but a
    booking that makes a new one is. The course is still being booked: too few sessions is not
    yet a problem (``rules.course_problems`` with ``whole_course=False``), nor a missing
    integration session whose window has not closed by ``today``."""
    old = set(course_problems(protocol, before, whole_course=False))
    return [
        problem
        for problem in course_problems(protocol, after, whole_course=False)
        if problem not in old and not _bookable_later(protocol, problem, today)
    ]


@dataclass(frozen=True)
class FreedSlot:
    """A slot a cancellation freed, in the clinic's local time."""

    session_type: str
    day: date
    starts: time
    ends: time


@dataclass(frozen=True)
class WaitlistWish:
    """What a waitlist entry asks for (``WaitlistEntry``'s fields)."""

    session_type: str  # "" : any
    earliest_day: date
    latest_day: date | None
    weekdays: Sequence[int]  # 0 Monday .. 6 Sunday; empty: any
    not_before: time | None
    not_after: time | None


def fits(wish: WaitlistWish, slot: FreedSlot) -> bool:
    """Whether ``slot`` is one the entry waits for: the same session type (or any), a day in
    its window and on one of its weekdays (or any), starting no earlier than ``not_before`` and
    ending no later than ``not_after``."""
    return (
        wish.session_type in ("", slot.session_type)
        and wish.earliest_day <= slot.day
        and (wish.latest_day is None or slot.day <= wish.latest_day)
        and (not wish.weekdays or slot.day.weekday() in wish.weekdays)
        and (wish.not_before is None or wish.not_before <= slot.starts)
        and (wish.not_after is None or slot.ends <= wish.not_after)
    )
