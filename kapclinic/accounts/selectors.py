"""Reads about users, clinics, rooms and staff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, Max, Prefetch, Q, QuerySet
from django.http import Http404

from kapclinic.accounts.credentials import account_key, is_demo_account, normalise_email
from kapclinic.accounts.models import (
    AuthLockout,
    AuthThrottleEvent,
    Clinic,
    OpeningHours,
    RecoveryCode,
    Room,
    StaffMembership,
    StaffNotice,
    TwoFactorDevice,
    User,
)

# Where accounts.backends leaves the memberships it loaded with the request's user.
_LOADED_MEMBERSHIPS = "_kapclinic_active_memberships"


def _active_memberships() -> QuerySet[StaffMembership]:
    return (
        StaffMembership.objects.filter(is_active=True, clinic__is_active=True)
        .select_related("clinic", "clinic__organization")
        .order_by("clinic__name", "role")
    )


def list_active_memberships(user: User) -> list[StaffMembership]:
    """The user's active roles, with their clinics, in one query (none when the backend has
    loaded them with the user for this request: accounts.backends)."""
    loaded: list[StaffMembership] | None = getattr(user, _LOADED_MEMBERSHIPS, None)
    if loaded is not None:
        return loaded
    return list(_active_memberships().filter(user=user))


def memberships_with_user(user_id: str | int) -> list[StaffMembership]:
    """The active roles of user ``user_id``, each with its clinic and the user, in one query
    (the same user instance on each); empty when they have none."""
    memberships = list(_active_memberships().select_related("user").filter(user_id=user_id))
    for membership in memberships[1:]:
        membership.user = memberships[0].user
    return memberships


def remember_memberships(user: User, memberships: list[StaffMembership]) -> None:
    """Keep ``memberships`` on this request's ``user`` for list_active_memberships."""
    setattr(user, _LOADED_MEMBERSHIPS, memberships)


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
    # When closed on ``day``: the next day it opens (within a week) and its hours.
    next_open_day: date | None = None
    next_opening_hours: list[OpeningHours] = field(default_factory=list)


def get_clinic_day(clinic: Clinic, day: date) -> ClinicDay:
    """Rooms, opening hours and staff of ``clinic`` for ``day``, and the next day it opens when
    it is closed that day: three queries whatever the size."""
    week: dict[int, list[OpeningHours]] = {}
    for interval in OpeningHours.objects.filter(clinic=clinic):  # ordered by weekday, time
        week.setdefault(interval.weekday, []).append(interval)
    hours = week.get(day.weekday(), [])
    next_open_day = None
    if not hours and week:
        next_open_day = next(
            later
            for later in (day + timedelta(days=n) for n in range(1, 8))
            if later.weekday() in week
        )
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
        clinic=clinic,
        day=day,
        opening_hours=hours,
        rooms=rooms,
        staff=list(by_user.values()),
        next_open_day=next_open_day,
        next_opening_hours=week[next_open_day.weekday()] if next_open_day else [],
    )


def list_active_clinics() -> QuerySet[Clinic]:
    """Every open clinic (the public appointment request offers them all)."""
    return Clinic.objects.filter(is_active=True)


def clinics_with_ids(ids: Iterable[int]) -> QuerySet[Clinic]:
    """The clinics with these primary keys (the caller has checked the user works there)."""
    return Clinic.objects.filter(pk__in=list(ids))


def reload_clinic(clinic: Clinic) -> Clinic:
    """A fresh copy of ``clinic``'s row: a form may change it without touching the instance
    the rest of the page shows."""
    return Clinic.objects.get(pk=clinic.pk)


def list_clinics_with_rooms() -> QuerySet[Clinic]:
    return Clinic.objects.filter(is_active=True).prefetch_related(
        Prefetch("rooms", queryset=Room.objects.filter(is_active=True))
    )


def _unread_notices(user: User, clinic: Clinic) -> QuerySet[StaffNotice]:
    return StaffNotice.objects.filter(recipient=user, clinic=clinic, read_at__isnull=True)


def list_unread_notices(user: User, clinic: Clinic, limit: int = 5) -> list[StaffNotice]:
    return list(_unread_notices(user, clinic).order_by("-created_at")[:limit])


