"""The course planner (issue 13.3): a whole course as concrete bookings, or what blocks it.

``propose(request)`` builds each session type's options (``candidates``: only what the slot
rules find problem-free and the existing holds leave free), lets CP-SAT choose one per session
under the protocol's course rules (``model``), and answers a ``Proposal`` with its reasons, or
a ``NoFit`` naming the blocking constraint with the nearest alternatives: the same request
relaxed (a week or two later, every weekday, any time the clinic is open, any room of the kind)
and solved again. Pure: plain values in, plain values out; ``kapclinic.scheduling.planning``
reads the database for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from kapclinic.scheduling.example import example_course
from kapclinic.scheduling.planner.candidates import (
    Blocked,
    DayFacts,
    HeldIndex,
    Options,
    session_options,
)
from kapclinic.scheduling.planner.course import CourseShapeError, Item, course_items
from kapclinic.scheduling.planner.explain import (
    blocked_words,
    day_reason,
    time_reason,
)
from kapclinic.scheduling.planner.model import Solution, SolverTimeoutError, solve
from kapclinic.scheduling.planner.values import (
    WEEKDAY_NAMES,
    Alternative,
    NoFit,
    PatientAvailability,
    PlannedSession,
    PlanRequest,
    Proposal,
)
from kapclinic.scheduling.rules import ProposedSession, course_problems, day_words

_CAPACITY = (Blocked.ROOM_FULL, Blocked.THERAPIST_FULL, Blocked.NURSE_FULL, Blocked.PATIENT_BUSY)


class PlannerError(RuntimeError):
    """The solver's answer broke a course rule: a bug, never shown as a plan."""


@dataclass
class _Work:
    """What one request builds, kept for the words."""

    request: PlanRequest
    items: list[Item]
    options: dict[str, Options]
    solution: Solution | None


# The first look goes this many days past the shortest course the protocol allows (its example
# course); only when nothing fits there is the whole horizon searched.
LOOK_AHEAD_DAYS = 28


def _build(request: PlanRequest, held: HeldIndex, days: DayFacts, *, whole: bool = True) -> _Work:
    """The options and the solver's answer, looking LOOK_AHEAD_DAYS past the shortest course
    first, then (``whole``) the whole horizon."""
    shortest = example_course(request.protocol, request.earliest_start)
    if shortest:
        window = (shortest[-1].day - request.earliest_start).days + 1 + LOOK_AHEAD_DAYS
        if window < request.horizon_days:
            work = _build_once(request.but(horizon_days=window), held, days)
            if work.solution is not None or not whole:
                return work
    return _build_once(request, held, days)


def _build_once(request: PlanRequest, held: HeldIndex, days: DayFacts) -> _Work:
    items = course_items(request.protocol, request.counts)
    options: dict[str, Options] = {}
    for item in items:
        code = item.session_type.code
        if code not in options:
            options[code] = session_options(request, item.session_type, held, days)
    solution = None
    if all(found.candidates for found in options.values()):
        solution = solve(
            request.protocol,
            items,
            [options[item.session_type.code].candidates for item in items],
        )
    return _Work(request, items, options, solution)


def _proposal(work: _Work, solution: Solution) -> Proposal:
    request, items, chosen = work.request, work.items, solution.chosen
    protocol = request.protocol
    problems = course_problems(
        protocol,
        [
            ProposedSession(c.starts_at.date(), item.session_type.code)
            for item, c in zip(items, chosen, strict=True)
        ],
    )
    if problems:
        raise PlannerError("; ".join(problem.message for problem in problems))
    sessions = []
    days_used: dict[date, list[str]] = {}
    for item, candidate in zip(items, chosen, strict=True):
        days_used.setdefault(candidate.starts_at.date(), []).append(item.session_type.name)
    for item, candidate in zip(items, chosen, strict=True):
        reasons = [
            f"{day_words(candidate.starts_at.date())}: "
            + day_reason(protocol, items, chosen, item)
            + ".",
            time_reason(request, item, candidate),
        ]
        others = [n for n in days_used[candidate.starts_at.date()] if n != item.session_type.name]
        if others:
            reasons.append(f"The same trip as the {others[0]}: one visit for both.")
        sessions.append(
            PlannedSession(
                session_type=item.session_type.code,
                name=item.session_type.name,
                starts_at=candidate.starts_at,
                ends_at=candidate.ends_at,
                room_id=candidate.room.id,
                room_name=candidate.room.name,
                therapist_id=candidate.therapist.id if candidate.therapist else None,
                therapist_name=candidate.therapist.name if candidate.therapist else "",
                nurse_id=candidate.nurse.id if candidate.nurse else None,
                nurse_name=candidate.nurse.name if candidate.nurse else "",
                reasons=tuple(reasons),
            )
        )
    sessions.sort(key=lambda s: s.starts_at)
    first, last = sessions[0].day, sessions[-1].day
    trips = len({s.day for s in sessions})
    course = [
        f"{(last - first).days + 1} days from {day_words(first)} to {day_words(last)}: "
        f"{len(sessions)} sessions in {trips} trips.",
    ]
    if first > request.earliest_start:
        first_type = work.options[items[0].session_type.code]
        blocked = [
            day
            for day, reason in first_type.blocked.items()
            if day < first and reason not in (Blocked.WEEKDAY, Blocked.BLACKOUT)
        ]
        if blocked:
            course.append(
                "Not earlier: "
                + blocked_words(request, first_type, until=first - timedelta(days=1))
            )
        else:
            course.append(
                f"Starting on {day_words(first)} rather than {day_words(request.earliest_start)} "
                "gives a shorter course or fewer trips (a day more or a trip more weighs as much "
                "as starting a week later)."
            )
    if not solution.optimal:
        course.append(
            "The solver stopped at its time limit: this plan keeps every rule, but a shorter "
            "one may exist."
        )
    return Proposal(
        protocol_code=protocol.code,
        sessions=tuple(sessions),
        first_day=first,
        last_day=last,
        trips=trips,
        reasons=tuple(course),
        optimal=solution.optimal,
    )


