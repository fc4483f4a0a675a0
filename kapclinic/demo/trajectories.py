"""Synthetic score trajectories: what measurement-based care records for consented patients.

Each patient with a valid consent (kapclinic.demo.stages) starts a course a few days after
countersigning and is given, from a PRNG stream of its own (so earlier data for a seed does not
change):

- ketamine (racemic or esketamine): PHQ-9 + GAD-7 at baseline and before each of 6 dosing
  sessions (twice a week), the 0-10 mood rating right before and after each session and the next
  day, PHQ-9 + GAD-7 at the end of the course, then monthly in follow-up;
- talk therapy: PHQ-9 + GAD-7 at baseline and before every weekly session (12), no dosing mood
  pairs, monthly follow-up.

Archetypes (the story a chart should show), drawn per patient:

- ketamine: rapid responder who stays well (30%): PHQ-9 falls by half after the first session
  (seen at the next measurement, before the second; the mood rating shows it the next day) and
  keeps falling; rapid responder who relapses (20%): the same, then climbs back in
  follow-up; gradual responder (20%): half by the end of the course; non-responder (30%): a
  small drift down. The mood rating jumps after each session (onset) and, for relapsers and
  non-responders, fades before the next.
- talk therapy: gradual improvement (about a third lower by week 12) with week-to-week noise.

Item answers add up to the drawn total; PHQ-9 item 9 (self-harm) is always 0 here, so the
demo raises no safety tasks by accident (the browser tests raise them on purpose). Totals, bands
and rules come from the real scoring engine. Only what happened before ``today`` is recorded.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.responses.services import store_score

KETAMINE_SESSIONS: Final = 6
TALK_SESSIONS: Final = 12
FOLLOW_UP_MONTHS: Final = 6

# archetype -> share, for ketamine courses
KETAMINE_ARCHETYPES: Final = (
    ("rapid_sustained", 30),
    ("rapid_relapse", 20),
    ("gradual", 20),
    ("non_responder", 30),
)


@dataclass
class TrajectoryCounts:
    courses: int = 0
    responses: int = 0
    archetypes: dict[str, int] = field(default_factory=dict)
    # Courses whose baseline is still to come (nothing recorded yet): (patient id, start date).
    upcoming: list[tuple[int, date]] = field(default_factory=list)


def _split(total: int, items: int, rng: random.Random, *, cap: int = 3) -> list[int]:
    """``items`` answers of 0..cap adding up to ``total`` (clamped to what fits)."""
    total = max(0, min(total, items * cap))
    answers = [0] * items
    open_items = list(range(items))  # items still below the cap
    for _ in range(total):
        at = rng.randrange(len(open_items))
        i = open_items[at]
        answers[i] += 1
        if answers[i] == cap:
            open_items[at] = open_items[-1]
            open_items.pop()
    return answers


def phq9_answers(total: int, rng: random.Random) -> dict[str, int]:
    """Items 1-8 carry the total (at most 24); item 9 is 0."""
    values = _split(total, 8, rng)
    return {f"phq9_{n}": v for n, v in enumerate(values, start=1)} | {"phq9_9": 0}


def gad7_answers(total: int, rng: random.Random) -> dict[str, int]:
    return {f"gad7_{n}": v for n, v in enumerate(_split(total, 7, rng), start=1)}


def _phq9_curve(archetype: str, baseline: int, rng: random.Random) -> Callable[[float], float]:
    """PHQ-9 as a function of course time: 0 = baseline, 1..n = before session k, n+1 = end,
    beyond = months of follow-up (course end + m)."""
    n = KETAMINE_SESSIONS

    # x = 1 is measured before the first session: no drug yet, so every curve starts from
    # baseline there; what a session does shows from the next measurement on.
    def rapid(x: float) -> float:
        if x <= 1:
            return baseline
        return baseline * max(0.25, 0.5 - 0.04 * min(x - 2, n))

    if archetype == "rapid_sustained":
        return lambda x: rapid(min(x, n + 1)) + (0.5 if x > n + 1 else 0)
    if archetype == "rapid_relapse":
        relapse_after = rng.uniform(0.8, 2.5)  # months into follow-up
        return lambda x: (
            rapid(x)
            if x <= n + 1 + relapse_after
            else min(baseline * 0.85, rapid(n + 1) + 4.5 * (x - n - 1 - relapse_after))
        )
    if archetype == "gradual":
        return lambda x: baseline * (1 - 0.5 * _sessions_had(x, n) / n)
    return lambda x: baseline * (1 - 0.15 * _sessions_had(x, n) / n)  # non-responder


def _sessions_had(x: float, sessions: int) -> float:
    """Sessions received before the measurement at course time ``x`` (0 at baseline and before
    the first session, ``sessions`` from the end of the course on)."""
    return max(0.0, min(x - 1, float(sessions)))


@dataclass(frozen=True)
class _Course:
    patient_id: int
    clinic_id: int
    start: datetime
    ketamine: bool


class Trajectories:
    def __init__(self, *, seed: int, today_end: datetime) -> None:
        self.rng = random.Random(seed * 15485863 + 5)
        self.end = today_end
        self.counts = TrajectoryCounts()
        self.versions = {c: get_instrument(c).version for c in ("phq9", "gad7", "mood_0_10")}
        self.instruments = {c: get_instrument(c) for c in self.versions}

    def courses(self) -> Iterator[_Course]:
        """One course per patient with a valid (countersigned, not withdrawn) consent."""
        rows = (
            ConsentRecord.objects.filter(countersigned_at__isnull=False, withdrawn_at__isnull=True)
            .select_related("document", "patient", "patient__clinic")
            .order_by("patient_id", "countersigned_at")
        )
        seen: set[int] = set()
        for r in rows:
            if r.patient_id in seen or r.countersigned_at is None:
                continue
            seen.add(r.patient_id)
            start = r.countersigned_at + timedelta(days=self.rng.randint(2, 7))
            yield _Course(
                patient_id=r.patient_id,
                clinic_id=r.patient.clinic_id,
                # 9:30 in the clinic's own zone (not UTC: 04:30 in New York, issue 11.8).
                start=start.astimezone(r.patient.clinic.tzinfo).replace(hour=9, minute=30),
                ketamine=r.document.treatment_type != TreatmentType.TALK_THERAPY,
            )

    def _response(
        self,
        course: _Course,
        code: str,
        answers: dict[str, int],
        at: datetime,
        occasion: Occasion,
        session: uuid.UUID | None = None,
    ) -> Assessment | None:
        if at >= self.end:
            return None
        a = Assessment(
            patient_id=course.patient_id,
            clinic_id=course.clinic_id,
            instrument_code=code,
            instrument_version=self.versions[code],
            status=Assessment.Status.COMPLETED,
            mode=Mode.LINK if occasion == Occasion.FOLLOW_UP else Mode.STAFF,
            occasion=occasion,
            answers=answers,
            completed_at=at,
            session_ref=session,
        )
        store_score(a, score(self.instruments[code], answers))
        return a

    def for_course(self, course: _Course) -> list[Assessment]:
        rng = self.rng
        baseline = rng.randint(14, 23)
        gad_ratio = rng.uniform(0.6, 0.9)
        if course.ketamine:
            names = [name for name, _ in KETAMINE_ARCHETYPES]
            archetype = rng.choices(names, weights=[w for _, w in KETAMINE_ARCHETYPES])[0]
            sessions, gap = KETAMINE_SESSIONS, 3.5
        else:
            archetype = "talk_gradual"
            sessions, gap = TALK_SESSIONS, 7.0
        self.counts.archetypes[archetype] = self.counts.archetypes.get(archetype, 0) + 1
        curve = (
            _phq9_curve(archetype, baseline, rng)
            if course.ketamine
            else (lambda x: baseline * (1 - 0.35 * _sessions_had(x, sessions) / sessions))
        )
        out: list[Assessment | None] = []

        def scores(x: float, at: datetime, occasion: Occasion, ref: uuid.UUID | None) -> None:
            phq = max(0, min(24, round(curve(x) + rng.gauss(0, 1.2))))
            gad = max(0, min(21, round(phq * gad_ratio + rng.gauss(0, 1))))
            out.append(self._response(course, "phq9", phq9_answers(phq, rng), at, occasion, ref))
            out.append(self._response(course, "gad7", gad7_answers(gad, rng), at, occasion, ref))

        def mood(value: float, at: datetime, occasion: Occasion, ref: uuid.UUID) -> None:
            answers = {"mood_now": max(0, min(10, round(value + rng.gauss(0, 0.6))))}
            out.append(self._response(course, "mood_0_10", answers, at, occasion, ref))

        if course.start - timedelta(days=2) >= self.end:
            self.counts.upcoming.append((course.patient_id, course.start.date()))
        scores(0, course.start - timedelta(days=2), Occasion.BASELINE, None)
        for k in range(1, sessions + 1):
            at = course.start + timedelta(days=round((k - 1) * gap))
            ref = uuid.UUID(int=rng.getrandbits(128), version=4)
            scores(k, at - timedelta(minutes=20), Occasion.PRE_SESSION, ref)
            if course.ketamine:
                before = 10 - curve(k) * 10 / 24
                lift = 3.0 if archetype != "non_responder" else 1.2
                mood(before, at - timedelta(minutes=15), Occasion.PRE_SESSION, ref)
                mood(before + lift, at + timedelta(hours=2), Occasion.POST_SESSION, ref)
                mood(before + lift * 0.6, at + timedelta(days=1), Occasion.DAY_AFTER, ref)
        end = course.start + timedelta(days=round(sessions * gap) + 1)
        scores(sessions + 1, end, Occasion.END_OF_COURSE, None)
        for m in range(1, FOLLOW_UP_MONTHS + 1):
            scores(sessions + 1 + m, end + timedelta(days=30 * m), Occasion.FOLLOW_UP, None)
        kept = [a for a in out if a is not None]
        self.counts.responses += len(kept)
        self.counts.courses += 1
        return kept


def add_trajectories(*, seed: int, today_end: datetime, batch_size: int = 5000) -> TrajectoryCounts:
    """Create the score histories of every consented patient (bulk inserts)."""
    maker = Trajectories(seed=seed, today_end=today_end)
    pending: list[Assessment] = []
    for course in list(maker.courses()):
        pending.extend(maker.for_course(course))
        if len(pending) >= batch_size:
            Assessment.objects.bulk_create(pending)
            pending = []
    Assessment.objects.bulk_create(pending)
    return maker.counts
