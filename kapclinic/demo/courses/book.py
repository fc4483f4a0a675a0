"""The demo's course book: every course planned on its clinic's calendar, its stage on the
demo's day, and the rows that record it (see the package docstring)."""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from kapclinic.accounts.models import Clinic, Role, Room, StaffMembership
from kapclinic.consent.models import TreatmentType
from kapclinic.demo.courses.calendar import Calendar
from kapclinic.demo.courses.planner import Planned, PlannedCourse, Planner, session_type_of
from kapclinic.demo.courses.staff import Rota, build_rotas, holiday_closures
from kapclinic.scheduling.models import (
    ClinicClosure,
    Course,
    ProtocolVersion,
    ResourceHold,
    StaffLeave,
    WaitlistEntry,
    WorkingHours,
)
from kapclinic.scheduling.protocols.definition import Protocol, SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol

PROTOCOL_OF: Final = {
    TreatmentType.ESKETAMINE_REMS: "esketamine-rems",
    TreatmentType.RACEMIC_KETAMINE_OFF_LABEL: "iv-ketamine-induction",
    TreatmentType.KETAMINE_ASSISTED_PSYCHOTHERAPY: "kap-im-sl",
    TreatmentType.TALK_THERAPY: "cbt-comparison",
}
MAINTENANCE: Final = "ketamine-maintenance"
STOP_SHARE: Final = 0.07
PAUSE_SHARE: Final = 0.1
MAINTENANCE_SHARE: Final = 0.5
RECENT_CONSENT: Final = timedelta(days=30)  # a consent this recent waits on the waitlist
STOP_REASONS: Final = (
    "Patient chose to stop treatment after discussing it with the care team.",
    "Patient moved out of the area; care handed over to their primary care physician.",
    "Blood pressure raised at two sessions running: the prescriber stopped the course.",
    "Patient started a new job and could not keep the session times; may return later.",
)
PAUSE_REASONS: Final = (
    "Paused at the patient's request: travelling for work for three weeks.",
    "Paused while a new medication is reviewed by the prescriber.",
    "Paused: patient recovering from surgery; resumes when cleared.",
)
STOPPED_CANCEL: Final = "Course stopped (see the course's reason)."
PAUSED_CANCEL: Final = "Course paused (see the course's reason)."
WAITLIST_NOTES: Final = (
    "Can come any weekday morning.",
    "Prefers afternoons; needs a day's notice for childcare.",
    "Would take an earlier slot at short notice.",
    "",
)


@dataclass(frozen=True)
class Sessions:
    """What a booked course gives the score trajectories: its measured sessions (dosing or
    therapy, had or booked: (appointment public id, start, end)) and when the course's end
    visit is."""

    measured: list[tuple[uuid.UUID, datetime, datetime]]
    ends_at: datetime


WAITLISTED: Final = Sessions([], datetime(1970, 1, 1, tzinfo=UTC))  # no course: no end


@dataclass
class CourseCounts:
    by_status: Counter[str] = field(default_factory=Counter)
    appointments: Counter[str] = field(default_factory=Counter)
    holds: int = 0
    waitlist: int = 0
    working_hours: int = 0
    leave: int = 0
    overrides: int = 0

    def summary(self) -> str:
        stages = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status.items()))
        appts = ", ".join(f"{n} {s}" for s, n in sorted(self.appointments.items()))
        return (
            f"{sum(self.by_status.values())} courses ({stages}), appointments {appts}, "
            f"{self.holds} resource holds, {self.overrides} overrides, {self.waitlist} on the "
            f"waitlist; {self.working_hours} working hours, {self.leave} leave"
        )


@dataclass
class Booked:
    clinic_id: int
    patient_id: int
    version: ProtocolVersion
    plan: PlannedCourse
    public_id: uuid.UUID
    cutoff: datetime
    status: str = Course.Status.PLANNED
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str = ""
    row: Course | None = None  # once written


