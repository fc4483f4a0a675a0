"""The planner's words: why each session lands where it does, and what blocks a course that
does not fit (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from kapclinic.scheduling.planner.candidates import Blocked, Candidate, Options
from kapclinic.scheduling.planner.course import Item
from kapclinic.scheduling.planner.values import WEEKDAY_NAMES, PlanRequest
from kapclinic.scheduling.protocols.definition import (
    EQUIPMENT_LABELS,
    ROOM_KIND_LABELS,
    Protocol,
    SessionType,
)
from kapclinic.scheduling.rules import course_week, day_words
from kapclinic.scheduling.slots import Span, is_covered


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _listed(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def room_words(session_type: SessionType) -> str:
    resources = session_type.resources
    kind = ROOM_KIND_LABELS[resources.room_kind]
    if not resources.equipment:
        return kind
    return f"{kind} with {_listed([EQUIPMENT_LABELS[e] for e in resources.equipment])}"


def day_reason(
    protocol: Protocol, items: Sequence[Item], chosen: Sequence[Candidate], item: Item
) -> str:
    """Why this day: the rule that ties it to the session before it."""
    mine = chosen[item.index].day
    if item.follows is not None and item.integration is not None:
        dose = items[item.follows]
        window = item.integration
        return (
            f"{_days(mine - chosen[dose.index].day)} after {dose.session_type.name} "
            f"{dose.number} ({window.rule_id}: {window.min_days_after}-"
            f"{window.max_days_after} days after the dose)"
        )
    if item.counted:
        counted = [other for other in items if other.counted]
        k = counted.index(item)
        if k > 0:
            previous = counted[k - 1]
            first = chosen[counted[0].index].starts_at.date()
            week = course_week(first, chosen[item.index].starts_at.date())
            stage = protocol.spacing.stage_for(week)
            gap = mine - chosen[previous.index].day
            if stage is not None:
                most = f"-{stage.max_days_between}" if stage.max_days_between is not None else "+"
                return (
                    f"{_days(gap)} after the previous {previous.session_type.name}, in week {week} "
                    f"({stage.name}, {stage.rule_id}: {stage.min_days_between}{most} days apart)"
                )
    before = [other for other in items if other.step < item.step]
    if before and item.number == 1:
        step = protocol.outline[item.step]
        return f"after the sessions before it in the outline ({step.rule_id})"
    if item.index == 0:
        return "the first day that fits from the earliest start"
    return "the next day that fits after the session before it"


def time_reason(request: PlanRequest, item: Item, candidate: Candidate) -> str:
    session_type = item.session_type
    window = f"{request.availability.earliest_time:%H:%M}-{request.availability.latest_time:%H:%M}"
    parts = [
        f"{candidate.room.name}: {room_words(session_type)}, "
        f"{candidate.room_free_chairs} of {candidate.room.capacity} chairs free then"
    ]
    if candidate.therapist is not None:
        parts.append(f"{candidate.therapist.name} (therapist) is free and working")
    if candidate.nurse is not None:
        ratio = session_type.resources.patients_per_nurse or 1
        others = candidate.nurse_others
        parts.append(
            f"{candidate.nurse.name} (nurse) watches {others + 1} of at most {ratio} "
            "patients at once"
        )
    if session_type.resources.prescriber_on_site:
        span = Span(candidate.starts_at, candidate.ends_at)
        names = [
            person.name
            for person in request.facts.staff.values()
            if "prescriber" in person.roles and is_covered(span, person.on_site)
        ]
        parts.append(f"prescriber on site: {_listed(sorted(names)) or 'cover by several'}")
    return (
        f"{_hhmm(candidate.starts_at)}-{_hhmm(candidate.ends_at)}, within the patient's hours "
        f"({window}). " + "; ".join(parts) + "."
    )


_BLOCKED_WORDS: dict[Blocked, str] = {
    Blocked.CLOSED: "the clinic is not open long enough in the patient's hours",
    Blocked.NO_ROOM: "the clinic has no active room of the kind: it needs {room}",
    Blocked.PRESCRIBER: "no prescriber is on site",
    Blocked.NO_THERAPIST: "no therapist works",
    Blocked.NO_NURSE: "no nurse works",
    Blocked.ROOM_FULL: "the {kind} rooms are full",
    Blocked.THERAPIST_FULL: "the therapists are fully booked",
    Blocked.NURSE_FULL: "the nurses have no place left (at most {ratio} patients each)",
    Blocked.PATIENT_BUSY: "the patient has other appointments",
}


def _plural_days(weekdays: set[int]) -> str:
    return _listed([f"{WEEKDAY_NAMES[w]}s" for w in sorted(weekdays)])


def _weeks(weeks: set[int]) -> str:
    ordered = sorted(weeks)
    if len(ordered) == 1:
        return f"week {ordered[0]}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"weeks {ordered[0]}-{ordered[-1]}"
    return "weeks " + _listed([str(w) for w in ordered])


def blocked_words(
    request: PlanRequest, options: Options, *, since: date | None = None, until: date | None = None
) -> str:
    """What keeps ``options.session_type`` off the patient's days, grouped by the reason the
    most days share: 'The treatment rooms are full on Tuesdays and Thursdays in weeks 1-3'."""
    session_type = options.session_type
    if options.role_missing:
        return (
            f"The clinic has no {options.role_missing} for {session_type.name} "
            f"(no staff member holds the {options.role_missing} role)."
        )
    by_reason: dict[Blocked, list[date]] = defaultdict(list)
    for day, reason in options.blocked.items():
        if reason in (Blocked.WEEKDAY, Blocked.BLACKOUT):
            continue
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        by_reason[reason].append(day)
    if not by_reason:
        return (
            f"The patient's weekdays and blackout dates leave no day for {session_type.name} "
            f"between {day_words(request.earliest_start)} and "
            f"{day_words(request.earliest_start + timedelta(days=request.horizon_days - 1))}."
        )
    reason, days = max(by_reason.items(), key=lambda pair: (len(pair[1]), pair[0]))
    resources = session_type.resources
    text = _BLOCKED_WORDS[reason].format(
        room=room_words(session_type),
        kind=resources.room_kind.value,
        ratio=resources.patients_per_nurse,
    )
    if reason is Blocked.NO_ROOM:
        if request.room_ids is not None:
            return f"None of the chosen rooms is {room_words(session_type)}."
        return f"For {session_type.name}, {text}."
    weekdays = {day.weekday() for day in days}
    weeks = {course_week(request.earliest_start, day) for day in days}
    return (
        f"For {session_type.name}, {text} on {_plural_days(weekdays)} between "
        f"{request.availability.earliest_time:%H:%M} and "
        f"{request.availability.latest_time:%H:%M} in {_weeks(weeks)} "
        f"from {day_words(request.earliest_start)}."
    )
