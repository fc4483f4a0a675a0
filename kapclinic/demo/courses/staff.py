"""The demo's staff rota: working hours and leave of every nurse, therapist and prescriber.

Every clinical staff member of a demo clinic gets weekly ``WorkingHours`` inside the clinic's
opening hours, and some ``StaffLeave``:

- nurses work the week's open days but one (the first nurse every day), an early shift
  (08:00-16:30) or a late one (09:30-18:00) in turn; one of them the Saturday morning;
- therapists work four weekdays, 09:00-17:00 or 10:00-18:00 in turn, one the Saturday morning;
- prescribers are on site on the clinic's dosing days (Monday to Friday): the first from
  Monday to Wednesday, the second from Wednesday to Friday, any further one on Tuesday and
  Thursday mornings; each also works one half-day remotely (telehealth, not on site). The
  demo prescriber, who works in two clinics, is on site in the first on Monday to Wednesday
  and in the second on Thursday and Friday;
- holidays: every clinic is closed on the US federal holidays (5 U.S.C. 6103) of last year,
  this year and next (``ClinicClosure`` rows from the repository's jurisdiction data), and
  nothing is booked on them;
- leave: a week of annual leave for about half of them (in the past year or the months
  ahead), a training day for some; a prescriber's leave never leaves a dosing day uncovered
  (their colleague covers it: the rota only gives prescribers leave on days another covers).

``Rota`` answers, in memory, who works when (the course calendar books with it, so every
booked session has its staff on duty and, where the session type needs one, a prescriber on
site).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Final

from kapclinic.accounts.models import Clinic, OpeningHours, Role, StaffMembership
from kapclinic.scheduling.closures.holidays import holidays
from kapclinic.scheduling.models import ClinicClosure, ClosureSource, StaffLeave, WorkingHours

CLINICAL: Final = (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST)
DOSING_DAYS: Final = (0, 1, 2, 3, 4)
LEAVE_NOTES: Final = ("Annual leave", "Annual leave", "Training course", "Conference")
Interval = tuple[int, int]  # minutes after midnight, local time


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@dataclass
class Rota:
    """Who works when in one clinic (local minutes), and who is away."""

    opening: dict[int, list[Interval]]  # weekday -> the clinic's opening intervals
    staff: dict[Role, list[int]] = field(default_factory=dict)  # role -> user ids, in order
    on_site: dict[tuple[int, int], list[Interval]] = field(default_factory=dict)  # (user, wd)
    remote: dict[tuple[int, int], list[Interval]] = field(default_factory=dict)
    away: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    closed: set[date] = field(default_factory=set)  # the clinic's closed days (holidays)

    def works(self, user_id: int, day: date, start: int, end: int) -> bool:
        """On site for the whole of ``start``..``end`` on ``day``, and not on leave."""
        if day in self.away.get(user_id, ()):
            return False
        return any(
            a <= start and end <= b for a, b in self.on_site.get((user_id, day.weekday()), ())
        )

    def prescriber_on_site(self, day: date, start: int, end: int) -> bool:
        return any(self.works(p, day, start, end) for p in self.staff.get(Role.PRESCRIBER, ()))

    def opening_of(self, day: date) -> Interval | None:
        """The day's longest opening interval (sessions need one stretch), or None."""
        if day in self.closed:
            return None
        intervals = self.opening.get(day.weekday())
        if not intervals:
            return None
        return max(intervals, key=lambda i: i[1] - i[0])


def _clip(opening: list[Interval], start: int, end: int) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in opening if min(b, end) > max(a, start)]


def _nurse_hours(index: int, weekday: int) -> Interval | None:
    if weekday == 5:
        return (9 * 60, 13 * 60) if index == 1 else None
    if index and weekday == (index * 2) % 5:
        return None  # the day off
    return (8 * 60, 16 * 60 + 30) if index % 2 == 0 else (9 * 60 + 30, 18 * 60)


def _therapist_hours(index: int, weekday: int) -> Interval | None:
    if weekday == 5:
        return (9 * 60, 13 * 60) if index == 0 else None
    if weekday == (index + 1) % 5:
        return None
    return (9 * 60, 17 * 60) if index % 2 == 0 else (10 * 60, 18 * 60)


def _prescriber_days(index: int, shared: bool, second_clinic: bool) -> tuple[int, ...]:
    if shared:
        return (3, 4) if second_clinic else (0, 1, 2)
    return ((0, 1, 2), (2, 3, 4))[index] if index < 2 else (1, 3)


