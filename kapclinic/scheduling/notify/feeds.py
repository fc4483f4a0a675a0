"""An iCalendar document (RFC 5545) built from plain values, with the ``icalendar`` library.

Pure: the selectors decide what each event says (docs/scheduling.md explains why a staff or
room feed names no patient and a patient's feed holds nothing clinical); this module only
writes it. Times are in UTC ("Z"), which every client reads without a VTIMEZONE; the UID is the
appointment's public id, so a client updates an event in place, and SEQUENCE grows with each
change to the appointment (RFC 5545 §3.8.7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//kapclinic//calendar feed//EN"
UID_DOMAIN = "kapclinic"
# How often a client should fetch the feed again (RFC 7986 REFRESH-INTERVAL; Outlook and
# Google read X-PUBLISHED-TTL).
REFRESH_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEvent:
    public_id: str  # the appointment's public id
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    cancelled: bool
    sequence: int
    changed_at: datetime  # DTSTAMP and LAST-MODIFIED: when the appointment last changed


def event_uid(public_id: str) -> str:
    return f"{public_id}@{UID_DOMAIN}"


def sequence_of(created_at: datetime, updated_at: datetime) -> int:
    """A SEQUENCE that grows with every change: the whole seconds between the appointment's
    creation and its last change (0 for one never changed). Two changes within one second share
    a number; DTSTAMP and LAST-MODIFIED still tell them apart."""
    return max(0, int((updated_at - created_at).total_seconds()))


def build_calendar(name: str, events: list[FeedEvent]) -> bytes:
    """The feed ``name`` holding ``events``, as iCalendar bytes (CRLF lines, folded)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what Apple, Google and Outlook show
    calendar.add("refresh-interval", REFRESH_EVERY, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for item in events:
        event = Event()
        event.add("uid", event_uid(item.public_id))
        event.add("dtstamp", item.changed_at)
        event.add("last-modified", item.changed_at)
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
