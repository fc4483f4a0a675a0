"""Measurement plans without the database: the shipped default plan, the window of each
assignment, its state at a given time, and which follow-up comes next.

Times come in as arguments (never ``now()`` here). Reference: R-OUT-9 (measurement schedule
default: PHQ-9 + GAD-7 at baseline, before each dosing session, end of course, then at least
monthly in follow-up); the mood ratings around sessions are the issue's own choice (§8: the
onset of a ketamine effect is within hours and is large at 24 h, which these ratings capture).
The windows are not in the reference (NOT FOUND): they are kapclinic's defaults, and a clinic
changes them by publishing a new plan version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final
from uuid import UUID

from kapclinic.measurement.models import Assignment, Mode, Occasion, PlanTrigger

HOUR: Final = 60
DAY: Final = 24 * HOUR


@dataclass(frozen=True)
class RuleSpec:
    """A plan rule as plain values (the shipped default, or a rule read from the database)."""

    trigger: PlanTrigger
    instrument_codes: tuple[str, ...]
    mode: Mode
    opens_minutes_before: int
    closes_minutes_after: int
    offset_hours: int | None = None
    interval_days: int | None = None


@dataclass(frozen=True)
class PlanSpec:
    code: str
    version: int
    name: str
    description: str
    source: str
    rules: tuple[RuleSpec, ...]


PHQ9_GAD7: Final = ("phq9", "gad7")
MOOD: Final = ("mood_0_10",)

# The plan of issue 5 ("default: PHQ-9 + GAD-7 at baseline and before each dosing session,
# mood rating immediately before and after each dosing session and at 24 hours, end of course,
# then monthly in follow-up"). A change here is a new ``version``: clinics get it from
# ensure_default_plan, and patients already enrolled keep the version they were enrolled in.
DEFAULT_PLAN: Final = PlanSpec(
    code="default",
    version=1,
    name="Standard measurement plan",
    description=(
        "PHQ-9 and GAD-7 at baseline, before each dosing session and at the end of the course, "
        "then every 30 days in follow-up; a 0–10 mood rating right before and after each "
        "dosing session and 24 hours after it."
    ),
    source="R-OUT-9 (reference §11.G); mood ratings: issue 5",
    rules=(
        # Baseline: from a week before the course starts until the end of its first day.
        RuleSpec(PlanTrigger.ENROLMENT, PHQ9_GAD7, Mode.LINK, 7 * DAY, 1 * DAY),
        # Sent up to 3 days ahead; overdue once the session starts.
        RuleSpec(PlanTrigger.BEFORE_SESSION, PHQ9_GAD7, Mode.LINK, 3 * DAY, 0),
        # In the chair, within 2 hours before the start.
        RuleSpec(PlanTrigger.BEFORE_SESSION, MOOD, Mode.STAFF, 2 * HOUR, 0),
        # Before discharge: within 2 hours of the session's end.
        RuleSpec(PlanTrigger.AFTER_SESSION, MOOD, Mode.STAFF, 0, 2 * HOUR),
        # Next day: from 22 h after the end, overdue 12 h after the 24-hour mark.
        RuleSpec(
            PlanTrigger.HOURS_AFTER_SESSION, MOOD, Mode.LINK, 2 * HOUR, 12 * HOUR, offset_hours=24
        ),
        RuleSpec(PlanTrigger.END_OF_COURSE, PHQ9_GAD7, Mode.LINK, 0, 7 * DAY),
        RuleSpec(
            PlanTrigger.FOLLOW_UP_EVERY_N_DAYS,
            PHQ9_GAD7,
            Mode.LINK,
            3 * DAY,
            7 * DAY,
            interval_days=30,
        ),
    ),
)

OCCASION_OF: Final[dict[str, Occasion]] = {
    PlanTrigger.ENROLMENT: Occasion.BASELINE,
    PlanTrigger.BEFORE_SESSION: Occasion.PRE_SESSION,
    PlanTrigger.AFTER_SESSION: Occasion.POST_SESSION,
    PlanTrigger.HOURS_AFTER_SESSION: Occasion.DAY_AFTER,
    PlanTrigger.END_OF_COURSE: Occasion.END_OF_COURSE,
    PlanTrigger.FOLLOW_UP_EVERY_N_DAYS: Occasion.FOLLOW_UP,
}

SESSION_TRIGGERS: Final = frozenset(
    {PlanTrigger.BEFORE_SESSION, PlanTrigger.AFTER_SESSION, PlanTrigger.HOURS_AFTER_SESSION}
)


@dataclass(frozen=True)
class Window:
    anchor_at: datetime
    due_at: datetime
    overdue_at: datetime


def window(rule: RuleSpec, anchor_at: datetime) -> Window:
    """The window around ``anchor_at`` (the hours-after offset already applied by the caller)."""
    if anchor_at.tzinfo is None:
        msg = "anchor_at must be an aware datetime"
        raise ValueError(msg)
    return Window(
        anchor_at=anchor_at,
        due_at=anchor_at - timedelta(minutes=rule.opens_minutes_before),
        overdue_at=anchor_at + timedelta(minutes=rule.closes_minutes_after),
    )


def session_anchor(
    rule: RuleSpec, *, starts_at: datetime | None, ended_at: datetime | None
) -> datetime | None:
    """The anchor of a session rule: the start (before), the end (after), the end plus the
    offset (hours after); None when the hook does not carry that time."""
    if rule.trigger == PlanTrigger.BEFORE_SESSION:
        return starts_at
    if ended_at is None:
        return None
    if rule.trigger == PlanTrigger.HOURS_AFTER_SESSION:
        return ended_at + timedelta(hours=rule.offset_hours or 0)
    return ended_at


def enrolment_anchor(starts_on: date, tz: tzinfo) -> datetime:
    """Local midnight at the start of ``starts_on`` in the clinic's time zone."""
    return datetime.combine(starts_on, time.min, tzinfo=tz)


