"""Reads about users, clinics, rooms and staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from kapclinic.accounts.models import (
    Clinic,
    OpeningHours,
    Room,
    StaffMembership,
    StaffNotice,
    User,
)


def list_active_memberships(user: User) -> list[StaffMembership]:
    """The user's active roles, with their clinics, in one query."""
    return list(
        StaffMembership.objects.filter(user=user, is_active=True, clinic__is_active=True)
        .select_related("clinic", "clinic__organization")
        .order_by("clinic__name", "role")
    )


@dataclass(frozen=True)
class StaffOnRoster:
    user: User
    roles: list[str]


@dataclass(frozen=True)
class ClinicDay:
    """What the Today page shows about a clinic on one local date."""

    clinic: Clinic
    day: date
    opening_hours: list[OpeningHours]
    rooms: list[Room]
    staff: list[StaffOnRoster]


def get_clinic_day(clinic: Clinic, day: date) -> ClinicDay:
    """Rooms, opening hours and staff of ``clinic`` for ``day``: three queries whatever the size."""
    hours = list(OpeningHours.objects.filter(clinic=clinic, weekday=day.weekday()))
    rooms = list(Room.objects.filter(clinic=clinic, is_active=True).order_by("kind", "name"))
    memberships: QuerySet[StaffMembership] = (
        StaffMembership.objects.filter(clinic=clinic, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "role")
    )
    by_user: dict[int, StaffOnRoster] = {}
    for membership in memberships:
        entry = by_user.setdefault(membership.user_id, StaffOnRoster(membership.user, []))
        entry.roles.append(membership.get_role_display())
    return ClinicDay(
        clinic=clinic, day=day, opening_hours=hours, rooms=rooms, staff=list(by_user.values())
    )


def list_clinics_with_rooms() -> QuerySet[Clinic]:
    return Clinic.objects.filter(is_active=True).prefetch_related(
        Prefetch("rooms", queryset=Room.objects.filter(is_active=True))
    )


def list_unread_notices(user: User, clinic: Clinic, limit: int = 5) -> list[StaffNotice]:
    return list(
        StaffNotice.objects.filter(recipient=user, clinic=clinic, read_at__isnull=True).order_by(
            "-created_at"
        )[:limit]
    )


def get_own_notice(user: User, public_id: UUID) -> StaffNotice | None:
    return StaffNotice.objects.filter(recipient=user, public_id=public_id).first()
