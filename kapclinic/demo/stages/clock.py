"""The intake stages' state and calendar (kapclinic.demo.stages): weekday slots in clinic
hours, strictly before ``today`` (or, with ``now``, earlier today), and the stream that today's
screenings draw from."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from kapclinic.accounts.models import Clinic
from kapclinic.consent.models import ConsentDocument
from kapclinic.demo.evaluation import CachedEngine
from kapclinic.demo.screening_safety import ScreeningSafety
from kapclinic.demo.stages.rows import PatientHistory, Staff, StageCounts
from kapclinic.demo.stages.tables import DAY_MINUTES, OPENS
from kapclinic.demo.workweek import Workweek
from kapclinic.screening.rules import Family, ScreeningPolicy


class StagesBase:
    """The state every stage reads (set by ``IntakeStages.__init__``) and the stages' clock."""

    rng: random.Random
    screening_scale: float
    today: date
    clinics: dict[int, Clinic]
    documents: dict[int, dict[str, ConsentDocument]]
    staff: Staff
    engine: CachedEngine
    policies: dict[tuple[int, Family], ScreeningPolicy]
    counts: StageCounts
    safety: ScreeningSafety
    showcase: dict[int, set[str]]
    now: datetime | None
    weeks: dict[int, Workweek]
    open_today: set[int]
    today_rng: random.Random
    waiting: dict[int, list[tuple[PatientHistory, datetime]]]

    def _slot(self, clinic: Clinic, day: date, not_before: datetime | None = None) -> datetime:
        """A time on the first weekday from ``day`` during clinic hours, after ``not_before``."""
        while True:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            start = datetime.combine(day, OPENS, tzinfo=clinic.tzinfo)
            latest = start + timedelta(minutes=DAY_MINUTES)
            if not_before is not None and not_before > start:
                start = not_before + timedelta(minutes=self.rng.randint(10, 90))
            if start < latest:
                span = int((latest - start).total_seconds() // 60)
                return start + timedelta(minutes=self.rng.randint(0, min(span, 240)))
            day += timedelta(days=1)

    def _after(self, clinic: Clinic, previous: datetime, days: tuple[int, int]) -> datetime:
        day = previous.astimezone(clinic.tzinfo).date() + timedelta(days=self.rng.randint(*days))
        return self._slot(clinic, day, not_before=previous)

    @contextmanager
    def _drawing_today(self) -> Iterator[None]:
        """Make the stages (and the screenings' safety) draw from the stream of today's
        screenings for the duration."""
        saved = self.rng, self.safety.rng
        self.rng = self.safety.rng = self.today_rng
        try:
            yield
        finally:
            self.rng, self.safety.rng = saved

    def _past(self, moment: datetime) -> bool:
        return moment.date() < self.today

    def _happened(self, clinic: Clinic, moment: datetime) -> bool:
        """Before ``today``; or, with ``now``, earlier today on one of the clinic's working
        days (only screenings: the later stages wait for tomorrow)."""
        if self._past(moment):
            return True
        return (
            self.now is not None
            and moment.date() == self.today
            and moment < self.now
            and self.weeks[clinic.pk].is_open(self.today)
        )
