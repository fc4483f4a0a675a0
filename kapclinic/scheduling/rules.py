"""The course rules of a protocol, without the database: given a protocol version and the
sessions proposed for a course (session type and day), what is wrong with them, in words, each
with the rule it breaks.

This is the one place these rules live: the pages show them, and the booking checks and the
course planner of the later points call ``course_problems`` rather than encode them again.

- Counts: each outline step has between its least and most sessions (R-SL-1, R-IV-2, ...).
- Order: a step's sessions come on or after every session of the steps before it.
- Spacing: the sessions the spacing counts (the doses) are at least and at most so many days
  apart, and no course week holds more of them than its stage allows; week 1 starts on the day
  of the first counted session (R-ESK-1, R-ESK-3, R-IV-2, R-MNT-4, ...).
- Integration: each dose the cadence names (R-INT-2) is followed by an integration session
  within the window (R-INT-1: default 1-3 days after dosing).

Days are the clinic's calendar days; times of day, rooms and staff are the planner's concern.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kapclinic.scheduling.protocols.definition import OutlineStep, Protocol, SpacingStage


class ProblemKind(StrEnum):
    UNKNOWN_SESSION_TYPE = "unknown_session_type"
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    OUT_OF_ORDER = "out_of_order"
    TOO_CLOSE = "too_close"
    TOO_FAR = "too_far"
    TOO_MANY_IN_WEEK = "too_many_in_week"
    BEYOND_LAST_STAGE = "beyond_last_stage"
    INTEGRATION_MISSING = "integration_missing"


@dataclass(frozen=True, order=True)
class ProposedSession:
    day: date
    session_type: str


@dataclass(frozen=True)
class CourseProblem:
    kind: ProblemKind
    rule_id: str  # empty only for a session type the protocol does not have
    message: str
    day: date | None = None


def day_words(day: date) -> str:
    """'Tue 5 Jan 2027'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _weeks(stage: SpacingStage) -> str:
    if stage.to_week is None:
        return f"from week {stage.from_week}"
    if stage.to_week == stage.from_week:
        return f"week {stage.from_week}"
    return f"weeks {stage.from_week}-{stage.to_week}"


def _name(protocol: Protocol, code: str) -> str:
    session_type = protocol.session_type(code)
    return session_type.name if session_type is not None else code


def _by_type(sessions: Sequence[ProposedSession]) -> dict[str, list[date]]:
    found: dict[str, list[date]] = {}
    for session in sorted(sessions):
        found.setdefault(session.session_type, []).append(session.day)
    return found


def _count_problems(
    protocol: Protocol, days: dict[str, list[date]], whole_course: bool
) -> list[CourseProblem]:
    problems = []
    for step in protocol.outline:
        count = len(days.get(step.session_type, []))
        name = _name(protocol, step.session_type)
        wanted = (
            f"{step.min_count}"
            if step.min_count == step.max_count
            else f"{step.min_count} to {step.max_count}"
        )
        if count > step.max_count or (whole_course and count < step.min_count):
            kind = ProblemKind.TOO_MANY if count > step.max_count else ProblemKind.TOO_FEW
            problems.append(
                CourseProblem(
                    kind,
                    step.rule_id,
                    f"The course has {count} × {name}; the protocol asks for {wanted} "
                    f"({step.rule_id}).",
                )
            )
    return problems


def _order_problems(protocol: Protocol, days: dict[str, list[date]]) -> list[CourseProblem]:
    problems = []
    latest: tuple[date, OutlineStep] | None = None  # the last session of the steps so far
    for step in protocol.outline:
        mine = days.get(step.session_type, [])
        if latest is not None:
            before_day, before_step = latest
            for day in mine:
                if day < before_day:
                    problems.append(
                        CourseProblem(
                            ProblemKind.OUT_OF_ORDER,
                            step.rule_id,
                            f"{_name(protocol, step.session_type)} on {day_words(day)} comes "
                            f"before the {_name(protocol, before_step.session_type)} of "
                            f"{day_words(before_day)}; the outline puts it after "
                            f"({step.rule_id}).",
                            day,
                        )
                    )
        if mine and (latest is None or mine[-1] >= latest[0]):
            latest = (mine[-1], step)
    return problems


def course_week(first: date, day: date) -> int:
    """The course week ``day`` falls in; week 1 starts on ``first``."""
    return (day - first).days // 7 + 1


