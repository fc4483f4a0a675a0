"""Reads a clinic's hours, staff and rooms into the pure values ``kapclinic.scheduling.slots``
decides with, and the existing holds the planner counts capacity against.

A constant number of queries whatever the period's length or the clinic's size: opening
hours, closures, working hours, leave, memberships and rooms are each read once, then
expanded day by day in Python. Days are the clinic's local calendar days; spans are aware datetimes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kapclinic.accounts.models import Clinic, OpeningHours, Room, StaffMembership
from kapclinic.scheduling.models import ClinicClosure, ResourceHold, StaffLeave, WorkingHours
from kapclinic.scheduling.protocols.definition import Equipment, RoomKind
from kapclinic.scheduling.slots import (
    ClinicFacts,
    Closure,
    RoomFacts,
    Span,
    StaffFacts,
    merged,
)

# Longest period one read covers (the planner's horizon is well inside it).
MAX_DAYS = 400


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def _span(day: date, starts: time, ends: time, tz: ZoneInfo) -> Span:
    return Span(datetime.combine(day, starts, tzinfo=tz), datetime.combine(day, ends, tzinfo=tz))


def room_facts(room: Room) -> RoomFacts:
    return RoomFacts(
        id=room.pk,
        name=room.name,
        kind=RoomKind(room.kind),
        equipment=frozenset(item for item in Equipment if getattr(room, f"has_{item.value}")),
        capacity=room.capacity,
        is_active=room.is_active,
    )


def closure_of(closure: ClinicClosure, day: date, tz: ZoneInfo) -> Closure:
    """``closure`` on ``day``: the whole local day, or its hours."""
    if closure.starts_at is None or closure.ends_at is None:
        span = Span(
            datetime.combine(day, time(0), tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
        )
    else:
        span = _span(day, closure.starts_at, closure.ends_at, tz)
    return Closure(span=span, label=closure.label, whole_day=closure.starts_at is None)


def closures_between(clinic: Clinic, first_day: date, last_day: date) -> tuple[Closure, ...]:
    """The clinic's closures that touch ``first_day``..``last_day``, one per closed day. One
    query."""
    rows = ClinicClosure.objects.filter(
        clinic=clinic, first_day__lte=last_day, last_day__gte=first_day
    )
    return tuple(
        closure_of(row, day, clinic.tzinfo)
        for row in rows
        for day in _days(max(row.first_day, first_day), min(row.last_day, last_day))
    )


def clinic_facts(clinic: Clinic, first_day: date, last_day: date) -> ClinicFacts:
    """The clinic's opening hours less its closures, rooms, and staff (roles, working hours
    less leave, on-site hours) for ``first_day``..``last_day``. Six queries."""
    if last_day < first_day or (last_day - first_day).days >= MAX_DAYS:
        msg = f"A period of 1 to {MAX_DAYS} days is needed."
        raise ValueError(msg)
    tz = clinic.tzinfo
    days = _days(first_day, last_day)
    opening_by_weekday: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for interval in OpeningHours.objects.filter(clinic=clinic):
        opening_by_weekday[interval.weekday].append((interval.opens_at, interval.closes_at))
    opening = merged(
        _span(day, opens, closes, tz)
        for day in days
        for opens, closes in opening_by_weekday[day.weekday()]
    )
    rooms = {room.pk: room_facts(room) for room in Room.objects.filter(clinic=clinic)}

    roles: dict[int, set[str]] = defaultdict(set)
    names: dict[int, str] = {}
    for membership in StaffMembership.objects.filter(clinic=clinic, is_active=True).select_related(
        "user"
    ):
        if membership.user.is_active:
            roles[membership.user_id].add(membership.role)
            names[membership.user_id] = membership.user.display_name
    away: dict[int, set[date]] = defaultdict(set)
    for leave in StaffLeave.objects.filter(
        user_id__in=roles, first_day__lte=last_day, last_day__gte=first_day
    ):
        for day in _days(max(leave.first_day, first_day), min(leave.last_day, last_day)):
            away[leave.user_id].add(day)
    weekly: dict[int, list[WorkingHours]] = defaultdict(list)
    for hours in WorkingHours.objects.filter(clinic=clinic, user_id__in=roles):
        weekly[hours.user_id].append(hours)

    staff: dict[int, StaffFacts] = {}
    for user_id, held_roles in roles.items():
        working: list[Span] = []
        on_site: list[Span] = []
        for day in days:
            if day in away[user_id]:
                continue
            for hours in weekly[user_id]:
                if hours.weekday == day.weekday():
                    span = _span(day, hours.starts_at, hours.ends_at, tz)
                    working.append(span)
                    if hours.on_site:
                        on_site.append(span)
        staff[user_id] = StaffFacts(
            id=user_id,
            name=names[user_id],
            roles=frozenset(held_roles),
            working=merged(working),
            on_site=merged(on_site),
        )
    return ClinicFacts(
        clinic_id=clinic.pk,
        tz=tz,
        first_day=first_day,
        last_day=last_day,
        opening=opening,
        rooms=rooms,
        staff=staff,
        closures=closures_between(clinic, first_day, last_day),
    )


def held(resource_prefixes: Iterable[str], span: Span) -> dict[str, tuple[Span, ...]]:
    """The existing holds whose key starts with one of ``resource_prefixes`` (e.g. "room:12:",
    "staff:7:"; ``kapclinic.scheduling.resources``) and that overlap ``span``, by key. One
    query per prefix."""
    found: dict[str, list[Span]] = defaultdict(list)
    for prefix in resource_prefixes:
        rows = ResourceHold.objects.filter(
            resource__startswith=prefix, starts_at__lt=span.ends_at, ends_at__gt=span.starts_at
        ).values_list("resource", "starts_at", "ends_at")
        for key, starts_at, ends_at in rows:
            found[key].append(Span(starts_at, ends_at))
    return {key: tuple(sorted(spans)) for key, spans in found.items()}
