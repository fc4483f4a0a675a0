"""Synthetic score trajectories: what measurement-based care records for consented patients.

Each patient with a valid consent (kapclinic.demo.stages) starts a course a few days after
countersigning and is given, from a PRNG stream of its own (so earlier data for a seed does not
change):

- ketamine (racemic or esketamine): PHQ-9 + GAD-7 at baseline and before each of 6 dosing
  sessions (twice a week), the 0-10 mood rating right before and after each session and the next
  day, PHQ-9 + GAD-7 at the end of the course, then monthly in follow-up;
- talk therapy: PHQ-9 + GAD-7 at baseline and before every weekly session (12), no dosing mood
  pairs, monthly follow-up.

The sessions are the course's real appointments when the clinic's calendar holds the course
(``kapclinic.demo.courses``: its protocol's dosing or therapy sessions, had or booked; the
appointment's public id is each response's ``session_ref``, and a course stopped early ends at
its stop). A course the calendar could not hold keeps sessions of its own, as before: on the
clinic's working days, inside its opening hours, in its own time zone
(``kapclinic.demo.workweek``; issue 11.8): a session planned for a closed day moves to the next
working day, and each course keeps one time of day (08:30-15:30 on a full day; a short day
moves it into its hours). The number of sessions sets the course time of the curves below. The
baseline is answered at home from the link two days before the first session, follow-ups
monthly from the link; the rest in the clinic.

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
and rules come from the real scoring engine. Only what happened before the cutoff is recorded,
in bulk: the start of ``today`` in the clinic's zone, or ``now`` when the caller gives it
(generate_demo on the real date: a session earlier today happened, a later one is still to
come). In the demo of ``make run`` the courses still running or about to start
(``Course.live``) go through the measurement plan instead (``kapclinic.demo.plans``), so their
questionnaires are due on the worklist.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final

from kapclinic.accounts.models import Clinic
from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.demo.courses import CourseBook
from kapclinic.demo.workweek import Workweek, workweeks
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.models import Assessment, Mode, Occasion
from kapclinic.measurement.responses.services import store_score

KETAMINE_SESSIONS: Final = 6
TALK_SESSIONS: Final = 12
FOLLOW_UP_MONTHS: Final = 6
# Twice a week: days from one dosing session to the next (3, then 4, ...), before a closed day
# moves it on; talk therapy is weekly. The end-of-course visit comes that long after the last.
KETAMINE_GAPS: Final = (3, 4)
TALK_GAP_DAYS: Final = 7
# The time of day a course asks for (the clinic's hours may move it: Workweek.at).
SESSION_TIMES: Final = tuple(time(h, m) for h in range(8, 16) for m in (0, 30))
KETAMINE_LENGTH: Final = timedelta(minutes=105)  # dose, monitoring, recovery to discharge
TALK_LENGTH: Final = timedelta(minutes=50)
AFTER_END: Final = timedelta(minutes=15)  # the mood rating after the session, before leaving
DAY_AFTER: Final = timedelta(days=1)  # the next day's rating at home, a day after the end
# Room kept in the clinic's hours around a session's start: the questionnaires 20 minutes
# before it; after it, its length and the rating after it (ketamine) or the hour (talk).
BEFORE_ROOM: Final = timedelta(minutes=30)
KETAMINE_ROOM: Final = KETAMINE_LENGTH + AFTER_END + timedelta(minutes=15)
TALK_ROOM: Final = timedelta(hours=1)
AT_HOME: Final = frozenset({Occasion.BASELINE, Occasion.FOLLOW_UP})

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
    responses: int = 0  # bulk-inserted
    archetypes: dict[str, int] = field(default_factory=dict)
    # Courses not ended before the cutoff (upcoming or in progress), for kapclinic.demo.plans.
    live: list[Course] = field(default_factory=list)


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


def _phq9_curve(
    archetype: str, baseline: int, rng: random.Random, n: int = KETAMINE_SESSIONS
) -> Callable[[float], float]:
    """PHQ-9 as a function of course time: 0 = baseline, 1..n = before session k, n+1 = end,
    beyond = months of follow-up (course end + m)."""

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
class Session:
    """A dosing (or therapy) session of a demo course, on a working day of its clinic."""

    ref: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass
class Course:
    """One patient's course: when things happen, and what was recorded before ``cutoff`` (the
    moment the demo's history ends)."""

    patient_id: int
    clinic_id: int
    ketamine: bool
    baseline_at: datetime
    sessions: list[Session]
    ends_at: datetime  # the end-of-course visit
    cutoff: datetime
    responses: list[Assessment] = field(default_factory=list)  # before the cutoff, in order

    @property
    def live(self) -> bool:
        """Not ended before the cutoff: upcoming (no session yet) or in progress."""
        return self.ends_at >= self.cutoff

    @property
    def upcoming(self) -> bool:
        return self.sessions[0].starts_at >= self.cutoff