def build_rotas(
    clinics: list[Clinic], *, seed: int, today: date
) -> tuple[dict[int, Rota], list[WorkingHours], list[StaffLeave]]:
    """Each clinic's rota, with the rows that record it (not yet saved)."""
    rng = random.Random(seed * 104729 + 13)  # its own stream: nothing earlier changes
    opening: dict[int, dict[int, list[Interval]]] = {c.pk: defaultdict(list) for c in clinics}
    for h in OpeningHours.objects.filter(clinic__in=clinics).order_by("weekday", "opens_at"):
        opening[h.clinic_id][h.weekday].append((_minutes(h.opens_at), _minutes(h.closes_at)))
    closed = {h.day for year in _holiday_years(today) for h in holidays(year)}
    rotas = {c.pk: Rota(opening=dict(opening[c.pk]), closed=set(closed)) for c in clinics}
    clinics_of: dict[int, list[int]] = defaultdict(list)
    memberships = list(
        StaffMembership.objects.filter(clinic__in=clinics, role__in=CLINICAL, is_active=True)
        .order_by("id")
        .values_list("clinic_id", "role", "user_id")
    )
    for clinic_id, role, user_id in memberships:
        if clinic_id not in clinics_of[user_id]:
            clinics_of[user_id].append(clinic_id)
        rotas[clinic_id].staff.setdefault(Role(role), []).append(user_id)
    hours: list[WorkingHours] = []
    for clinic_id, role, user_id in memberships:
        rota = rotas[clinic_id]
        index = rota.staff[Role(role)].index(user_id)
        for weekday, intervals in sorted(rota.opening.items()):
            for start, end, site in _shifts(role, index, weekday, clinics_of[user_id], clinic_id):
                for a, b in _clip(intervals, start, end):
                    where = rota.on_site if site else rota.remote
                    where.setdefault((user_id, weekday), []).append((a, b))
                    hours.append(
                        WorkingHours(
                            clinic_id=clinic_id,
                            user_id=user_id,
                            weekday=weekday,
                            starts_at=_time(a),
                            ends_at=_time(b),
                            on_site=site,
                        )
                    )
    leave = _leave(rng, rotas, clinics_of, today)
    return rotas, hours, leave


def _holiday_years(today: date) -> range:
    return range(today.year - 1, today.year + 2)


def holiday_closures(clinics: list[Clinic], today: date) -> list[ClinicClosure]:
    """Each clinic's closures on the US federal holidays of last year, this year and next
    (not yet saved): the days ``Rota.opening_of`` leaves out."""
    return [
        ClinicClosure(
            clinic=clinic,
            first_day=h.day,
            last_day=h.day,
            label=h.label,
            source=ClosureSource.US_FEDERAL,
        )
        for clinic in clinics
        for year in _holiday_years(today)
        for h in holidays(year)
    ]


def _shifts(
    role: str, index: int, weekday: int, clinics: list[int], clinic_id: int
) -> list[tuple[int, int, bool]]:
    if role == Role.NURSE:
        found = _nurse_hours(index, weekday)
        return [(*found, True)] if found else []
    if role == Role.THERAPIST:
        found = _therapist_hours(index, weekday)
        return [(*found, True)] if found else []
    shared = len(clinics) > 1
    days = _prescriber_days(index, shared, clinic_id != clinics[0])
    if weekday in days:
        if not shared and index >= 2:
            return [(8 * 60, 13 * 60, True)]
        return [(8 * 60, 18 * 60, True)]
    if weekday in DOSING_DAYS and not shared and weekday == (index + 3) % 5:
        return [(14 * 60, 18 * 60, False)]  # telehealth review appointments
    return []


def _leave(
    rng: random.Random, rotas: dict[int, Rota], clinics_of: dict[int, list[int]], today: date
) -> list[StaffLeave]:
    rows: list[StaffLeave] = []
    people = sorted(clinics_of)
    for user_id in people:
        prescriber = any(
            user_id in rotas[c].staff.get(Role.PRESCRIBER, ()) for c in clinics_of[user_id]
        )
        if rng.random() < 0.5:
            # A week of annual leave, in the past year or the months ahead.
            first = today + timedelta(days=rng.randint(-330, 90))
            first -= timedelta(days=first.weekday())  # from a Monday
            days = [first + timedelta(days=n) for n in range(5)]
            if prescriber:  # the first run of days a colleague covers
                covered = [_covered_without(rotas, clinics_of, user_id, d) for d in days]
                start = covered.index(True) if True in covered else len(days)
                end = start
                while end < len(days) and covered[end]:
                    end += 1
                days = days[start:end]
            if days:
                rows.append(_row(user_id, days[0], days[-1], LEAVE_NOTES[0], rotas, clinics_of))
        if rng.random() < 0.3 and not prescriber:
            day = today + timedelta(days=rng.randint(-200, 60))
            if day.weekday() < 5:
                rows.append(_row(user_id, day, day, rng.choice(LEAVE_NOTES), rotas, clinics_of))
    return rows


def _covered_without(
    rotas: dict[int, Rota], clinics_of: dict[int, list[int]], user_id: int, day: date
) -> bool:
    """Whether each of the person's clinics still has another prescriber on site all day."""
    for clinic_id in clinics_of[user_id]:
        rota = rotas[clinic_id]
        opening = rota.opening_of(day)
        if opening is None or day.weekday() not in DOSING_DAYS:
            continue
        others = [p for p in rota.staff.get(Role.PRESCRIBER, ()) if p != user_id]
        if not any(rota.works(p, day, *opening) for p in others):
            return False
    return True


def _row(
    user_id: int,
    first: date,
    last: date,
    note: str,
    rotas: dict[int, Rota],
    clinics_of: dict[int, list[int]],
) -> StaffLeave:
    for clinic_id in clinics_of[user_id]:
        rotas[clinic_id].away[user_id].update(
            first + timedelta(days=n) for n in range((last - first).days + 1)
        )
    return StaffLeave(user_id=user_id, first_day=first, last_day=last, note=note)
