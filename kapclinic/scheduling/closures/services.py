"""Writes of a clinic's closures: a clinic admin (MANAGE_STAFF, who keeps the staff's hours)
records a closure, loads a year's public holidays from the jurisdiction data, or removes a
closure still to come. Each runs in a transaction with its audit entry.

A closure never cancels or moves an appointment: one recorded over booked appointments is
saved and the closures page lists them for the front desk to move (the booking checks refuse
any new booking or move onto a closed day, ``slots.slot_problems``)."""

from __future__ import annotations

from datetime import date, time

from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.closures.holidays import US_FEDERAL, holidays, source
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import ClinicClosure, ClosureSource
from kapclinic.scheduling.staffing.services import require_clinic_admin

LABEL_MAX = 120
# Closures are planned ahead, not a record of the past: from today to three years ahead.
DAYS_AHEAD = 3 * 366
YEARS_AHEAD = 2


def _require_admin(actor: Actor, clinic: Clinic) -> None:
    require_clinic_admin(actor, clinic, what="its closures")


def _audit(
    actor: Actor,
    clinic: Clinic,
    closure: ClinicClosure,
    operation: Operation,
    action: SchedulingAuditAction,
) -> None:
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.in_clinic(clinic).roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(closure),
        detail=_detail(closure),
    )


def _check_days(first_day: date, last_day: date, today: date) -> None:
    if last_day < first_day:
        msg = "The last closed day cannot be before the first."
        raise SchedulingError(msg, field="last_day")
    if first_day < today:
        msg = "A closure starts today or later: the past cannot be closed."
        raise SchedulingError(msg, field="first_day")
    if (last_day - today).days > DAYS_AHEAD:
        msg = "A closure can be recorded up to three years ahead."
        raise SchedulingError(msg, field="last_day")


def _check_hours(starts_at: time | None, ends_at: time | None) -> None:
    if (starts_at is None) != (ends_at is None):
        msg = "Give both the time the closure starts and ends, or neither for the whole day."
        raise SchedulingError(msg, field="starts_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        msg = "The closure must end after it starts."
        raise SchedulingError(msg, field="ends_at")


def _clean_label(label: str) -> str:
    label = label.strip()
    if not label:
        msg = "Say what the closure is (for example: Staff training day)."
        raise SchedulingError(msg, field="label")
    if len(label) > LABEL_MAX:
        msg = f"Keep the label under {LABEL_MAX} characters."
        raise SchedulingError(msg, field="label")
    return label


def _detail(closure: ClinicClosure) -> dict[str, str]:
    detail = {
        "first_day": closure.first_day.isoformat(),
        "last_day": closure.last_day.isoformat(),
        "label": closure.label,
    }
    if closure.starts_at is not None and closure.ends_at is not None:
        detail["hours"] = f"{closure.starts_at:%H:%M}-{closure.ends_at:%H:%M}"
    return detail


def add_closure(
    *,
    actor: Actor,
    clinic: Clinic,
    first_day: date,
    last_day: date,
    label: str,
    starts_at: time | None = None,
    ends_at: time | None = None,
    today: date,
) -> ClinicClosure:
    """Close ``clinic`` from ``first_day`` to ``last_day`` (the whole day, or ``starts_at`` to
    ``ends_at`` on each day). Appointments already booked then stay booked (listed on the
    closures page to move)."""
    _require_admin(actor, clinic)
    _check_days(first_day, last_day, today)
    _check_hours(starts_at, ends_at)
    label = _clean_label(label)
    with transaction.atomic():
        if ClinicClosure.objects.filter(clinic=clinic, first_day=first_day, label=label).exists():
            msg = f"{label} is already recorded from that day."
            raise SchedulingError(msg, field="label")
        closure = ClinicClosure.objects.create(
            clinic=clinic,
            first_day=first_day,
            last_day=last_day,
            label=label,
            starts_at=starts_at,
            ends_at=ends_at,
            recorded_by=actor.user,
        )
        _audit(actor, clinic, closure, Operation.CREATE, SchedulingAuditAction.CLOSURE_ADDED)
    return closure


def load_holidays(*, actor: Actor, clinic: Clinic, year: int, today: date) -> list[ClinicClosure]:
    """Close ``clinic`` on the US federal holidays of ``year`` (5 U.S.C. 6103, the days they
    are observed), from the repository's jurisdiction data. Holidays already past or already
    recorded are left out, so loading a year twice adds nothing. Returns those added."""
    _require_admin(actor, clinic)
    if not today.year <= year <= today.year + YEARS_AHEAD:
        msg = f"Load the holidays of {today.year} to {today.year + YEARS_AHEAD}."
        raise SchedulingError(msg, field="year")
    wanted = [h for h in holidays(year, US_FEDERAL) if h.day >= today]
    with transaction.atomic():
        existing = set(
            ClinicClosure.objects.filter(
                clinic=clinic, first_day__in=[h.day for h in wanted]
            ).values_list("first_day", "label")
        )
        added = ClinicClosure.objects.bulk_create(
            ClinicClosure(
                clinic=clinic,
                first_day=h.day,
                last_day=h.day,
                label=h.label,
                source=ClosureSource.US_FEDERAL,
                recorded_by=actor.user,
            )
            for h in wanted
            if (h.day, h.label) not in existing
        )
        if added:
            audit.record(
                actor=actor.user,
                operation=Operation.CREATE,
                action=SchedulingAuditAction.HOLIDAYS_LOADED,
                actor_roles=actor.in_clinic(clinic).roles,
                clinic_id=clinic.public_id,
                detail={
                    "source": source(US_FEDERAL),
                    "year": year,
                    "days": [c.first_day.isoformat() for c in added],
                },
            )
    return added


def remove_closure(*, actor: Actor, clinic: Clinic, closure: ClinicClosure, today: date) -> None:
    """Open the clinic again on a closure still to come (the audit entry keeps its days). A
    closure already over stays: it explains why nothing happened then."""
    _require_admin(actor, clinic)
    if closure.clinic_id != clinic.pk:
        msg = "That closure is not this clinic's."
        raise SchedulingError(msg)
    if closure.last_day < today:
        msg = "A closure already over stays on the record."
        raise SchedulingError(msg)
    with transaction.atomic():
        _audit(actor, clinic, closure, Operation.DELETE, SchedulingAuditAction.CLOSURE_REMOVED)
        closure.delete()
