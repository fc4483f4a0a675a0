"""Writes of staff availability: a staff member's weekly working hours in a clinic, and their
leave. A clinic admin makes them for the staff of their clinic (MANAGE_STAFF); each runs in a
transaction with its audit entry. Nothing here books or moves an appointment: sessions already
booked keep their times, and the booking checks read the new hours from then on."""

from __future__ import annotations

from datetime import date, time
from itertools import pairwise

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, StaffMembership, User, Weekday
from kapclinic.accounts.permissions import Capability
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import StaffLeave, WorkingHours

# (weekday 0 Monday .. 6 Sunday, starts, ends, on site), in the clinic's local time.
Interval = tuple[int, time, time, bool]
# Leave is planned, not a record of the past decades: a year back, two years ahead.
LEAVE_DAYS_BACK = 366
LEAVE_DAYS_AHEAD = 2 * 366
NOTE_MAX = 200


def require_clinic_admin(
    actor: Actor, clinic: Clinic, *, what: str = "its staff's hours and leave"
) -> None:
    """Refused unless ``actor`` manages the staff of ``clinic`` (MANAGE_STAFF): their hours
    and leave, and the clinic's closures."""
    if not actor.in_clinic(clinic).can(Capability.MANAGE_STAFF):
        msg = f"Only a clinic admin of this clinic can change {what}."
        raise SchedulingError(msg)


def _require_staff_of(clinic: Clinic, user: User) -> None:
    works_here = StaffMembership.objects.filter(
        clinic=clinic, user=user, is_active=True, user__is_active=True
    ).exists()
    if not works_here:
        msg = f"{user.display_name} has no current role in {clinic.name}."
        raise SchedulingError(msg)


def label(interval: Interval) -> str:
    weekday, starts, ends, on_site = interval
    where = "" if on_site else " (remote)"
    return f"{Weekday(weekday).label} {starts:%H:%M}-{ends:%H:%M}{where}"


def _check(hours: list[Interval]) -> None:
    for weekday, starts, ends, _on_site in hours:
        if not 0 <= weekday <= 6:
            msg = "Choose a day of the week."
            raise SchedulingError(msg)
        if ends <= starts:
            msg = f"{Weekday(weekday).label}: the end must be after the start."
            raise SchedulingError(msg)
    ordered = sorted(hours)
    for first, second in pairwise(ordered):
        if first[0] == second[0] and second[1] < first[2]:
            msg = (
                f"{label(first)} and {label(second)} overlap: make them one interval or two apart."
            )
            raise SchedulingError(msg)


def set_working_hours(*, actor: Actor, clinic: Clinic, user: User, hours: list[Interval]) -> bool:
    """Replace ``user``'s weekly working hours in ``clinic`` with ``hours``. Refused when an
    interval ends before it starts or two overlap. Returns whether anything changed (saving the
    same hours again writes nothing and audits nothing)."""
    require_clinic_admin(actor, clinic)
    _check(hours)
    with transaction.atomic():
        _require_staff_of(clinic, user)
        rows = WorkingHours.objects.select_for_update().filter(clinic=clinic, user=user)
        current = sorted((r.weekday, r.starts_at, r.ends_at, r.on_site) for r in rows)
        if current == sorted(hours):
            return False
        WorkingHours.objects.filter(clinic=clinic, user=user).delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=clinic, user=user, weekday=w, starts_at=s, ends_at=e, on_site=o)
            for w, s, e, o in sorted(hours)
        )
        audit.record(
            actor=actor.user,
            operation=Operation.UPDATE,
            action=SchedulingAuditAction.WORKING_HOURS_CHANGED,
            actor_roles=actor.in_clinic(clinic).roles,
            clinic_id=clinic.public_id,
            target=audit.target_of(user),
            changes={
                "working_hours": (
                    [label(h) for h in current],
                    [label(h) for h in sorted(hours)],
                )
            },
        )
    return True


def record_leave(
    *,
    actor: Actor,
    clinic: Clinic,
    user: User,
    first_day: date,
    last_day: date,
    note: str,
    today: date,
) -> StaffLeave:
    """Record that ``user`` is away from ``first_day`` to ``last_day`` (in every clinic). The
    admin acts from ``clinic``, where the person must hold a role. The note is logistics
    ("Annual leave"), never clinical."""
    require_clinic_admin(actor, clinic)
    if last_day < first_day:
        msg = "The last day of leave cannot be before the first."
        raise SchedulingError(msg, field="last_day")
    if (today - first_day).days > LEAVE_DAYS_BACK or (last_day - today).days > LEAVE_DAYS_AHEAD:
        msg = "Leave can be recorded from a year ago to two years ahead."
        raise SchedulingError(msg, field="first_day")
    note = note.strip()
    if len(note) > NOTE_MAX:
        msg = f"Keep the note under {NOTE_MAX} characters."
        raise SchedulingError(msg, field="note")
    with transaction.atomic():
        _require_staff_of(clinic, user)
        leave = StaffLeave.objects.create(
            user=user, first_day=first_day, last_day=last_day, note=note, recorded_by=actor.user
        )
        audit.record(
            actor=actor.user,
            operation=Operation.CREATE,
            action=SchedulingAuditAction.LEAVE_RECORDED,
            actor_roles=actor.in_clinic(clinic).roles,
            clinic_id=clinic.public_id,
            target=audit.target_of(leave),
            detail={
                "staff": str(user.public_id),
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
            },
        )
    return leave


def remove_leave(*, actor: Actor, clinic: Clinic, leave: StaffLeave) -> None:
    """Take back leave recorded in error or no longer taken (the audit entry keeps its days)."""
    require_clinic_admin(actor, clinic)
    with transaction.atomic():
        _require_staff_of(clinic, leave.user)
        audit.record(
            actor=actor.user,
            operation=Operation.DELETE,
            action=SchedulingAuditAction.LEAVE_REMOVED,
            actor_roles=actor.in_clinic(clinic).roles,
            clinic_id=clinic.public_id,
            target=audit.target_of(leave),
            detail={
                "staff": str(leave.user.public_id),
                "first_day": leave.first_day.isoformat(),
                "last_day": leave.last_day.isoformat(),
            },
        )
        leave.delete()
