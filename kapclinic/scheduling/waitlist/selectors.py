"""Reads of the waitlist, scoped to the clinic: the entries still waiting or offered a slot
(one query whatever their number), one entry, and a patient's open courses to wait for."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from kapclinic.accounts.models import Clinic, Weekday
from kapclinic.patients.models import Patient
from kapclinic.scheduling.entries import Entry, SessionNames, entry_of
from kapclinic.scheduling.models import Course, WaitlistEntry

OPEN = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


@dataclass(frozen=True)
class WaitlistRow:
    entry: WaitlistEntry
    session_name: str  # "" for any session
    offered: Entry | None  # the freed slot, when the entry was offered one

    @property
    def weekdays(self) -> str:
        days = self.entry.weekdays or []
        return ", ".join(Weekday(d).label[:3] for d in days) if days else "any day"


def list_waitlist(clinic: Clinic) -> list[WaitlistRow]:
    """The clinic's entries waiting or offered a slot, offered ones first, then oldest first:
    one query."""
    rows = (
        WaitlistEntry.objects.filter(clinic=clinic, status__in=OPEN)
        .select_related(
            "patient",
            "course__protocol",
            "offered_appointment__course__protocol",
            "offered_appointment__patient",
            "offered_appointment__room",
            "offered_appointment__therapist",
            "offered_appointment__nurse",
        )
        .order_by("status", "created_at", "pk")  # "offered" sorts before "waiting"
    )
    names, tz = SessionNames(), clinic.tzinfo
    found = []
    for entry in rows:
        name = ""
        if entry.course is not None and entry.session_type:
            name = names.name(entry.course.protocol, entry.session_type)
        offered = entry.offered_appointment
        found.append(
            WaitlistRow(
                entry=entry,
                session_name=name,
                offered=entry_of(offered, names, tz) if offered is not None else None,
            )
        )
    return found


def access_waitlist_entry(clinic: Clinic, public_id: UUID) -> WaitlistEntry:
    """One of ``clinic``'s waitlist entries; Http404 for any other, missing or not."""
    entry = (
        WaitlistEntry.objects.filter(clinic=clinic, public_id=public_id)
        .select_related("clinic", "patient", "course__protocol", "offered_appointment__room")
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def open_courses(patient: Patient) -> list[Course]:
    """The patient's open course (at most one: a database constraint), with its protocol."""
    return list(
        Course.objects.filter(patient=patient, status__in=Course.OPEN_STATUSES).select_related(
            "protocol"
        )
    )


def waitlist_offers(clinic: Clinic) -> QuerySet[WaitlistEntry]:
    """Entries offered a freed slot, not yet booked or withdrawn (the front desk's Today)."""
    return (
        WaitlistEntry.objects.filter(clinic=clinic, status=WaitlistEntry.Status.OFFERED)
        .select_related("patient", "offered_appointment__clinic", "offered_appointment__room")
        .order_by("created_at", "pk")
    )
