"""The intake stages, batch by batch (kapclinic.demo.stages): each patient's registration,
referral, screening and consent, the open referrals, and with ``now`` the open safety tasks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from kapclinic.accounts.models import Clinic
from kapclinic.consent.models import ConsentDocument, ConsentRecord
from kapclinic.demo.evaluation import CachedEngine
from kapclinic.demo.screening_safety import ScreeningSafety
from kapclinic.demo.stages.referrals import ReferralStage
from kapclinic.demo.stages.rows import Batch, PatientHistory, Staff, StageCounts, set_columns
from kapclinic.demo.stages.screening import ScreeningStage
from kapclinic.demo.stages.tables import (
    KEPT_UNSCREENED_PER_CLINIC,
    OPEN_REFERRAL_SHARE,
    SCREENED_AT_SCALE,
    SHOWCASE,
    SHOWCASE_AFTER_OPENING,
    WAITING_KEPT,
)
from kapclinic.demo.workweek import Workweek, workweeks
from kapclinic.patients.models import Patient
from kapclinic.referrals.models import Referral
from kapclinic.screening.models import EligibilityDecision, FlagOverride, Screening
from kapclinic.screening.policy import policy_for
from kapclinic.screening.rules import Family
from kapclinic.screening.rulesets import ruleset_for


class IntakeStages(ReferralStage, ScreeningStage):
    """Adds the intake stages batch by batch; ``counts`` says how many of each were made."""

    def __init__(
        self,
        *,
        seed: int,
        today: date,
        clinics: Sequence[Clinic],
        documents: dict[int, dict[str, ConsentDocument]],
        patients: int = 0,
        now: datetime | None = None,
    ) -> None:
        self.rng = random.Random(seed * 104729 + 3)
        self.screening_scale = min(1.0, SCREENED_AT_SCALE / patients) if patients else 1.0
        self.today = today
        self.clinics = {c.pk: c for c in clinics}
        self.documents = documents
        self.staff = Staff(clinics)
        # The rule sets in force on ``today``, as record_screening uses those in force the day it
        # runs (LookupError, as there, when none is).
        self.engine = CachedEngine({family: ruleset_for(family, today) for family in Family})
        self.policies = {
            (c.pk, family): policy_for(c, ruleset)
            for c in clinics
            for family, ruleset in self.engine.rulesets.items()
        }
        self.counts = StageCounts()
        # Its own PRNG stream: the other stages draw exactly as before.
        self.safety = ScreeningSafety(rng=random.Random(seed * 7919 + 11), today=today)
        # The rare stages each clinic still has to show (see kapclinic.demo.stages).
        self.showcase = {c.pk: set(SHOWCASE) for c in clinics}
        # With ``now``: the clinics' opening days, the clinics whose draw left an urgent task
        # open today, and each clinic's first patients waiting for a screening (by id).
        self.now = now
        self.weeks: dict[int, Workweek] = workweeks(clinics) if now is not None else {}
        self.open_today: set[int] = set()
        # Today's screenings draw from their own stream (``_drawing_today``), so the patients
        # after them and their history are the same at whatever time of the day the demo is made.
        self.today_rng = random.Random(seed * 15485863 + 7)
        self.waiting: dict[int, list[tuple[PatientHistory, datetime]]] = {c.pk: [] for c in clinics}

    # --- per batch ------------------------------------------------------------------------

    def add(self, histories: Sequence[PatientHistory]) -> None:
        batch = Batch([], [], [], [], [], [])
        for history in histories:
            self._patient(history, batch)
        for _ in range(round(len(histories) * OPEN_REFERRAL_SHARE)):
            batch.referrals.append(self._open_referral())
        self._save(batch)

    def show_open_safety_tasks(self) -> tuple[int, int]:
        """With ``now``, after the last batch: one open urgent task in each clinic whose draw
        left none today (see kapclinic.demo.stages), then the escalations that fell due.
        Returns how many safety tasks are left open, and how many of those were escalated."""
        now = self.now
        if now is None:
            return 0, 0
        batch = Batch([], [], [], [], [], [])
        for clinic in self.clinics.values():
            if clinic.pk in self.open_today or not self.weeks[clinic.pk].hours:
                continue
            with self._drawing_today():
                at = self._showcase_slot(clinic, now)
                waiting = next((w for w in self.waiting[clinic.pk] if w[1] < at), None)
                if waiting is None:  # a demo too small to have anyone waiting
                    continue
                history = waiting[0]
                weight = max(history.measurements, key=lambda m: m.measured_on)
                batch.patients.append(history.patient)
                self.counts.not_screened -= 1
                self._screening(history, clinic, at, weight, batch, showcase_item9=True)
        # Registration times are unchanged; the screening set the pregnancy potential.
        self._save(batch)
        self.safety.escalate_overdue(now)
        return self.safety.open_tasks, self.safety.escalated_tasks

    def _showcase_slot(self, clinic: Clinic, now: datetime) -> datetime:
        """A time earlier today when the clinic is open and has been for a while, else one
        during its last working day before today (the clinic has opening hours)."""
        week = self.weeks[clinic.pk]
        day = self.today
        if week.is_open(day):
            opens, closes = week.hours[day.weekday()]
            earliest = datetime.combine(day, opens, tzinfo=week.tz) + SHOWCASE_AFTER_OPENING
            latest = min(now, datetime.combine(day, closes, tzinfo=week.tz))
            if latest > earliest:
                span = int((latest - earliest).total_seconds() // 60) - 1
                return earliest + timedelta(minutes=self.rng.randint(0, max(span, 0)))
        day -= timedelta(days=1)
        while not week.is_open(day):
            day -= timedelta(days=1)
        opens, closes = week.hours[day.weekday()]
        earliest = datetime.combine(day, opens, tzinfo=week.tz) + SHOWCASE_AFTER_OPENING
        latest = datetime.combine(day, closes, tzinfo=week.tz) - SHOWCASE_AFTER_OPENING
        span = int((latest - earliest).total_seconds() // 60)
        return earliest + timedelta(minutes=self.rng.randint(0, max(span, 0)))

    def _save(self, batch: Batch) -> None:
        # created_at is auto_now_add, so registration and receipt times are set after insert.
        set_columns(Patient, ["created_at", "pregnancy_potential"], batch.patients)
        stamps = [(r.created_at, r.updated_at) for r in batch.referrals]
        created = Referral.objects.bulk_create(batch.referrals)
        for referral, (created_at, updated_at) in zip(created, stamps, strict=True):
            referral.created_at, referral.updated_at = created_at, updated_at
        set_columns(Referral, ["created_at", "updated_at"], created)
        self.safety.save()  # the screenings' responses and safety tasks, first (their ids)
        self.counts.safety_tasks = self.safety.open_tasks + self.safety.resolved_tasks
        Screening.objects.bulk_create(batch.screenings)
        for screening, override in batch.overrides:
            override.screening = screening
        FlagOverride.objects.bulk_create(o for _s, o in batch.overrides)
        for screening, decision in batch.decisions:
            decision.screening = screening
        EligibilityDecision.objects.bulk_create(d for _s, d in batch.decisions)
        ConsentRecord.objects.bulk_create(batch.consents)

    def _patient(self, history: PatientHistory, batch: Batch) -> None:
        rng, patient = self.rng, history.patient
        clinic = self.clinics[patient.clinic_id]
        registered = self._slot(clinic, self.today - timedelta(days=rng.randint(1, 365)))
        if not self._past(registered):
            registered = self._slot(clinic, self.today - timedelta(days=7))
        patient.created_at = registered
        batch.patients.append(patient)
        position = int(patient.mrn.rsplit("-", 1)[1])
        if position > KEPT_UNSCREENED_PER_CLINIC and rng.random() < 0.4:
            batch.referrals.append(self._referral_of(history, clinic, registered))
        weight = max(history.measurements, key=lambda m: m.measured_on, default=None)
        screened_share = (0.8 if weight is not None else 0.15) * self.screening_scale
        screen_at = self._after(clinic, registered, (0, 21))
        if (
            position <= KEPT_UNSCREENED_PER_CLINIC
            or rng.random() >= screened_share
            or not self._happened(clinic, screen_at)
        ):
            self.counts.not_screened += 1
            waiting = self.waiting[clinic.pk]
            if (
                self.now is not None
                and position > KEPT_UNSCREENED_PER_CLINIC
                and weight is not None
                and len(waiting) < WAITING_KEPT
            ):
                waiting.append((history, registered))
            return
        if self._past(screen_at):
            self._screening(history, clinic, screen_at, weight, batch)
            return
        with self._drawing_today():  # earlier today: the rest of the demo is as at opening
            self._screening(history, clinic, screen_at, weight, batch)
