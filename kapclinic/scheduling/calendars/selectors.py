"""Reads behind the calendars, scoped to the clinic: the appointments of a span of days (the
clinic's, a room's, a staff member's) with what each page shows, a patient's appointments, and
one appointment through the patient access check. A constant number of queries whatever the
number of appointments: one for the appointments (their course's protocol, patient, room and
staff joined), and one each for the rooms and staff of the filters, the opening hours, and
the clinic's facts (``availability.clinic_facts``: its closures and prescriber coverage, as
the booking checks read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, OpeningHours, Role, Room, StaffMembership, User
from kapclinic.accounts.permissions import Capability
from kapclinic.accounts.selectors import list_clinic_rooms, list_opening_hours
from kapclinic.audit.actions import AuditAction
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import access_patient
from kapclinic.scheduling.availability import clinic_facts
from kapclinic.scheduling.entries import Entry, SessionNames, entry_of
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.slots import Closure
from kapclinic.scheduling.staffing.selectors import Cover, coverage_of

# Roles whose people appear on the calendar's staff filter (they run or book sessions).
CALENDAR_ROLES = (Role.PRESCRIBER, Role.NURSE, Role.THERAPIST)


def staff_memberships(clinic: Clinic, roles: tuple[str, ...]) -> QuerySet[StaffMembership]:
    return StaffMembership.objects.filter(
        clinic=clinic, role__in=roles, is_active=True, user__is_active=True
    ).select_related("user")


def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related(
        "course__protocol", "patient", "room", "therapist", "nurse"
    ).order_by("starts_at", "room__name", "pk")


def day_bounds(clinic: Clinic, first_day: date, days: int) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at the start of ``first_day`` and after ``days``."""
    tz = clinic.tzinfo
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class CalendarDay:
    day: date
    entries: list[Entry] = field(default_factory=list)
    opening: list[OpeningHours] = field(default_factory=list)
    cover: list[Cover] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return bool(self.opening) and not self.closed_all_day

    @property
    def closed_all_day(self) -> bool:
        return any(c.whole_day for c in self.closures)


@dataclass(frozen=True)
class Filters:
    """What a calendar can be narrowed to: the clinic's active rooms, and the people who run
    sessions there (prescribers, nurses, therapists), each list by name."""

    rooms: list[Room]
    staff: list[User]
    therapists: list[User]
    nurses: list[User]

    def room(self, public_id: str) -> Room | None:
        return next((r for r in self.rooms if str(r.public_id) == public_id), None)

    def person(self, public_id: str) -> User | None:
        return next((u for u in self.staff if str(u.public_id) == public_id), None)


def calendar_filters(clinic: Clinic) -> Filters:
    """The rooms and staff of ``clinic`` to filter by or book with: two queries."""
    rooms = [r for r in list_clinic_rooms(clinic) if r.is_active]
    staff: dict[int, User] = {}
    roles: dict[int, set[str]] = {}
    for membership in staff_memberships(clinic, CALENDAR_ROLES):
        staff.setdefault(membership.user_id, membership.user)
        roles.setdefault(membership.user_id, set()).add(membership.role)
    people = sorted(staff.values(), key=lambda u: (u.full_name.casefold(), u.pk))
    return Filters(
        rooms=rooms,
        staff=people,
        therapists=[u for u in people if Role.THERAPIST in roles[u.pk]],
        nurses=[u for u in people if Role.NURSE in roles[u.pk]],
    )


@dataclass
class CalendarPage:
    clinic: Clinic
    first_day: date
    days: list[CalendarDay]
    room: Room | None = None
    person: User | None = None

    @property
    def count(self) -> int:
        return sum(len(d.entries) for d in self.days)

    @property
    def last_day(self) -> date:
        return self.days[-1].day


def _require(actor: Actor, clinic: Clinic) -> None:
    if not actor.in_clinic(clinic).can(Capability.VIEW_SCHEDULE):
        raise PermissionDenied(Capability.VIEW_SCHEDULE.label)


