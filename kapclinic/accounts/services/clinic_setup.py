"""A clinic's own set-up, changed by its clinic admins in the app: details and limits, rooms,
opening hours. Audited with old → new values (issue 10: no longer through the Django admin)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.audit_actions import AccountAuditAction
from kapclinic.accounts.models import Clinic, OpeningHours, Role, Room
from kapclinic.accounts.services.staffing import roles_in
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.exceptions import DomainError

# What a clinic admin may change about their clinic (the organisation, the MRN code and the
# jurisdiction's rule set are the operator's, set when the clinic is created).
CLINIC_FIELDS = (
    "name",
    "address_line",
    "city",
    "region",
    "postal_code",
    "phone",
    "time_zone",
    "idle_timeout_minutes",
    "break_glass_minutes",
    "safety_escalation_minutes",
    "questionnaire_missed_after_days",
)
ROOM_FIELDS = (
    "name",
    "kind",
    "capacity",
    "has_recliner",
    "has_eye_masks_and_headphones",
    "has_bp_monitor",
    "has_pulse_oximeter",
    "has_cardiac_monitor",
    "has_oxygen",
    "notes",
    "is_active",
)


def _require_admin(actor: Actor, clinic: Clinic) -> None:
    if Role.CLINIC_ADMIN not in roles_in(actor.user, clinic):
        msg = "Only a clinic admin of this clinic can change its set-up."
        raise DomainError(msg)


def _validated(instance: Clinic | Room) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        messages = [str(m) for m in error.messages]
        raise DomainError(" ".join(messages)) from error


@transaction.atomic
def update_clinic(*, actor: Actor, clinic: Clinic, values: Mapping[str, Any]) -> Clinic:
    """Change the clinic's details and limits; writes nothing when nothing changed."""
    _require_admin(actor, clinic)
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    wanted = {field: values[field] for field in CLINIC_FIELDS if field in values}
    changes = audit.diff({field: getattr(clinic, field) for field in wanted}, wanted)
    if not changes:
        return clinic
    for field, value in wanted.items():
        setattr(clinic, field, value)
    _validated(clinic)
    clinic.save()
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=AccountAuditAction.CLINIC_UPDATED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(clinic),
        changes=changes,
    )
    return clinic


@transaction.atomic
def save_room(
    *,
    actor: Actor,
    clinic: Clinic,
    values: Mapping[str, Any],
    room: Room | None = None,
) -> Room:
    """Add a room to the clinic (``room`` None) or change one of its rooms. Rooms are
    deactivated, never deleted (bookings and sessions will point at them)."""
    _require_admin(actor, clinic)
    wanted = {field: values[field] for field in ROOM_FIELDS if field in values}
    if room is None:
        room = Room(clinic=clinic)
        before: dict[str, Any] = {}
        operation, action = Operation.CREATE, AccountAuditAction.ROOM_ADDED
    else:
        room = Room.objects.select_for_update().get(pk=room.pk, clinic=clinic)
        before = {field: getattr(room, field) for field in wanted}
        operation, action = Operation.UPDATE, AccountAuditAction.ROOM_CHANGED
    changes = audit.diff(before, wanted)
    if not changes and operation == Operation.UPDATE:
        return room
    for field, value in wanted.items():
        setattr(room, field, value)
    _validated(room)
    room.save()
    audit.record(
        actor=actor.user,
        operation=operation,
        action=action,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(room),
        changes=changes,
    )
    return room


def _overlaps(hours: list[tuple[int, time, time]]) -> str:
    by_day = sorted(hours)
    for (day_a, _opens_a, closes_a), (day_b, opens_b, _closes_b) in pairwise(by_day):
        if day_a == day_b and opens_b < closes_a:
            return (
                f"Two opening times overlap on {OpeningHours(weekday=day_a).get_weekday_display()}."
            )
    return ""


@transaction.atomic
def set_opening_hours(
    *,
    actor: Actor,
    clinic: Clinic,
    hours: list[tuple[int, time, time]],
) -> None:
    """Replace the clinic's weekly opening hours with ``hours`` ((weekday, opens, closes), local
    time). Refused when an interval ends before it starts or two overlap."""
    _require_admin(actor, clinic)
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6:
            msg = "Choose a day of the week."
            raise DomainError(msg)
        if closes <= opens:
            msg = "Each opening time must close after it opens."
            raise DomainError(msg)
    overlap = _overlaps(hours)
    if overlap:
        raise DomainError(overlap)
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    current = list(
        OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens_at", "closes_at")
    )
    if sorted(current) == sorted(hours):
        return
    OpeningHours.objects.filter(clinic=clinic).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=w, opens_at=o, closes_at=c) for w, o, c in hours
    )
    audit.record(
        actor=actor.user,
        operation=Operation.UPDATE,
        action=AccountAuditAction.HOURS_CHANGED,
        actor_roles=actor.roles,
        clinic_id=clinic.public_id,
        target=audit.target_of(clinic),
        changes={
            "opening_hours": (
                [_label(h) for h in sorted(current)],
                [_label(h) for h in sorted(hours)],
            )
        },
    )


def _label(hours: tuple[int, time, time]) -> str:
    weekday, opens, closes = hours
    return f"{OpeningHours(weekday=weekday).get_weekday_display()} {opens:%H:%M}-{closes:%H:%M}"