def _spacing_problems(
    protocol: Protocol, sessions: Sequence[ProposedSession]
) -> list[CourseProblem]:
    spacing = protocol.spacing
    counted = sorted(s for s in sessions if s.session_type in spacing.session_types)
    if not counted:
        return []
    first = counted[0].day
    problems = []
    per_week: Counter[int] = Counter()
    for index, session in enumerate(counted):
        week = course_week(first, session.day)
        per_week[week] += 1
        stage = spacing.stage_for(week)
        name = _name(protocol, session.session_type)
        when = day_words(session.day)
        if stage is None:
            last = spacing.stages[-1]
            problems.append(
                CourseProblem(
                    ProblemKind.BEYOND_LAST_STAGE,
                    last.rule_id,
                    f"{name} on {when} falls in week {week} of the course; the spacing rules "
                    f"end with week {last.to_week} ({last.rule_id}).",
                    session.day,
                )
            )
            continue
        if index == 0:
            continue
        gap = (session.day - counted[index - 1].day).days
        rule = f"in {stage.name} ({_weeks(stage)})"
        if gap < stage.min_days_between:
            problems.append(
                CourseProblem(
                    ProblemKind.TOO_CLOSE,
                    stage.rule_id,
                    f"{name} on {when} comes {_days(gap)} after the previous one; {rule} they "
                    f"are at least {_days(stage.min_days_between)} apart ({stage.rule_id}).",
                    session.day,
                )
            )
        if stage.max_days_between is not None and gap > stage.max_days_between:
            problems.append(
                CourseProblem(
                    ProblemKind.TOO_FAR,
                    stage.rule_id,
                    f"{name} on {when} comes {_days(gap)} after the previous one; {rule} they "
                    f"are at most {_days(stage.max_days_between)} apart ({stage.rule_id}).",
                    session.day,
                )
            )
    for week, count in sorted(per_week.items()):
        stage = spacing.stage_for(week)
        if stage is None or stage.max_per_week is None or count <= stage.max_per_week:
            continue
        start = first + timedelta(days=7 * (week - 1))
        problems.append(
            CourseProblem(
                ProblemKind.TOO_MANY_IN_WEEK,
                stage.rule_id,
                f"Week {week} of the course ({day_words(start)} to "
                f"{day_words(start + timedelta(days=6))}) holds {count} sessions; {stage.name} "
                f"allows at most {stage.max_per_week} a week ({stage.rule_id}).",
                start,
            )
        )
    return problems


def _integration_problems(protocol: Protocol, days: dict[str, list[date]]) -> list[CourseProblem]:
    problems = []
    for step in protocol.outline:
        integration = step.integration
        if integration is None:
            continue
        available = list(days.get(integration.session_type, []))
        name = _name(protocol, integration.session_type)
        for number, dose in enumerate(days.get(step.session_type, []), start=1):
            if not integration.cadence.follows(number):
                continue
            opens = dose + timedelta(days=integration.min_days_after)
            closes = dose + timedelta(days=integration.max_days_after)
            match = next((day for day in available if opens <= day <= closes), None)
            if match is not None:
                available.remove(match)  # one integration session answers one dose
                continue
            window = (
                f"{integration.min_days_after}-{integration.max_days_after} days"
                if integration.min_days_after != integration.max_days_after
                else _days(integration.min_days_after)
            )
            problems.append(
                CourseProblem(
                    ProblemKind.INTEGRATION_MISSING,
                    integration.rule_id,
                    f"{_name(protocol, step.session_type)} {number} on {day_words(dose)} has no "
                    f"{name} {window} after it ({day_words(opens)} to {day_words(closes)}) "
                    f"({integration.rule_id}).",
                    dose,
                )
            )
    return problems


def course_problems(
    protocol: Protocol, sessions: Sequence[ProposedSession], *, whole_course: bool = True
) -> list[CourseProblem]:
    """Every problem with ``sessions`` as a course of ``protocol`` (empty when none).

    With ``whole_course`` off (a course still being booked), too few sessions is not a problem
    yet; everything else is.
    """
    problems = [
        CourseProblem(
            ProblemKind.UNKNOWN_SESSION_TYPE,
            "",
            f"{session.session_type!r} on {day_words(session.day)} is not a session of "
            f"{protocol.name}.",
            session.day,
        )
        for session in sorted(sessions)
        if protocol.session_type(session.session_type) is None
    ]
    days = _by_type(sessions)
    problems += _count_problems(protocol, days, whole_course)
    problems += _order_problems(protocol, days)
    problems += _spacing_problems(protocol, sessions)
    problems += _integration_problems(protocol, days)
    return problems
