"""One demo course planned on the calendar, following its protocol version's outline.

The outline's steps come in order, each session on a working day at a free slot of the
calendar (``calendar``) near the course's time of day. The doses keep the protocol's spacing
(checked the way ``kapclinic.scheduling.rules`` counts it: the gap to the previous dose within
the stage's least and most days, no more doses in a course week than the stage allows), twice
a week as 3 then 4 days where the protocol allows it, weekly, or the taper's intervals; each
dose the integration cadence names is followed by its integration session 1-3 days later.
A session for which the calendar has no room within the rules is booked at the first free
slot after, with ``override_reason`` saying so (as staff would record an override), so the
course breaks its rules only where it says why.

Along the way some patients miss a session (no-show: the slot stays held, the session is
booked again) or cancel one a day or two ahead (the cancelled appointment keeps its reason and
holds nothing; the session is rebooked).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from kapclinic.demo.courses.calendar import Calendar, Slot
from kapclinic.scheduling.protocols.definition import Protocol, SessionKind, SessionType
from kapclinic.scheduling.rules import course_week

# How many sessions of each outline step a demo course books (a range: drawn).
COUNTS: Final[dict[str, dict[str, tuple[int, int]]]] = {
    "kap-im-sl": {"preparation": (1, 2), "kap-dose": (6, 6), "course-review": (1, 1)},
    "iv-ketamine-induction": {"infusion": (6, 6), "course-review": (1, 1)},
    "esketamine-rems": {
        "rems-enrolment": (1, 1),
        "induction-dose": (8, 8),
        "induction-review": (1, 1),
        "maintenance-dose": (4, 6),
    },
    "ketamine-maintenance": {"booster": (3, 8), "maintenance-review": (1, 1)},
    "cbt-comparison": {"cbt-session": (12, 12)},
}
TWICE_A_WEEK: Final = (3, 4)  # days between doses, in turn
LOOK_AHEAD: Final = 14  # days tried for a session beyond its window before giving up
NO_SHOW: Final = 0.03
CANCELLED: Final = 0.05
CANCEL_REASONS: Final = (
    "Patient unwell (a cold) and asked to come another day.",
    "Patient's transport fell through; rebooked by phone.",
    "Patient has a work commitment that day; rebooked.",
    "Clinic cancelled: the nurse for that session was off sick.",
    "Patient asked to move it for a family event.",
)
OVERRIDE: Final = (
    "No slot within the protocol's spacing (rooms and staff fully booked): booked at the "
    "first free slot, prescriber agreed."
)
NO_INTEGRATION: Final = (
    "No integration slot in the weeks after this dose (therapists fully booked): the patient "
    "integrates at the next session instead, therapist agreed."
)
MEASURED: Final = frozenset({SessionKind.DOSING, SessionKind.THERAPY})


@dataclass
class Planned:
    """One appointment of a planned course."""

    session_type: SessionType
    slot: Slot
    starts_at: datetime
    ends_at: datetime
    public_id: uuid.UUID
    no_show: bool = False
    override_reason: str = ""
    cancelled_at: datetime | None = None
    cancel_reason: str = ""

    @property
    def live(self) -> bool:
        return self.cancelled_at is None

    @property
    def counts(self) -> bool:
        """A session the course had or will have (not missed, not cancelled)."""
        return self.live and not self.no_show

    @property
    def measured(self) -> bool:
        return self.counts and self.session_type.kind in MEASURED


@dataclass
class PlannedCourse:
    protocol: Protocol
    appointments: list[Planned] = field(default_factory=list)
    short: bool = False  # the calendar had no room for the rest of the outline


class Planner:
    def __init__(
        self, calendar: Calendar, tz: ZoneInfo, rng: random.Random, cutoff: datetime
    ) -> None:
        self.calendar = calendar
        self.tz = tz
        self.rng = rng
        self.cutoff = cutoff

    def _at(self, day: date, minutes: int) -> datetime:
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def first_slot(
        self, session_type: SessionType, days: list[date], wanted: int, patient_id: int
    ) -> Slot | None:
        for day in days:
            slot = self.calendar.find(session_type, day, wanted, patient_id, None)
            if slot is not None:
                return slot
        return None

    def plan(
        self,
        protocol: Protocol,
        patient_id: int,
        start: date,
        wanted: int,
        *,
        first: Slot | None = None,
    ) -> PlannedCourse:
        """The course from ``start`` (``first``: its first session's slot, already taken)."""
        course = PlannedCourse(protocol)
        counts = COUNTS[protocol.code]
        spaced = set(protocol.spacing.session_types)
        doses: list[date] = []
        cursor = start
        therapist: int | None = first.therapist_id if first else None
        for step in protocol.outline:
            low, high = counts.get(step.session_type, (step.min_count, step.min_count))
            session_type = session_type_of(protocol, step.session_type)
            for number in range(1, self.rng.randint(low, high) + 1):
                if step.session_type in spaced:
                    days, strict = self._dose_days(protocol, doses, cursor)
                else:
                    days = [cursor + timedelta(days=n) for n in range(LOOK_AHEAD)]
                    strict = len(days)
                taken = first
                first = None
                planned = self._book(
                    course, session_type, days, strict, wanted, patient_id, therapist, taken
                )
                if planned is None:
                    course.short = True  # the calendar is full: the course ends short
                    return course
                therapist = therapist or planned.slot.therapist_id
                day = planned.slot.day
                if step.session_type in spaced:
                    doses.append(day)
                cursor = day + timedelta(days=1) if step.session_type not in spaced else day
                integration = step.integration
                if integration is not None and integration.cadence.follows(number):
                    kind = session_type_of(protocol, integration.session_type)
                    window = [
                        day + timedelta(days=n)
                        for n in range(integration.min_days_after, integration.max_days_after + 1)
                    ]
                    after = window + [window[-1] + timedelta(days=n) for n in range(1, LOOK_AHEAD)]
                    followed = self._book(
                        course, kind, after, len(window), wanted, patient_id, therapist, None
                    )
                    if followed is None:
                        planned.override_reason = NO_INTEGRATION
            cursor = max([cursor, *(a.slot.day + timedelta(days=1) for a in course.appointments)])
        return course

    def _dose_days(
        self, protocol: Protocol, doses: list[date], cursor: date
    ) -> tuple[list[date], int]:
        """The days the next dose may fall on (within the spacing), then the days after them;
        and how many of the list keep the rules."""
        if not doses:
            return [cursor + timedelta(days=n) for n in range(LOOK_AHEAD)], LOOK_AHEAD
        previous, first = doses[-1], doses[0]
        within: list[date] = []
        target = self._gap(protocol, len(doses), previous, first)
        for gap in [*range(target, 30), *range(1, target)]:
            day = previous + timedelta(days=gap)
            if day >= cursor and _keeps_spacing(protocol, doses, day):
                within.append(day)
        last = max(within) if within else max(previous, cursor)
        after = [last + timedelta(days=n) for n in range(1, LOOK_AHEAD)]
        return within + after, len(within)

    def _gap(self, protocol: Protocol, done: int, previous: date, first: date) -> int:
        stage = protocol.spacing.stage_for(course_week(first, previous + timedelta(days=7)))
        if stage is None:
            stage = protocol.spacing.stages[-1]
        if stage.min_days_between <= 3 and (stage.max_per_week or 7) >= 2:
            return TWICE_A_WEEK[(done - 1) % 2]
        return max(7, -(-stage.min_days_between // 7) * 7)

    def _book(
        self,
        course: PlannedCourse,
        session_type: SessionType,
        days: list[date],
        strict: int,
        wanted: int,
        patient_id: int,
        therapist: int | None,
        taken: Slot | None,
    ) -> Planned | None:
        """Book ``session_type`` on the first of ``days`` with a free slot (``taken``: found
        already); after the first ``strict`` days, with the override reason."""
        index = 0
        while True:
            slot = taken
            taken = None
            while slot is None and index < len(days):
                slot = self.calendar.find(session_type, days[index], wanted, patient_id, therapist)
                index += 1
            if slot is None:
                return None
            planned = Planned(
                session_type,
                slot,
                self._at(slot.day, slot.start),
                self._at(slot.day, slot.end),
                self._uuid(),
                override_reason=OVERRIDE if index > strict else "",
            )
            if (
                course.appointments
                and planned.ends_at < self.cutoff
                and self.rng.random() < NO_SHOW
            ):
                planned.no_show = True  # the slot stays held; the session is booked again
                course.appointments.append(planned)
                days = days[index:]
                strict = max(0, strict - index)
                index = 0
                continue
            if course.appointments and self.rng.random() < CANCELLED:
                self._cancelled_before(course, planned)
            course.appointments.append(planned)
            return planned

    def _cancelled_before(self, course: PlannedCourse, planned: Planned) -> None:
        """The appointment first booked a day or two earlier, cancelled by the patient or the
        clinic (it holds nothing)."""
        day = planned.slot.day - timedelta(days=self.rng.randint(1, 2))
        if self.calendar.rota.opening_of(day) is None:
            return
        slot = Slot(
            day,
            planned.slot.start,
            planned.slot.end,
            planned.slot.room,
            planned.slot.chair,
            planned.slot.nurse_id,
            planned.slot.therapist_id,
            (),
        )
        starts_at = self._at(day, slot.start)
        cancelled_at = min(
            starts_at - timedelta(hours=self.rng.randint(20, 60)), self.cutoff - timedelta(hours=2)
        )
        course.appointments.append(
            Planned(
                planned.session_type,
                slot,
                starts_at,
                self._at(day, slot.end),
                self._uuid(),
                cancelled_at=cancelled_at,
                cancel_reason=self.rng.choice(CANCEL_REASONS),
            )
        )


def session_type_of(protocol: Protocol, code: str) -> SessionType:
    """The protocol's session type ``code`` (a parsed protocol names only its own types)."""
    found = protocol.session_type(code)
    if found is None:
        msg = f"{protocol.code} has no session type {code!r}"
        raise ValueError(msg)
    return found


def _keeps_spacing(protocol: Protocol, doses: list[date], day: date) -> bool:
    """Whether a dose on ``day`` after ``doses`` keeps the spacing (rules._spacing_problems)."""
    first = doses[0]
    week = course_week(first, day)
    stage = protocol.spacing.stage_for(week)
    if stage is None or day <= doses[-1]:
        return False
    gap = (day - doses[-1]).days
    if gap < stage.min_days_between:
        return False
    if stage.max_days_between is not None and gap > stage.max_days_between:
        return False
    in_week = sum(1 for d in doses if course_week(first, d) == week)
    return stage.max_per_week is None or in_week < stage.max_per_week
