"""Reads for calendar feeds and reminders: a feed by its token (the one public read), the
events each kind of feed shows, the feeds a page lists, the clinic's lead times and the
reminders that are due (a bounded query).

What each feed says is decided here (docs/scheduling.md, "What each feed holds"): a staff or
room feed names no patient at all (not a name, initials or MRN: the feed leaves kapclinic for a
calendar service), and a patient's feed holds the time, the clinic's name and address and the
preparation instructions, under a plain label for the kind of visit, never the session type's
name (which may name the drug) or anything else clinical.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kapclinic.accounts.models import Clinic, Room, StaffMembership, User
from kapclinic.patients.models import Patient, ReminderConsent
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.models import (
    Appointment,
    CalendarFeed,
    ReminderDelivery,
    SchedulingSettings,
)
from kapclinic.scheduling.models.notify import default_reminder_hours
from kapclinic.scheduling.notify.channels import ReminderMessage
from kapclinic.scheduling.notify.feeds import FeedEvent, sequence_of
from kapclinic.scheduling.protocols.definition import Protocol, SessionType
from kapclinic.scheduling.protocols.parser import parse_protocol

# A feed shows appointments from this long ago to this far ahead, at most MAX_EVENTS of them
# (a feed is fetched every hour or so by each subscribed client: its size stays bounded).
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=366)
MAX_EVENTS = 1000

# What the patient's own feed and reminders call each kind of session: words without a drug,
# dose or diagnosis in them (the protocol's session-type names may name the drug).
PATIENT_LABELS = {
    "preparation": "Preparation visit",
    "dosing": "Treatment session",
    "integration": "Integration session",
    "therapy": "Therapy session",
    "review": "Review visit",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_feed(token: str) -> CalendarFeed | None:
    """The live feed whose token is ``token``; None for an unknown or revoked token, and for a
    feed whose owner is gone (a staff member without an active role in the clinic, a patient
    record merged into another). Only the token's SHA-256 is stored and looked up."""
    digest = hash_token(token)
    feed = (
        CalendarFeed.objects.filter(token_sha256=digest, revoked_at__isnull=True)
        .select_related("clinic", "user", "room", "patient")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.token_sha256, digest):
        return None
    if feed.user is not None:  # a staff feed (the model's check: one owner each)
        member = StaffMembership.objects.filter(
            user=feed.user, clinic=feed.clinic, is_active=True
        ).exists()
        if not (feed.user.is_active and member):
            return None
    if feed.patient is not None and feed.patient.merged_into_id is not None:
        return None
    return feed


@dataclass(frozen=True)
class FeedContent:
    name: str
    events: list[FeedEvent]


def _window(clinic: Clinic, now: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            clinic=clinic, starts_at__gte=now - FEED_PAST, starts_at__lt=now + FEED_AHEAD
        )
        .select_related("clinic", "room", "course__protocol", "therapist", "nurse")
        .order_by("starts_at", "id")
    )


class _Protocols:
    """Each protocol version's document parsed once per feed."""

    def __init__(self) -> None:
        self._parsed: dict[int, Protocol | None] = {}

    def session_type(self, appointment: Appointment) -> SessionType | None:
        version = appointment.course.protocol
        if version.pk not in self._parsed:
            try:
                self._parsed[version.pk] = parse_protocol(version.document)
            except ProtocolDefinitionError:
                self._parsed[version.pk] = None
        protocol = self._parsed[version.pk]
        return protocol.session_type(appointment.session_type) if protocol else None


def clinic_address(clinic: Clinic) -> str:
    return (
        f"{clinic.name}, {clinic.address_line}, {clinic.city}, {clinic.region} {clinic.postal_code}"
    )


def patient_label(appointment: Appointment) -> str:
    return PATIENT_LABELS.get(appointment.kind, "Appointment")


def preparation(session_type: SessionType | None) -> tuple[str, ...]:
    return session_type.instructions if session_type else ()


def _event(appointment: Appointment, summary: str, location: str, description: str) -> FeedEvent:
    cancelled = appointment.status == Appointment.Status.CANCELLED
    return FeedEvent(
        public_id=str(appointment.public_id),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=f"Cancelled: {summary}" if cancelled else summary,
        location=location,
        description=description,
        cancelled=cancelled,
        sequence=sequence_of(appointment.created_at, appointment.updated_at),
        changed_at=appointment.updated_at,
    )