def any_unread_notice(user: User, clinic: Clinic) -> Exists:
    """Whether ``user`` has an unread notice in ``clinic``, as an expression to ask in one
    query with others (the page layout's)."""
    return Exists(_unread_notices(user, clinic))


def get_own_notice(user: User, public_id: UUID) -> StaffNotice | None:
    return StaffNotice.objects.filter(recipient=user, public_id=public_id).first()


# --- Sign-in security -------------------------------------------------------------------------


def lockout_until(*, email: str | None, ip_address: str | None, now: datetime) -> datetime | None:
    """When signing in is allowed again for this e-mail (typed, existing or not) or client
    address; None when neither is locked."""
    keys = Q()
    if email:
        keys |= Q(scope=AuthLockout.Scope.ACCOUNT, key=account_key(email))
    if ip_address:
        keys |= Q(scope=AuthLockout.Scope.ADDRESS, key=ip_address)
    if not keys:
        return None
    latest: datetime | None = (
        AuthLockout.objects.filter(keys, locked_until__gt=now)
        .aggregate(until=Max("locked_until"))
        .get("until")
    )
    return latest


def count_throttle_events(
    *,
    kinds: Iterable[str],
    since: datetime,
    email: str | None = None,
    ip_address: str | None = None,
) -> int:
    """Events of ``kinds`` since ``since`` for one account (e-mail typed) or one address."""
    events = AuthThrottleEvent.objects.filter(kind__in=list(kinds), occurred_at__gte=since)
    if email is not None:
        events = events.filter(account_key=account_key(email))
    if ip_address is not None:
        events = events.filter(ip_address=ip_address)
    return events.count()


def get_two_factor_device(user: User) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user).first()


def has_two_factor(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user).exists()


def count_unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@dataclass(frozen=True)
class TwoFactorStatus:
    enrolled_at: datetime | None
    recovery_codes_left: int

    @property
    def enrolled(self) -> bool:
        return self.enrolled_at is not None

    @property
    def label(self) -> str:
        return "on" if self.enrolled else "off"


def two_factor_status(user: User) -> TwoFactorStatus:
    device = get_two_factor_device(user)
    return TwoFactorStatus(
        enrolled_at=device.confirmed_at if device else None,
        recovery_codes_left=count_unused_recovery_codes(user) if device else 0,
    )


@dataclass(frozen=True)
class StaffTwoFactor:
    user: User
    roles: list[str]
    status: TwoFactorStatus


def list_staff_two_factor(clinic: Clinic) -> list[StaffTwoFactor]:
    """The clinic's active staff with their 2FA status, by name: two queries."""
    memberships = (
        StaffMembership.objects.filter(clinic=clinic, is_active=True, user__is_active=True)
        .select_related("user", "user__two_factor_device")
        .annotate(
            codes_left=Count(
                "user__recovery_codes",
                filter=Q(user__recovery_codes__used_at__isnull=True),
                distinct=True,
            )
        )
        .order_by("user__full_name", "user__id", "role")
    )
    rows: dict[int, StaffTwoFactor] = {}
    for membership in memberships:
        user = membership.user
        if user.pk not in rows:
            device = getattr(user, "two_factor_device", None)
            status = TwoFactorStatus(
                enrolled_at=device.confirmed_at if device else None,
                recovery_codes_left=membership.codes_left if device else 0,
            )
            rows[user.pk] = StaffTwoFactor(user=user, roles=[], status=status)
        rows[user.pk].roles.append(membership.get_role_display())
    return list(rows.values())


def access_clinic_staff_member(clinic: Clinic, public_id: UUID) -> User:
    """A person with an active role in ``clinic``; Http404 for anyone else (missing or not)."""
    user = (
        User.objects.filter(
            public_id=public_id,
            is_active=True,
            memberships__clinic=clinic,
            memberships__is_active=True,
        )
        .distinct()
        .first()
    )
    if user is None:
        raise Http404
    return user


def find_active_user(email: str) -> User | None:
    return User.objects.filter(email=normalise_email(email), is_active=True).first()


def second_step_for(user: User, *, demo_mode: bool) -> str:
    """What follows a right password (or sign-in link): "verify" a code when the user has an
    authenticator, else "enrol" one (staff), "none" for a patient without 2FA, or "demo" for a
    demo login while the demo profile is on (never otherwise)."""
    if has_two_factor(user):
        return "verify"
    if user.is_patient:
        return "none"
    if demo_mode and is_demo_account(user.email):
        return "demo"
    return "enrol"