class CourseBook:
    """Every demo clinic's calendar, and the courses booked on it."""

    def __init__(self, *, seed: int, clinics: list[Clinic], today: date) -> None:
        self.rng = random.Random(seed * 1299709 + 29)  # its own stream
        self.zones = {c.pk: c.tzinfo for c in clinics}
        self.today = today
        self.counts = CourseCounts()
        rotas, hours, leave = build_rotas(clinics, seed=seed, today=today)
        if WorkingHours.objects.filter(clinic__in=clinics).exists():
            # More patients in an existing demo (add_patients): its rota, leave and bookings.
            _load_leave(rotas)
        else:
            WorkingHours.objects.bulk_create(hours)
            StaffLeave.objects.bulk_create(leave)
            # Already there when a test cleared the rota and adds patients: left as they are.
            ClinicClosure.objects.bulk_create(
                holiday_closures(clinics, today), ignore_conflicts=True
            )
            self.counts.working_hours, self.counts.leave = len(hours), len(leave)
        rooms: dict[int, list[Room]] = defaultdict(list)
        for room in Room.objects.filter(clinic__in=clinics, is_active=True).order_by("id"):
            rooms[room.clinic_id].append(room)
        self.calendars = {c.pk: Calendar(rotas[c.pk], rooms[c.pk]) for c in clinics}
        for clinic_id, resource, starts_at, ends_at in ResourceHold.objects.filter(
            appointment__clinic__in=clinics
        ).values_list("appointment__clinic_id", "resource", "starts_at", "ends_at"):
            self.calendars[clinic_id].hold(resource, starts_at, ends_at, self.zones[clinic_id])
        self.protocols: dict[tuple[int, str], tuple[ProtocolVersion, Protocol]] = {}
        for version in ProtocolVersion.objects.filter(clinic__in=clinics).order_by("version"):
            self.protocols[version.clinic_id, version.code] = (
                version,
                parse_protocol(version.document),
            )
        self.staff = _first_staff(clinics)
        self.courses: list[Booked] = []
        self.waitlist: list[tuple[WaitlistEntry, Booked | None, Planned | None]] = []
        self.showcased: set[tuple[int, str]] = set()  # (clinic, status) shown at least once

    # --- booking ------------------------------------------------------------------------------

    def book(
        self,
        *,
        patient_id: int,
        clinic_id: int,
        treatment_type: str,
        day: date,
        wanted: time,
        signed_at: datetime,
        cutoff: datetime,
    ) -> Sessions | None:
        """Book the course of ``treatment_type`` from ``day``: its sessions for the score
        trajectories; WAITLISTED when the calendar has no room and the consent is recent
        (the patient waits); None when it has none for an older one (the trajectory keeps
        sessions of its own: history from before the clinic's calendar was kept)."""
        version, protocol = self.protocols[clinic_id, PROTOCOL_OF[TreatmentType(treatment_type)]]
        planner = Planner(self.calendars[clinic_id], self.zones[clinic_id], self.rng, cutoff)
        minutes = wanted.hour * 60 + wanted.minute
        first_type = session_type_of(protocol, protocol.outline[0].session_type)
        days = [day + timedelta(days=n) for n in range(14)]
        slot = planner.first_slot(first_type, days, minutes, patient_id)
        if slot is None:
            if cutoff - signed_at > RECENT_CONSENT:
                return None
            self._wait(clinic_id, patient_id, first_type.code, signed_at, None)
            return WAITLISTED
        plan = planner.plan(protocol, patient_id, slot.day, minutes, first=slot)
        if plan.short:  # the calendar cannot hold the whole course: none of it is booked
            for planned in plan.appointments:
                self.calendars[clinic_id].release(planned.slot)
            if cutoff - signed_at > RECENT_CONSENT:
                return None
            self._wait(clinic_id, patient_id, first_type.code, signed_at, None)
            return WAITLISTED
        booked = Booked(clinic_id, patient_id, version, plan, self._uuid(), cutoff)
        self._stage(booked, cutoff, showcase=True)
        self.courses.append(booked)
        return self._sessions(booked, cutoff)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _sessions(self, booked: Booked, cutoff: datetime) -> Sessions:
        counted = sorted((a for a in booked.plan.appointments if a.counts), key=_start)
        measured = [a for a in counted if a.measured]
        if not measured:
            return WAITLISTED  # nothing to measure (no course story to tell)
        if booked.status == Course.Status.STOPPED and booked.ended_at is not None:
            ends_at = booked.ended_at
        elif booked.status == Course.Status.PAUSED:
            ends_at = cutoff + timedelta(days=21)
        elif counted[-1].session_type.kind == SessionKind.REVIEW:
            ends_at = counted[-1].starts_at
        else:
            ends_at = measured[-1].starts_at + timedelta(days=7)
        return Sessions([(a.public_id, a.starts_at, a.ends_at) for a in measured], ends_at)

    def _stage(self, booked: Booked, cutoff: datetime, *, showcase: bool) -> None:
        """The course's status on the demo's day; a stop or a pause cancels what follows."""
        plan = booked.plan
        counted = sorted((a for a in plan.appointments if a.counts), key=_start)
        past = [a for a in counted if a.starts_at < cutoff]
        had = [a for a in past if a.measured]
        future = [a for a in counted if a.starts_at >= cutoff]
        stops = [d for d in had[1:] if _answered(plan, d, cutoff)]
        if stops and self._draw(
            booked.clinic_id, Course.Status.STOPPED, STOP_SHARE, showcase=showcase and not future
        ):
            self._stop(booked, self.rng.choice(stops), self.rng.choice(STOP_REASONS), cutoff)
            return
        if not past:
            booked.status = Course.Status.PLANNED
            return
        booked.started_at = past[0].starts_at
        if not future and counted[-1].ends_at < cutoff:
            booked.status = Course.Status.COMPLETED
            booked.ended_at = counted[-1].ends_at
            return
        booked.status = Course.Status.ACTIVE
        if future and self._draw(
            booked.clinic_id, Course.Status.PAUSED, PAUSE_SHARE, showcase=False
        ):
            self._pause(booked, cutoff)

    def _pause(self, booked: Booked, cutoff: datetime) -> None:
        """Paused on the demo's day: its future appointments cancelled (but the integration of
        a dose had)."""
        plan = booked.plan
        counted = sorted((a for a in plan.appointments if a.counts), key=_start)
        past = [a for a in counted if a.starts_at < cutoff]
        booked.status = Course.Status.PAUSED
        booked.reason = self.rng.choice(PAUSE_REASONS)
        at = max(cutoff - timedelta(hours=self.rng.randint(2, 48)), past[-1].ends_at)
        for a in counted:
            if a.starts_at >= cutoff and not _follows_dose(plan, a, cutoff):
                a.cancelled_at, a.cancel_reason = at, PAUSED_CANCEL

    @staticmethod
    def cutoffs(clinics: list[Clinic], *, today: date, now: datetime | None) -> dict[int, datetime]:
        """Where each clinic's history ends: ``now``, else the start of ``today`` there."""
        return {c.pk: now or datetime.combine(today, time.min, tzinfo=c.tzinfo) for c in clinics}

    def show_every_stage(self, cutoffs: dict[int, datetime]) -> set[int]:
        """Each clinic without a paused course pauses its last active one that has had a
        measured session (so a small demo shows a pause; the first patients, whom tests and
        the portal's login take, keep theirs running). Returns the patients paused."""
        paused: set[int] = set()
        clinics = {b.clinic_id for b in self.courses}
        for clinic_id in sorted(clinics):
            mine = [b for b in self.courses if b.clinic_id == clinic_id]
            if any(b.status == Course.Status.PAUSED for b in mine):
                continue
            cutoff = cutoffs[clinic_id]
            candidates = [
                b
                for b in mine
                if b.status == Course.Status.ACTIVE
                and any(a.measured and a.starts_at < cutoff for a in b.plan.appointments)
            ]
            if candidates:
                chosen = max(candidates, key=lambda b: b.patient_id)
                self._pause(chosen, cutoff)
                paused.add(chosen.patient_id)
        return paused

    def _draw(self, clinic_id: int, status: str, share: float, *, showcase: bool) -> bool:
        """Drawn with ``share``, or the clinic's first course that can show ``status``."""
        first = showcase and (clinic_id, status) not in self.showcased
        if first or self.rng.random() < share:
            self.showcased.add((clinic_id, status))
            return True
        return False

    def _stop(self, booked: Booked, last: Planned, reason: str, cutoff: datetime) -> None:
        """Stopped after ``last``: what came after is dropped, the next one cancelled."""
        ended_at = min(last.ends_at + timedelta(hours=20), cutoff - timedelta(hours=1))
        kept: list[Planned] = []
        dropped: list[Planned] = []
        for a in booked.plan.appointments:
            ok = a.starts_at <= last.starts_at or _integrates(a, last)
            (kept if ok else dropped).append(a)
        following = sorted((a for a in dropped if a.live), key=_start)[:1]
        for a in following:
            a.cancelled_at, a.cancel_reason = ended_at, STOPPED_CANCEL
            a.no_show, a.override_reason = False, ""
        booked.plan.appointments = kept + following
        live = [a for a in kept if a.counts]
        booked.status = Course.Status.STOPPED
        booked.started_at = min(a.starts_at for a in live)
        booked.ended_at = max(ended_at, max(a.ends_at for a in live))
        booked.reason = reason

    # --- more courses, the waitlist -----------------------------------------------------------

    def _wait(
        self,
        clinic_id: int,
        patient_id: int,
        session_type: str,
        earliest: datetime,
        course: Booked | None,
        *,
        status: str = WaitlistEntry.Status.WAITING,
        latest: date | None = None,
        offered: Planned | None = None,
    ) -> None:
        first = earliest.astimezone(self.zones[clinic_id]).date()
        weekdays = sorted(self.rng.sample(range(5), self.rng.randint(2, 5)))
        entry = WaitlistEntry(
            clinic_id=clinic_id,
            patient_id=patient_id,
            session_type=session_type,
            earliest_day=first,
            latest_day=latest if latest is None or latest >= first else first,
            weekdays=[] if len(weekdays) == 5 else weekdays,
            note=self.rng.choice(WAITLIST_NOTES),
            status=status,
            added_by_id=self.staff.get((clinic_id, Role.FRONT_DESK)),
            public_id=self._uuid(),
        )
        self.waitlist.append((entry, course, offered))

    def add_follow_on_courses(self, cutoffs: dict[int, datetime]) -> None:
        """Maintenance boosters after about half of the IV induction courses completed at least
        ten days before the demo's day, starting two to four weeks after them."""
        for booked in list(self.courses):
            cutoff = cutoffs[booked.clinic_id]
            if (
                booked.version.code != PROTOCOL_OF[TreatmentType.RACEMIC_KETAMINE_OFF_LABEL]
                or booked.status != Course.Status.COMPLETED
                or booked.ended_at is None
                or booked.ended_at > cutoff - timedelta(days=10)
                or self.rng.random() >= MAINTENANCE_SHARE
            ):
                continue
            start = booked.ended_at.astimezone(self.zones[booked.clinic_id]).date()
            start += timedelta(days=self.rng.randint(14, 28))
            wanted = booked.plan.appointments[0].slot.start
            self._more(booked.clinic_id, booked.patient_id, MAINTENANCE, start, wanted, cutoff)

    def add_pending_consent_courses(
        self, pending: list[tuple[int, int, str]], cutoffs: dict[int, datetime]
    ) -> None:
        """Planned courses, booked from a few days after the demo's day, for patients whose
        consent awaits its countersignature (clinic, patient, treatment type)."""
        open_courses = {b.patient_id for b in self.courses if b.status in Course.OPEN_STATUSES}
        for clinic_id, patient_id, treatment_type in pending:
            if patient_id in open_courses:
                continue
            open_courses.add(patient_id)
            cutoff = cutoffs[clinic_id]
            start = cutoff.astimezone(self.zones[clinic_id]).date() + timedelta(days=3)
            wanted = self.rng.choice(range(9 * 60, 15 * 60, 30))
            self._more(
                clinic_id,
                patient_id,
                PROTOCOL_OF[TreatmentType(treatment_type)],
                start,
                wanted,
                cutoff,
            )

    def _more(
        self, clinic_id: int, patient_id: int, code: str, start: date, wanted: int, cutoff: datetime
    ) -> None:
        version, protocol = self.protocols[clinic_id, code]
        planner = Planner(self.calendars[clinic_id], self.zones[clinic_id], self.rng, cutoff)
        first_type = session_type_of(protocol, protocol.outline[0].session_type)
        days = [start + timedelta(days=n) for n in range(14)]
        slot = planner.first_slot(first_type, days, wanted, patient_id)
        if slot is None:
            return
        plan = planner.plan(protocol, patient_id, slot.day, wanted, first=slot)
        if plan.short:
            for planned in plan.appointments:
                self.calendars[clinic_id].release(planned.slot)
            return
        booked = Booked(clinic_id, patient_id, version, plan, self._uuid(), cutoff)
        self._stage(booked, cutoff, showcase=False)
        self.courses.append(booked)

    def add_waitlist(self, cutoffs: dict[int, datetime]) -> None:
        """Patients of running courses who would take an earlier slot (about one in six, and
        each clinic's first), and planned courses booked from the waitlist (one in four)."""
        for booked in self.courses:
            cutoff = cutoffs[booked.clinic_id]
            future = sorted(
                (a for a in booked.plan.appointments if a.counts and a.starts_at >= cutoff),
                key=_start,
            )
            if not future:
                continue
            if booked.status == Course.Status.ACTIVE and self._draw(
                booked.clinic_id, WaitlistEntry.Status.WAITING, 1 / 6, showcase=True
            ):
                latest = future[0].slot.day - timedelta(days=1)
                self._wait(
                    booked.clinic_id,
                    booked.patient_id,
                    future[0].session_type.code,
                    cutoff,
                    booked,
                    latest=latest,
                )
            elif booked.status == Course.Status.PLANNED and self.rng.random() < 0.25:
                first = future[0]
                self._wait(
                    booked.clinic_id,
                    booked.patient_id,
                    first.session_type.code,
                    first.starts_at - timedelta(days=10),
                    booked,
                    status=WaitlistEntry.Status.BOOKED,
                    offered=first,
                )