def _staff_event(appointment: Appointment, protocols: _Protocols) -> FeedEvent:
    session_type = protocols.session_type(appointment)
    name = session_type.name if session_type else appointment.get_kind_display()
    room = appointment.room
    where = room.name if room.capacity == 1 else f"{room.name}, chair {appointment.chair}"
    staff = [
        f"{title}: {person.full_name}"
        for title, person in (("Therapist", appointment.therapist), ("Nurse", appointment.nurse))
        if person is not None
    ]
    description = "\n".join(
        [*staff, "The patient's details are in kapclinic, not in this calendar."]
    )
    return _event(
        appointment, f"{name} · {where}", f"{where}, {appointment.clinic.name}", description
    )


def patient_description(clinic: Clinic, instructions: tuple[str, ...]) -> str:
    lines = []
    if instructions:
        lines += ["Before this visit:", *(f"- {text}" for text in instructions), ""]
    if clinic.phone:
        lines.append(f"To change or cancel it, call {clinic.name} on {clinic.phone}.")
    return "\n".join(lines).strip()


def _patient_event(appointment: Appointment, protocols: _Protocols) -> FeedEvent:
    clinic = appointment.clinic
    instructions = preparation(protocols.session_type(appointment))
    return _event(
        appointment,
        f"{patient_label(appointment)} at {clinic.name}",
        clinic_address(clinic),
        patient_description(clinic, instructions),
    )


def feed_content(feed: CalendarFeed, *, now: datetime) -> FeedContent:
    """The feed's name and events: appointments from ``FEED_PAST`` ago to ``FEED_AHEAD`` ahead
    (at most ``MAX_EVENTS``), cancelled ones as STATUS:CANCELLED so that subscribed calendars
    take them off. Three queries at most, whatever the number of events."""
    appointments = _window(feed.clinic, now)
    protocols = _Protocols()
    if feed.owner == CalendarFeed.Owner.PATIENT:
        rows = appointments.filter(patient=feed.patient)[:MAX_EVENTS]
        events = [_patient_event(row, protocols) for row in rows]
        return FeedContent(f"{feed.clinic.name} appointments", events)
    if feed.room is not None:
        rows = appointments.filter(room=feed.room)[:MAX_EVENTS]
        name = f"{feed.room.name} ({feed.clinic.name})"
    else:
        rows = appointments.filter(Q(therapist_id=feed.user_id) | Q(nurse_id=feed.user_id))[
            :MAX_EVENTS
        ]
        person = feed.user.full_name if feed.user is not None else "Staff"
        name = f"{person}: sessions at {feed.clinic.name}"
    return FeedContent(name, [_staff_event(row, protocols) for row in rows])


# --- the feeds a page lists ------------------------------------------------------------------


def _live() -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(revoked_at__isnull=True)


def staff_feed(user: User, clinic: Clinic) -> CalendarFeed | None:
    return _live().filter(owner=CalendarFeed.Owner.STAFF, user=user, clinic=clinic).first()


def patient_feed(patient: Patient) -> CalendarFeed | None:
    return _live().filter(owner=CalendarFeed.Owner.PATIENT, patient=patient).first()


def room_feeds(clinic: Clinic) -> list[tuple[Room, CalendarFeed | None]]:
    """The clinic's rooms in use, and any retired room whose feed is still live (so that it
    can be revoked), each with its live feed if any (two queries)."""
    feeds = {
        feed.room_id: feed for feed in _live().filter(owner=CalendarFeed.Owner.ROOM, clinic=clinic)
    }
    rooms = Room.objects.filter(Q(is_active=True) | Q(pk__in=list(feeds)), clinic=clinic)
    return [(room, feeds.get(room.pk)) for room in rooms.order_by("name")]


def access_room(clinic: Clinic, public_id: UUID | None) -> Room | None:
    """One of the clinic's rooms by public id (None for another clinic's or none)."""
    if public_id is None:
        return None
    return Room.objects.filter(clinic=clinic, public_id=public_id).first()


def upcoming_for_patient(patient: Patient, *, now: datetime) -> list[tuple[str, str]]:
    """The patient's booked appointments from now on: when (in the clinic's time zone) and
    what their feed calls each."""
    rows = (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, starts_at__gte=now
        )
        .select_related("clinic")
        .order_by("starts_at")[:50]
    )
    return [(when_in_words(row), f"{patient_label(row)} at {row.clinic.name}") for row in rows]


