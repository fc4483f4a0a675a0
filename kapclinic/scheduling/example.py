"""An example course of a protocol: the fewest sessions its outline allows, each as early as the
rules let it come, starting on a given day. The protocol page shows it ("a course starting on
Monday could run like this"), and the tests check that every shipped template's example breaks
none of its own rules (``rules.course_problems``). It is not the course planner (later points):
it knows no rooms, staff or opening hours.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.rules import ProposedSession, course_week

# No gap between doses is looked for beyond this many days.
_LONGEST_GAP: Final = 400


def _next_dose(
    protocol: Protocol, first: date | None, doses: list[date], earliest: date
) -> date | None:
    """The earliest day on or after ``earliest`` the spacing allows for the next dose."""
    if first is None:
        return earliest
    spacing = protocol.spacing
    previous = doses[-1]
    for gap in range(1, _LONGEST_GAP):
        day = previous + timedelta(days=gap)
        if day < earliest:
            continue
        week = course_week(first, day)
        stage = spacing.stage_for(week)
        if stage is None:
            return None
        in_week = sum(1 for dose in doses if course_week(first, dose) == week)
        if (
            gap >= stage.min_days_between
            and (stage.max_days_between is None or gap <= stage.max_days_between)
            and (stage.max_per_week is None or in_week < stage.max_per_week)
        ):
            return day
    return None


def example_course(protocol: Protocol, start: date) -> list[ProposedSession]:
    """The example course from ``start``, in date order (shorter than the outline asks when
    the spacing leaves no room: then ``course_problems`` says what is missing)."""
    sessions: list[ProposedSession] = []
    doses: list[date] = []
    first: date | None = None
    cursor = start
    for step in protocol.outline:
        spaced = step.session_type in protocol.spacing.session_types
        for number in range(1, step.min_count + 1):
            day = _next_dose(protocol, first, doses, cursor) if spaced else cursor
            if day is None:
                break
            sessions.append(ProposedSession(day, step.session_type))
            if spaced:
                first = first or day
                doses.append(day)
            integration = step.integration
            if integration is not None and integration.cadence.follows(number):
                after = day + timedelta(days=max(integration.min_days_after, 1))
                if after > day + timedelta(days=integration.max_days_after):
                    after = day + timedelta(days=integration.max_days_after)
                sessions.append(ProposedSession(after, integration.session_type))
            cursor = day + timedelta(days=1)
        if sessions:
            cursor = max(cursor, sessions[-1].day + timedelta(days=1))
    return sorted(sessions)