def clinic_calendar(
    actor: Actor,
    clinic: Clinic,
    *,
    first_day: date,
    days: int,
    room: Room | None = None,
    person: User | None = None,
) -> CalendarPage:
    """``days`` days of ``clinic``'s calendar from ``first_day``: every appointment (cancelled
    ones too, marked), or a room's or a staff member's only; with each day's opening hours and
    on-site prescriber coverage, and the rooms and staff to filter by."""
    _require(actor, clinic)
    if room is not None and room.clinic_id != clinic.pk:
        raise Http404
    start, end = day_bounds(clinic, first_day, days)
    rows = _appointments().filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    if room is not None:
        rows = rows.filter(room=room)
    if person is not None:
        rows = rows.filter(Q(therapist=person) | Q(nurse=person))
    page = CalendarPage(
        clinic=clinic,
        first_day=first_day,
        days=[CalendarDay(first_day + timedelta(days=n)) for n in range(days)],
        room=room,
        person=person,
    )
    by_day = {d.day: d for d in page.days}
    names, tz = SessionNames(), clinic.tzinfo
    for appointment in rows:
        entry = entry_of(appointment, names, tz)
        by_day[entry.starts.date()].entries.append(entry)
    opening: dict[int, list[OpeningHours]] = {}
    for hours in list_opening_hours(clinic):
        opening.setdefault(hours.weekday, []).append(hours)
    facts = clinic_facts(clinic, first_day, page.last_day)
    cover = coverage_of(facts)
    for calendar_day in page.days:
        calendar_day.opening = opening.get(calendar_day.day.weekday(), [])
        calendar_day.cover = cover[calendar_day.day]
    for closure in facts.closures:
        by_day[closure.span.starts_at.astimezone(tz).date()].closures.append(closure)
    return page


def patient_appointments(patient: Patient, tz: ZoneInfo) -> list[Entry]:
    """Every appointment of ``patient`` (of any clinic's course), oldest first: call after
    ``access_patient`` has allowed and audited the read. One query."""
    names = SessionNames()
    return [entry_of(a, names, tz) for a in _appointments().filter(patient=patient)]


def upcoming_appointments(patient: Patient, tz: ZoneInfo, now: datetime, limit: int) -> list[Entry]:
    """The patient's next ``limit`` live appointments from ``now`` (the chart). One query."""
    names = SessionNames()
    rows = (
        _appointments()
        .filter(patient=patient, ends_at__gt=now)
        .exclude(status=Appointment.Status.CANCELLED)[:limit]
    )
    return [entry_of(a, names, tz) for a in rows]


@dataclass(frozen=True)
class AppointmentAccess:
    appointment: Appointment
    actor: Actor  # with the roles held in the patient's clinic, for the writes that follow


def access_appointment(
    *, actor: Actor, public_id: UUID, capability: Capability, action: AuditAction | None
) -> AppointmentAccess:
    """Appointment ``public_id`` if ``actor`` may use ``capability`` on its patient: the
    patient access rules (one 404 for missing and forbidden, the read audited as
    ``action``; kapclinic.patients.selectors.access_patient)."""
    appointment = _appointments().select_related("clinic").filter(public_id=public_id).first()
    if appointment is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=appointment.patient.public_id,
        capability=capability,
        action=action,
    )
    return AppointmentAccess(appointment=appointment, actor=access.actor)


# --- Today's lists (kapclinic.today.todo): one query each, the rows Today shows ---------------


def _today(clinic: Clinic, now: datetime) -> tuple[datetime, datetime]:
    return day_bounds(clinic, now.astimezone(clinic.tzinfo).date(), 1)


def _today_rows(clinic: Clinic, now: datetime) -> QuerySet[Appointment]:
    start, end = _today(clinic, now)
    return (
        _appointments()
        .select_related("clinic")
        .filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
    )


def appointments_to_check_in(clinic: Clinic, now: datetime) -> QuerySet[Appointment]:
    """Today's appointments in ``clinic`` still booked (not yet marked attended or missed),
    in time order: the front desk's check-in list."""
    return _today_rows(clinic, now).filter(status=Appointment.Status.BOOKED)


def sessions_of_today(clinic: Clinic, now: datetime, user: User) -> QuerySet[Appointment]:
    """Today's live sessions in ``clinic`` that ``user`` runs (as therapist or nurse)."""
    return (
        _today_rows(clinic, now)
        .filter(Q(therapist=user) | Q(nurse=user))
        .exclude(status=Appointment.Status.CANCELLED)
    )


def dosing_sessions_of_today(clinic: Clinic, now: datetime) -> QuerySet[Appointment]:
    """Today's live dosing sessions in ``clinic``: a prescriber must be on site for each."""
    return (
        _today_rows(clinic, now).filter(kind="dosing").exclude(status=Appointment.Status.CANCELLED)
    )