def follow_up_anchor(course_ended_at: datetime, interval_days: int, sequence: int) -> datetime:
    return course_ended_at + timedelta(days=interval_days * sequence)


def next_follow_up_sequence(
    rule: RuleSpec, *, course_ended_at: datetime, after: int, now: datetime
) -> int:
    """The follow-up to create after follow-up ``after`` (0: none yet): normally ``after + 1``,
    but never one whose window has already closed at ``now``; a follow-up missed while the
    previous one waited is skipped, not created overdue (the cadence stays anchored to the
    course's end)."""
    interval = rule.interval_days or 0
    if interval < 1:
        msg = "a follow-up rule needs interval_days >= 1"
        raise ValueError(msg)
    candidate = after + 1
    closes = timedelta(minutes=rule.closes_minutes_after)
    elapsed = now - course_ended_at - closes
    if elapsed > timedelta(0):
        # The first n whose overdue time is still ahead: n * interval > elapsed.
        first_open = math.floor(elapsed / timedelta(days=interval)) + 1
        candidate = max(candidate, first_open)
    return candidate


def assignment_key(
    *, rule_id: int, instrument_code: str, session_ref: UUID | None, sequence: int
) -> str:
    """What makes an assignment unique within its enrolment (so every hook is idempotent)."""
    session = session_ref.hex if session_ref else "-"
    return f"{rule_id}:{instrument_code}:{session}:{sequence}"


def assignment_state(
    *, status: str, due_at: datetime, overdue_at: datetime, now: datetime
) -> Assignment.State:
    """Scheduled before ``due_at``, due until ``overdue_at``, overdue from then (open ones);
    completed, cancelled and missed as stored."""
    if status == Assignment.Status.COMPLETED:
        return Assignment.State.COMPLETED
    if status == Assignment.Status.CANCELLED:
        return Assignment.State.CANCELLED
    if status == Assignment.Status.MISSED:
        return Assignment.State.MISSED
    if now < due_at:
        return Assignment.State.SCHEDULED
    if now < overdue_at:
        return Assignment.State.DUE
    return Assignment.State.OVERDUE


def plan_problems(spec: PlanSpec) -> list[str]:
    """What is wrong with ``spec`` (the database constraints, said in words before saving)."""
    problems: list[str] = []
    if not spec.rules:
        problems.append("a plan needs at least one rule")
    for number, rule in enumerate(spec.rules, start=1):
        where = f"rule {number} ({rule.trigger.label.lower()})"
        if not rule.instrument_codes:
            problems.append(f"{where}: no instrument")
        if rule.mode not in (Mode.STAFF, Mode.LINK):
            problems.append(f"{where}: mode must be staff or link")
        if rule.opens_minutes_before < 0 or rule.closes_minutes_after < 0:
            problems.append(f"{where}: window times cannot be negative")
        elif rule.opens_minutes_before + rule.closes_minutes_after == 0:
            problems.append(f"{where}: the window is empty")
        hours = rule.trigger == PlanTrigger.HOURS_AFTER_SESSION
        if hours != (rule.offset_hours is not None and rule.offset_hours >= 1):
            problems.append(f"{where}: hours after the session go with this trigger only")
        follow_up = rule.trigger == PlanTrigger.FOLLOW_UP_EVERY_N_DAYS
        if follow_up != (rule.interval_days is not None and rule.interval_days >= 1):
            problems.append(f"{where}: a follow-up interval in days goes with this trigger only")
    return problems
