"""A clinic's opening hours as the demo's calendar: which days it works and when.

The demo books every dosing and therapy session on a day the clinic is open, inside that day's
hours, in the clinic's own time zone (issue 11.8: the demo's "today" is a working day). Nothing
here reads the clock: the generator's ``today`` comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from kapclinic.accounts.models import Clinic, OpeningHours

WEEK: Final = 7
SLOT_MINUTES: Final = 30


@dataclass(frozen=True)
class Workweek:
    """The opening interval of each weekday a clinic works (0 = Monday), local times. A day with
    several intervals keeps its longest (sessions need one stretch of time)."""

    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]

    @classmethod
    def of(cls, clinic: Clinic, opening_hours: Iterable[OpeningHours]) -> Workweek:
        hours: dict[int, tuple[time, time]] = {}
        for h in opening_hours:
            current = hours.get(h.weekday)
            if current is None or _minutes(h.opens_at, h.closes_at) > _minutes(*current):
                hours[h.weekday] = (h.opens_at, h.closes_at)
        return cls(tz=clinic.tzinfo, hours=hours)

    def is_open(self, day: date) -> bool:
        return day.weekday() in self.hours

    def open_from(self, day: date) -> date:
        """``day`` if the clinic works then, otherwise its next working day."""
        if not self.hours:
            msg = "the clinic has no opening hours"
            raise ValueError(msg)
        while not self.is_open(day):
            day += timedelta(days=1)
        return day

    def at(self, day: date, wanted: time, *, before: timedelta, after: timedelta) -> datetime:
        """A start on working day ``day`` at ``wanted`` (local), moved to the nearest half hour
        that leaves ``before`` after opening and ``after`` before closing (the questionnaire
        before a session, then its length and the rating after it); the opening time on a day
        too short for both."""
        opens, closes = self.hours[day.weekday()]
        earliest = -(-(_minutes_of(opens) + _whole_minutes(before)) // SLOT_MINUTES)
        latest = (_minutes_of(closes) - _whole_minutes(after)) // SLOT_MINUTES
        start = min(max(_minutes_of(wanted), earliest * SLOT_MINUTES), latest * SLOT_MINUTES)
        if earliest > latest:
            start = _minutes_of(opens)
        return datetime.combine(day, time(start // 60, start % 60), tzinfo=self.tz)


def _minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _whole_minutes(span: timedelta) -> int:
    return -(-int(span.total_seconds()) // 60)


def _minutes(opens: time, closes: time) -> int:
    return _minutes_of(closes) - _minutes_of(opens)


def workweeks(clinics: Iterable[Clinic]) -> dict[int, Workweek]:
    """Each clinic's workweek, by clinic id (one query for all of them)."""
    by_clinic: dict[int, list[OpeningHours]] = {}
    listed = {c.pk: c for c in clinics}
    for h in OpeningHours.objects.filter(clinic__in=list(listed)).order_by("id"):
        by_clinic.setdefault(h.clinic_id, []).append(h)
    return {pk: Workweek.of(c, by_clinic.get(pk, [])) for pk, c in listed.items()}


def working_days(today: date) -> str:
    """Which clinics work on ``today`` and, for the others, their next working day, in words:
    "a working day of every clinic", "BOS closed: works Monday 2026-12-07"."""
    closed = []
    clinics = list(Clinic.objects.order_by("id"))
    weeks = workweeks(clinics)
    for clinic in clinics:
        week = weeks[clinic.pk]
        if week.hours and not week.is_open(today):
            after = week.open_from(today)
            closed.append(f"{clinic.code} closed: works {after:%A} {after.isoformat()}")
    return "; ".join(closed) if closed else "a working day of every clinic"