def _spacing_words(request: PlanRequest) -> str:
    stage = request.protocol.spacing.stages[0]
    most = f"-{stage.max_days_between}" if stage.max_days_between is not None else "+"
    cap = f", at most {stage.max_per_week} a week" if stage.max_per_week is not None else ""
    return f"{stage.name}: {stage.min_days_between}{most} days apart{cap} ({stage.rule_id})"


def _blocking(work: _Work, held: HeldIndex, days: DayFacts) -> tuple[str, tuple[str, ...]]:
    request = work.request
    empty = [found for found in work.options.values() if not found.candidates]
    if empty:
        return blocked_words(request, empty[0]), ()
    free = _build(
        request.but(held={}, patient_id=None), HeldIndex({}, request.facts.tz), days, whole=False
    )
    if free.solution is not None:
        # Without the existing bookings it fits: capacity blocks. Name where, in the weeks the
        # course would take.
        first = min(c.starts_at.date() for c in free.solution.chosen)
        last = max(c.starts_at.date() for c in free.solution.chosen)
        best = max(
            work.options.values(),
            key=lambda found: sum(
                1 for day, why in found.blocked.items() if why in _CAPACITY and first <= day <= last
            ),
        )
        return blocked_words(request, best, since=first, until=last), ()
    every = request.but(
        held={},
        patient_id=None,
        availability=PatientAvailability(
            frozenset(range(7)), time(0), time(23, 59), request.availability.blackout
        ),
    )
    wide = _build(every, HeldIndex({}, request.facts.tz), days, whole=False)
    if wide.solution is not None:
        weekdays = ", ".join(WEEKDAY_NAMES[w] for w in sorted(request.availability.weekdays))
        return (
            f"The patient's days ({weekdays or 'none'}), hours "
            f"({request.availability.earliest_time:%H:%M}-"
            f"{request.availability.latest_time:%H:%M}) and blackout dates leave too few days "
            f"for the spacing of {request.protocol.name}: {_spacing_words(request)}.",
            (),
        )
    counted = [item for item in wide.items if item.counted] or wide.items
    found = wide.options[counted[0].session_type.code]
    details = (
        (blocked_words(every, found),)
        if any(why not in (Blocked.WEEKDAY, Blocked.BLACKOUT) for why in found.blocked.values())
        else ()
    )
    return (
        f"{request.protocol.name} does not fit between {day_words(request.earliest_start)} and "
        f"{day_words(request.earliest_start + timedelta(days=request.horizon_days - 1))} even on "
        f"every day the clinic is open: {_spacing_words(request)}.",
        details,
    )


def _variants(request: PlanRequest) -> list[tuple[str, Mapping[str, tuple[str, ...]], PlanRequest]]:
    found: list[tuple[str, Mapping[str, tuple[str, ...]], PlanRequest]] = []
    for weeks in (1, 2):
        start = request.earliest_start + timedelta(days=7 * weeks)
        found.append(
            (
                f"Start {'a week' if weeks == 1 else 'two weeks'} later, from {day_words(start)}",
                {"earliest_start": (start.isoformat(),)},
                request.but(earliest_start=start),
            )
        )
    availability = request.availability
    if availability.weekdays != frozenset(range(7)):
        found.append(
            (
                "Any day of the week the clinic is open",
                {"weekdays": tuple(str(w) for w in range(7))},
                request.but(
                    availability=PatientAvailability(
                        frozenset(range(7)),
                        availability.earliest_time,
                        availability.latest_time,
                        availability.blackout,
                    )
                ),
            )
        )
    if (availability.earliest_time, availability.latest_time) != (time(0), time(23, 59)):
        found.append(
            (
                "Any time the clinic is open",
                {"earliest_time": ("00:00",), "latest_time": ("23:59",)},
                request.but(
                    availability=PatientAvailability(
                        availability.weekdays, time(0), time(23, 59), availability.blackout
                    )
                ),
            )
        )
    if request.room_ids is not None:
        found.append(("Any room of the kind", {"rooms": ()}, request.but(room_ids=None)))
    return found


def propose(
    request: PlanRequest,
    *,
    alternatives: bool = True,
    held: HeldIndex | None = None,
    days: DayFacts | None = None,
) -> Proposal | NoFit:
    """The best course for ``request``, or why none fits (with the nearest alternatives when
    ``alternatives``). ``held`` and ``days`` may be shared by a batch of requests."""
    held = held if held is not None else HeldIndex(request.held, request.facts.tz)
    days = days if days is not None else DayFacts(request.facts)
    try:
        work = _build(request, held, days)
        if work.solution is not None:
            return _proposal(work, work.solution)
        blocking, details = _blocking(work, held, days)
    except CourseShapeError as error:
        return NoFit(request.protocol.code, str(error))
    except SolverTimeoutError:
        return NoFit(
            request.protocol.code,
            "The planner ran out of time before it found a plan or proved there is none: "
            "plan again, or ask for fewer days or hours to choose from.",
        )
    offered: list[Alternative] = []
    if alternatives:
        for label, change, variant in _variants(request):
            try:
                tried = _build(variant, held, days, whole=False)
            except SolverTimeoutError:
                continue
            if tried.solution is not None:
                offered.append(Alternative(label, change, _proposal(tried, tried.solution)))
    return NoFit(request.protocol.code, blocking, details, tuple(offered))