def _start(a: Planned) -> datetime:
    return a.starts_at


def _integrates(a: Planned, dose: Planned) -> bool:
    """``a`` is the integration session of ``dose`` (within three days after it)."""
    return (
        a.session_type.kind == SessionKind.INTEGRATION
        and dose.starts_at < a.starts_at <= dose.starts_at + timedelta(days=3)
    )


def _follows_dose(plan: PlannedCourse, a: Planned, cutoff: datetime) -> bool:
    """``a`` integrates a dose the patient has had (kept through a pause)."""
    return any(_integrates(a, d) for d in plan.appointments if d.counts and d.starts_at < cutoff)


def _answered(plan: PlannedCourse, dose: Planned, cutoff: datetime) -> bool:
    """Every integration session after ``dose`` happened before ``cutoff`` (a stop after it
    leaves no dose without its integration)."""
    return all(
        a.ends_at < cutoff - timedelta(hours=1)
        for a in plan.appointments
        if a.counts and _integrates(a, dose)
    )


def _load_leave(rotas: dict[int, Rota]) -> None:
    for rota in rotas.values():
        rota.away.clear()
    people = {u: r for r in rotas.values() for users in r.staff.values() for u in users}
    for user_id, first, last in StaffLeave.objects.filter(user__in=list(people)).values_list(
        "user_id", "first_day", "last_day"
    ):
        for rota in rotas.values():
            rota.away[user_id].update(
                first + timedelta(days=n) for n in range((last - first).days + 1)
            )


def _first_staff(clinics: list[Clinic]) -> dict[tuple[int, str], int]:
    """Each clinic's first prescriber and front-desk member (who plan and book)."""
    found: dict[tuple[int, str], int] = {}
    for clinic_id, role, user_id in (
        StaffMembership.objects.filter(
            clinic__in=clinics, role__in=[Role.PRESCRIBER, Role.FRONT_DESK], is_active=True
        )
        .order_by("id")
        .values_list("clinic_id", "role", "user_id")
    ):
        found.setdefault((clinic_id, role), user_id)
    return found