class Trajectories:
    def __init__(
        self,
        *,
        seed: int,
        today: date,
        now: datetime | None = None,
        book: CourseBook | None = None,
    ) -> None:
        self.book = book
        self.rng = random.Random(seed * 15485863 + 5)
        self.today = today
        self.now = now
        self.counts = TrajectoryCounts()
        self.versions = {c: get_instrument(c).version for c in ("phq9", "gad7", "mood_0_10")}
        self.instruments = {c: get_instrument(c) for c in self.versions}
        self.weeks = workweeks(Clinic.objects.all())

    def courses(self, patients: list[int] | None = None) -> Iterator[Course]:
        """One course per patient with a valid (countersigned, not withdrawn) consent: the first
        session on a working day of the clinic 2-8 days after countersigning, then twice a week
        (ketamine) or weekly (talk therapy), each on a working day in the clinic's hours."""
        rows = (
            ConsentRecord.objects.filter(countersigned_at__isnull=False, withdrawn_at__isnull=True)
            .select_related("document", "patient")
            .order_by("patient_id", "countersigned_at")
        )
        if patients is not None:
            rows = rows.filter(patient_id__in=patients)
        seen: set[int] = set()
        for r in rows:
            if r.patient_id in seen or r.countersigned_at is None:
                continue
            seen.add(r.patient_id)
            week = self.weeks[r.patient.clinic_id]
            ketamine = r.document.treatment_type != TreatmentType.TALK_THERAPY
            signed_on = r.countersigned_at.astimezone(week.tz).date()
            # A working day 2-8 days after countersigning, each as likely (moving a closed
            # day to the next working day would crowd Mondays).
            days = [signed_on + timedelta(days=n) for n in range(2, 9)]
            day = self.rng.choice([d for d in days if week.is_open(d)] or [week.open_from(days[0])])
            wanted = self.rng.choice(SESSION_TIMES)
            cutoff = self.now or datetime.combine(self.today, time.min, tzinfo=week.tz)
            booked = (
                self.book.book(
                    patient_id=r.patient_id,
                    clinic_id=r.patient.clinic_id,
                    treatment_type=r.document.treatment_type,
                    day=day,
                    wanted=wanted,
                    signed_at=r.countersigned_at,
                    cutoff=cutoff,
                )
                if self.book is not None
                else None
            )
            if booked is not None:
                if not booked.measured:
                    continue  # waiting for a slot: no course yet
                sessions = [Session(ref, at, end) for ref, at, end in booked.measured]
                ends_at = booked.ends_at
            else:
                sessions, ends_at = self._free_sessions(week, day, wanted, ketamine=ketamine)
            yield Course(
                patient_id=r.patient_id,
                clinic_id=r.patient.clinic_id,
                ketamine=ketamine,
                # At home from the link, two days before the first session (after consent).
                baseline_at=max(
                    sessions[0].starts_at - timedelta(days=2),
                    r.countersigned_at + timedelta(hours=1),
                ),
                sessions=sessions,
                ends_at=ends_at,
                cutoff=cutoff,
            )

    def _free_sessions(
        self, week: Workweek, day: date, wanted: time, *, ketamine: bool
    ) -> tuple[list[Session], datetime]:
        """Sessions of the course's own, on no calendar (twice a week, or weekly), and its
        end visit: for a course the clinic's calendar had no room for (kapclinic.demo.courses)."""
        sessions: list[Session] = []
        for k in range(KETAMINE_SESSIONS if ketamine else TALK_SESSIONS):
            if k:
                gap = KETAMINE_GAPS[(k - 1) % 2] if ketamine else TALK_GAP_DAYS
                day = week.open_from(day + timedelta(days=gap))
            sessions.append(self._session(week, day, wanted, ketamine=ketamine))
        last = sessions[-1].starts_at.date()
        end_day = week.open_from(
            last + timedelta(days=KETAMINE_GAPS[1] if ketamine else TALK_GAP_DAYS)
        )
        return sessions, week.at(end_day, wanted, before=BEFORE_ROOM, after=TALK_ROOM)

    def _session(self, week: Workweek, day: date, wanted: time, *, ketamine: bool) -> Session:
        length, room = (KETAMINE_LENGTH, KETAMINE_ROOM) if ketamine else (TALK_LENGTH, TALK_ROOM)
        starts_at = week.at(day, wanted, before=BEFORE_ROOM, after=room)
        return Session(
            ref=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            starts_at=starts_at,
            ends_at=starts_at + length,
        )

    def _response(
        self,
        course: Course,
        code: str,
        answers: dict[str, int],
        at: datetime,
        occasion: Occasion,
        session: uuid.UUID | None = None,
    ) -> Assessment | None:
        if at >= course.cutoff:
            return None
        a = Assessment(
            patient_id=course.patient_id,
            clinic_id=course.clinic_id,
            instrument_code=code,
            instrument_version=self.versions[code],
            status=Assessment.Status.COMPLETED,
            mode=Mode.LINK if occasion in AT_HOME else Mode.STAFF,
            occasion=occasion,
            answers=answers,
            completed_at=at,
            session_ref=session,
        )
        store_score(a, score(self.instruments[code], answers))
        return a

    def for_course(self, course: Course) -> list[Assessment]:
        """The course's responses before its cutoff (also kept on ``course.responses``)."""
        rng = self.rng
        baseline = rng.randint(14, 23)
        gad_ratio = rng.uniform(0.6, 0.9)
        if course.ketamine:
            names = [name for name, _ in KETAMINE_ARCHETYPES]
            archetype = rng.choices(names, weights=[w for _, w in KETAMINE_ARCHETYPES])[0]
        else:
            archetype = "talk_gradual"
        sessions = len(course.sessions)
        self.counts.archetypes[archetype] = self.counts.archetypes.get(archetype, 0) + 1
        curve = (
            _phq9_curve(archetype, baseline, rng, sessions)
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

        scores(0, course.baseline_at, Occasion.BASELINE, None)
        for k, session in enumerate(course.sessions, start=1):
            at, ref = session.starts_at, session.ref
            scores(k, at - timedelta(minutes=20), Occasion.PRE_SESSION, ref)
            if course.ketamine:
                before = 10 - curve(k) * 10 / 24
                lift = 3.0 if archetype != "non_responder" else 1.2
                mood(before, at - timedelta(minutes=15), Occasion.PRE_SESSION, ref)
                # Before discharge, 15 minutes after the session's end; the next day at home.
                mood(before + lift, session.ends_at + AFTER_END, Occasion.POST_SESSION, ref)
                mood(before + lift * 0.6, session.ends_at + DAY_AFTER, Occasion.DAY_AFTER, ref)
        scores(sessions + 1, course.ends_at, Occasion.END_OF_COURSE, None)
        for m in range(1, FOLLOW_UP_MONTHS + 1):
            at = course.ends_at + timedelta(days=30 * m)
            scores(sessions + 1 + m, at, Occasion.FOLLOW_UP, None)
        course.responses = [a for a in out if a is not None]
        self.counts.courses += 1
        return course.responses


def add_trajectories(
    *,
    seed: int,
    today: date,
    now: datetime | None = None,
    live_through_plans: bool,
    batch_size: int = 5000,
    book: CourseBook | None = None,
    patients: list[int] | None = None,
) -> TrajectoryCounts:
    """Create the score histories of every consented patient up to the cutoff (``now``, else
    the start of ``today``; bulk inserts). Courses not ended before it are listed in ``live``;
    with ``live_through_plans`` their responses are left unsaved, for the measurement plan to
    record (kapclinic.demo.plans)."""
    maker = Trajectories(seed=seed, today=today, now=now, book=book)
    pending: list[Assessment] = []
    for course in list(maker.courses(patients)):
        responses = maker.for_course(course)
        if course.live:
            maker.counts.live.append(course)
            if live_through_plans:
                continue
        pending.extend(responses)
        maker.counts.responses += len(responses)
        if len(pending) >= batch_size:
            Assessment.objects.bulk_create(pending)
            pending = []
    Assessment.objects.bulk_create(pending)
    return maker.counts