# --- clinic administration (kapclinic.administration) ----------------------------------------


@dataclass
class StaffRow:
    """One person on a clinic's Staff page: their roles there (current and ended)."""

    user: User
    active: list[StaffMembership]
    ended: list[StaffMembership]

    @property
    def invited(self) -> bool:
        """Invited but has not chosen a password yet."""
        return not self.user.has_usable_password()

    @property
    def two_factor(self) -> bool:
        return getattr(self.user, "two_factor_device", None) is not None


def list_clinic_staff(clinic: Clinic) -> list[StaffRow]:
    """Everyone who holds or held a role in ``clinic``, by name, people with a current role
    first: one query whatever the size."""
    memberships = (
        StaffMembership.objects.filter(clinic=clinic)
        .select_related("user", "user__two_factor_device")
        .order_by("user__full_name", "user__id", "role")
    )
    rows: dict[int, StaffRow] = {}
    for membership in memberships:
        row = rows.setdefault(
            membership.user_id, StaffRow(user=membership.user, active=[], ended=[])
        )
        current = membership.is_active and membership.user.is_active
        (row.active if current else row.ended).append(membership)
    return sorted(rows.values(), key=lambda row: not row.active)


def access_membership(clinic: Clinic, public_id: UUID) -> StaffMembership:
    """A role held (or once held) in ``clinic``; Http404 for any other, missing or not."""
    membership = (
        StaffMembership.objects.filter(public_id=public_id, clinic=clinic)
        .select_related("user", "clinic")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def access_room(clinic: Clinic, public_id: UUID) -> Room:
    """One of ``clinic``'s rooms; Http404 for any other, missing or not."""
    room = Room.objects.filter(public_id=public_id, clinic=clinic).first()
    if room is None:
        raise Http404
    return room


def list_clinic_rooms(clinic: Clinic) -> list[Room]:
    """All of the clinic's rooms, active first."""
    return list(Room.objects.filter(clinic=clinic).order_by("-is_active", "kind", "name"))


def list_opening_hours(clinic: Clinic) -> list[OpeningHours]:
    return list(OpeningHours.objects.filter(clinic=clinic).order_by("weekday", "opens_at"))


def pending_invitations(clinic: Clinic) -> QuerySet[User]:
    """Staff with a current role here who have not chosen a password yet (Today, admins)."""
    # A subquery, not a join: a person with two roles here is one invitation.
    members = StaffMembership.objects.filter(clinic=clinic, is_active=True).values("user_id")
    return User.objects.filter(
        pk__in=members, is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
    ).order_by("date_joined", "id")


def count_pending_invitations(clinic: Clinic) -> int:
    return pending_invitations(clinic).count()


def treatment_rooms_without_monitoring(clinic: Clinic) -> QuerySet[Room]:
    """Active treatment rooms that cannot host dosing: no blood-pressure monitor or no pulse
    oximeter (``Room.can_monitor_dosing``; clinical-reference §1.2)."""
    return (
        Room.objects.filter(clinic=clinic, is_active=True, kind=Room.Kind.TREATMENT)
        .filter(Q(has_bp_monitor=False) | Q(has_pulse_oximeter=False))
        .order_by("name", "id")
    )


def clinic_opening_hours(clinic: Clinic) -> QuerySet[OpeningHours]:
    return OpeningHours.objects.filter(clinic=clinic)


def find_invited_user(public_id: UUID) -> User | None:
    """An active staff account still waiting for its first password, or None."""
    user = User.objects.filter(public_id=public_id, is_active=True, kind=User.Kind.STAFF).first()
    if user is None or user.has_usable_password():
        return None
    return user


def staff_holding(clinic: Clinic, roles: Iterable[str]) -> QuerySet[User]:
    """The active people holding one of ``roles`` in ``clinic``, by name."""
    return (
        User.objects.filter(
            memberships__clinic=clinic,
            memberships__role__in=list(roles),
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


def list_holders_of(clinic: Clinic, roles: Iterable[str]) -> list[User]:
    """``staff_holding`` as a list (one query)."""
    return list(staff_holding(clinic, roles))