# --- reminders -------------------------------------------------------------------------------


def reminder_hours(clinic: Clinic) -> list[int]:
    """The clinic's lead times, largest first (kapclinic's defaults when never set)."""
    settings = SchedulingSettings.objects.filter(clinic=clinic).first()
    hours = settings.reminder_hours_before if settings else default_reminder_hours()
    return sorted({int(h) for h in hours}, reverse=True)


def due_reminders(
    clinic: Clinic, hours: list[int], *, channel: str, reachable: Q, now: datetime, limit: int
) -> list[int]:
    """Ids of the clinic's booked, future appointments with a reminder due and not yet sent
    through ``channel`` to a patient the channel can reach: one whose start is within one of
    ``hours`` of ``now``, without a delivery at that lead time. Bounded: at most ``limit``,
    soonest first, from an indexed window (clinic, starts_at) no longer than the largest lead
    time."""
    if not hours:
        return []
    due = [
        Q(starts_at__lte=now + timedelta(hours=h))
        & ~Exists(
            ReminderDelivery.objects.filter(
                appointment=OuterRef("pk"), hours_before=h, channel=channel
            )
        )
        for h in hours
    ]
    rows = (
        Appointment.objects.filter(
            clinic=clinic,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=max(hours)),
            patient__merged_into__isnull=True,
        )
        .filter(reachable)
        .filter(reduce(or_, due))
        .order_by("starts_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return list(rows)


@dataclass(frozen=True)
class ReminderReach:
    """The clinic's booked appointments of the coming days, by whether their patient gets an
    e-mail reminder, and if not, why."""

    days: int
    sent_to: int  # agreed, with an address
    not_recorded: int  # no consent recorded yet: no reminder
    declined: int  # the patient said no
    no_address: int  # agreed, but no e-mail address on file

    @property
    def total(self) -> int:
        return self.sent_to + self.not_recorded + self.declined + self.no_address


def reminder_reach(clinic: Clinic, *, now: datetime, days: int = 14) -> ReminderReach:
    """Why the booked appointments of ``clinic`` in the next ``days`` days get an e-mail
    reminder or not (counts, no names). One query."""
    yes = Q(patient__email_reminders=ReminderConsent.YES)
    has_address = Q(patient__email__gt="")
    counts = Appointment.objects.filter(
        clinic=clinic,
        status=Appointment.Status.BOOKED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=days),
        patient__merged_into__isnull=True,
    ).aggregate(
        sent_to=Count("pk", filter=yes & has_address),
        not_recorded=Count("pk", filter=Q(patient__email_reminders=ReminderConsent.NOT_RECORDED)),
        declined=Count("pk", filter=Q(patient__email_reminders=ReminderConsent.NO)),
        no_address=Count("pk", filter=yes & ~has_address),
    )
    return ReminderReach(days=days, **counts)


def clinics_with_reminders() -> list[Clinic]:
    return list(Clinic.objects.filter(is_active=True).order_by("id"))


def when_in_words(appointment: Appointment) -> str:
    """ "Monday 1 March 2027 at 09:00", in the clinic's time zone."""
    local = appointment.starts_at.astimezone(appointment.clinic.tzinfo)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def reminder_message(appointment: Appointment) -> ReminderMessage:
    """The reminder of one appointment: when and where, and the preparation instructions of
    its session type (the protocol's words: fasting, a driver home, no driving until the next
    day after a restful sleep). No name, session-type name, drug, dose or diagnosis: an e-mail
    may be read by others and is kept by mail providers."""
    clinic = appointment.clinic
    instructions = preparation(_Protocols().session_type(appointment))
    lines = [
        f"This is a reminder of your {patient_label(appointment).lower()} at {clinic.name}:",
        "",
        when_in_words(appointment),
        clinic_address(clinic),
        "",
    ]
    if instructions:
        lines += ["Before this visit:", *(f"- {text}" for text in instructions), ""]
    if clinic.phone:
        lines.append(f"To change or cancel it, call {clinic.name} on {clinic.phone}.")
    lines.append("(This e-mail was sent automatically by kapclinic; please do not reply.)")
    return ReminderMessage(
        subject=f"Reminder: your appointment at {clinic.name}", body="\n".join(lines) + "\n"
    )
