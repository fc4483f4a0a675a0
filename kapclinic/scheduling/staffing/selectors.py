"""Reads of staff availability, scoped to the clinic: each person's working hours and leave,
and the clinic's on-site prescriber coverage per day (issue 13.5). A constant number of
queries whatever the number of staff or days. Working hours hold no patient data: reading them
is not audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from uuid import UUID

from django.http import Http404

from kapclinic.accounts.models import Clinic, Role, StaffMembership, User
from kapclinic.scheduling.availability import clinic_facts
from kapclinic.scheduling.models import StaffLeave, WorkingHours
from kapclinic.scheduling.slots import ClinicFacts


@dataclass
class StaffAvailability:
    """One person of the clinic: their roles here, weekly hours here, and leave to come."""

    user: User
    roles: list[str] = field(default_factory=list)
    hours: list[WorkingHours] = field(default_factory=list)
    leave: list[StaffLeave] = field(default_factory=list)

    def hours_on(self, weekday: int) -> list[WorkingHours]:
        return [h for h in self.hours if h.weekday == weekday]


def _leave_from(users: list[int], today: date) -> dict[int, list[StaffLeave]]:
    found: dict[int, list[StaffLeave]] = {}
    rows = StaffLeave.objects.filter(user__in=users, last_day__gte=today).order_by("first_day")
    for leave in rows:
        found.setdefault(leave.user_id, []).append(leave)
    return found


def list_staff_availability(clinic: Clinic, today: date) -> list[StaffAvailability]:
    """Everyone with a current role in ``clinic`` (researchers aside: they book no sessions),
    by name, with their hours here and their leave from ``today`` on: three queries."""
    memberships = (
        StaffMembership.objects.filter(clinic=clinic, is_active=True, user__is_active=True)
        .exclude(role=Role.RESEARCHER)
        .select_related("user")
        .order_by("user__full_name", "user__id", "role")
    )
    rows: dict[int, StaffAvailability] = {}
    for membership in memberships:
        row = rows.setdefault(membership.user_id, StaffAvailability(membership.user))
        row.roles.append(membership.get_role_display())
    for hours in WorkingHours.objects.filter(clinic=clinic, user_id__in=list(rows)):
        rows[hours.user_id].hours.append(hours)
    for user_id, leave in _leave_from(list(rows), today).items():
        rows[user_id].leave = leave
    return list(rows.values())


def staff_availability(clinic: Clinic, user: User, today: date) -> StaffAvailability:
    """``user``'s roles, hours in ``clinic`` and leave from ``today`` (three queries)."""
    row = StaffAvailability(user)
    row.roles = [
        m.get_role_display()
        for m in StaffMembership.objects.filter(clinic=clinic, user=user, is_active=True)
    ]
    row.hours = list(WorkingHours.objects.filter(clinic=clinic, user=user))
    row.leave = _leave_from([user.pk], today).get(user.pk, [])
    return row


def access_leave(clinic: Clinic, public_id: UUID) -> StaffLeave:
    """Leave of someone with a current role in ``clinic``; Http404 for any other."""
    leave = (
        StaffLeave.objects.filter(
            public_id=public_id,
            user__memberships__clinic=clinic,
            user__memberships__is_active=True,
        )
        .select_related("user")
        .distinct()
        .first()
    )
    if leave is None:
        raise Http404
    return leave


@dataclass(frozen=True)
class Cover:
    """One stretch of a day with a prescriber on site (local times), and who is there."""

    starts_at: time
    ends_at: time
    names: tuple[str, ...]


def _merged(spans: list[tuple[time, time, str]]) -> list[Cover]:
    """Overlapping or touching spans as one stretch, naming everyone in it."""
    covers: list[Cover] = []
    for starts, ends, name in sorted(spans):
        last = covers[-1] if covers else None
        if last is not None and starts <= last.ends_at:
            names = last.names if name in last.names else (*last.names, name)
            covers[-1] = Cover(last.starts_at, max(last.ends_at, ends), names)
        else:
            covers.append(Cover(starts, ends, (name,)))
    return covers


def prescriber_coverage(clinic: Clinic, first_day: date, last_day: date) -> dict[date, list[Cover]]:
    """Each day from ``first_day`` to ``last_day``: when a prescriber works on site in
    ``clinic`` (their on-site working hours there, less their leave), and who. Read from the
    same facts the booking checks decide with (``availability.clinic_facts``; issue 13.5: a
    session that needs a prescriber on site is booked only inside these stretches), so the
    calendar never shows a coverage the checks do not keep."""
    return coverage_of(clinic_facts(clinic, first_day, last_day))


def coverage_of(facts: ClinicFacts) -> dict[date, list[Cover]]:
    """``prescriber_coverage`` from facts already read (the calendar reads them once)."""
    first_day, last_day = facts.first_day, facts.last_day
    days: dict[date, list[tuple[time, time, str]]] = {
        first_day + timedelta(days=n): [] for n in range((last_day - first_day).days + 1)
    }
    for person in facts.staff.values():
        if Role.PRESCRIBER not in person.roles:
            continue
        for span in person.on_site:
            start = span.starts_at.astimezone(facts.tz)
            days[start.date()].append(
                (start.time(), span.ends_at.astimezone(facts.tz).time(), person.name)
            )
    return {day: _merged(spans) for day, spans in days.items()}
