"""Reads of a clinic's closures for its admin's page: the closures from today on, each with
the appointments still booked inside it (for the front desk to move; a closure cancels
nothing), and the closures already over this year. Two queries whatever their number.
Closures hold no patient data; the appointments are shown without the patient's name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.scheduling.availability import closure_of
from kapclinic.scheduling.entries import Entry, SessionNames, entry_of
from kapclinic.scheduling.models import Appointment, ClinicClosure
from kapclinic.scheduling.slots import Span


@dataclass
class ClosureRow:
    closure: ClinicClosure
    booked: list[Entry] = field(default_factory=list)  # still booked inside it: to move
    can_remove: bool = True


def list_closures(clinic: Clinic, today: date) -> list[ClosureRow]:
    """``clinic``'s closures ending this year or later, by first day; those from ``today`` on
    carry the appointments still booked inside them. Two queries."""
    rows = [
        ClosureRow(closure, can_remove=closure.last_day >= today)
        for closure in ClinicClosure.objects.filter(
            clinic=clinic, last_day__gte=date(today.year, 1, 1)
        ).order_by("first_day", "starts_at", "label")
    ]
    upcoming = [row for row in rows if row.can_remove]
    if not upcoming:
        return rows
    tz = clinic.tzinfo
    first = max(today, min(row.closure.first_day for row in upcoming))
    last = max(row.closure.last_day for row in upcoming)
    spans: list[tuple[ClosureRow, Span]] = []
    for row in upcoming:
        day = max(today, row.closure.first_day)
        while day <= row.closure.last_day:
            spans.append((row, closure_of(row.closure, day, tz).span))
            day += timedelta(days=1)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    names = SessionNames()
    appointments = (
        Appointment.objects.filter(
            clinic=clinic,
            status=Appointment.Status.BOOKED,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("course__protocol", "patient", "room", "therapist", "nurse")
        .order_by("starts_at", "pk")
    )
    for appointment in appointments:
        booked = Span(appointment.starts_at, appointment.ends_at)
        for row, span in spans:
            listed = bool(row.booked) and row.booked[-1].appointment.pk == appointment.pk
            if span.overlaps(booked) and not listed:
                row.booked.append(entry_of(appointment, names, tz))
    return rows


def access_closure(clinic: Clinic, public_id: UUID) -> ClinicClosure:
    """Closure ``public_id`` of ``clinic``; Http404 for any other."""
    closure = ClinicClosure.objects.filter(clinic=clinic, public_id=public_id).first()
    if closure is None:
        raise Http404
    return closure
