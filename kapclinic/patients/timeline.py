"""The patient's chart timeline: one chronological list that every app adds to.

Apps below the patient record (patients itself) and above it (referrals, screening, consent, and
later measurement, dosing, integration) each register one *source*: a function that returns the
patient's newest entries of its kind, newest first, in one query. The chart merges them.

Registration happens in each app's ``AppConfig.ready()``, so this module never imports the apps
above it (the layer contract in pyproject.toml forbids it) and a new app joins the timeline
without touching the chart.

A source must:
- run a constant number of queries whatever the patient's history (one, usually), because the
  chart's query count must not grow with the data;
- honour ``limit`` (return at most that many entries, the newest);
- never fail silently on unexpected data: a source that raises makes the chart fail loudly in tests.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Final

from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability, allows

if TYPE_CHECKING:
    from kapclinic.patients.models import Patient

CHART_LIMIT: Final = 30
FULL_LIMIT: Final = 2000


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to or for the patient.

    ``struck`` marks an entry that is kept for the record but no longer counts (entered in error,
    withdrawn, stopped): the chart shows it struck through with ``detail`` saying why."""

    at: datetime
    kind: str  # a short category shown as a label, e.g. "Screening", "Consent", "Weight"
    title: str
    detail: str = ""
    url: str = ""
    # The capability the linked page requires: the chart drops the link for a reader without it
    # (a front-desk user sees that a screening happened but not a link to its clinical detail).
    link_capability: Capability | None = None
    struck: bool = False


TimelineSource = Callable[["Patient", int], Iterable[TimelineEntry]]

_sources: dict[str, TimelineSource] = {}


def register_source(name: str, source: TimelineSource) -> None:
    """Add a source (called from an AppConfig.ready()); registering a name twice is a bug."""
    if name in _sources and _sources[name] is not source:
        msg = f"timeline source {name!r} is already registered"
        raise ValueError(msg)
    _sources[name] = source


def registered_sources() -> tuple[str, ...]:
    return tuple(sorted(_sources))


@dataclass(frozen=True, slots=True)
class Timeline:
    entries: list[TimelineEntry]
    truncated: bool  # True when older entries exist beyond the limit (the page says so)


def build_timeline(patient: Patient, *, limit: int = CHART_LIMIT) -> Timeline:
    """The patient's newest ``limit`` entries from every source, newest first.

    Each source is asked for ``limit + 1`` entries so the chart can tell "there is more" without
    counting; ties on the timestamp keep a stable order (source name, then the source's order)."""
    streams = []
    for name in sorted(_sources):
        entries = list(_sources[name](patient, limit + 1))
        streams.append([(-e.at.timestamp(), name, i, e) for i, e in enumerate(entries)])
    merged = [item[3] for item in heapq.merge(*(sorted(s) for s in streams))]
    return Timeline(entries=merged[:limit], truncated=len(merged) > limit)


def without_forbidden_links(
    entries: Iterable[TimelineEntry], *, actor: Actor, read_only: bool
) -> list[TimelineEntry]:
    """Entries as this reader may follow them: links to pages their roles do not open are
    removed, and under break-glass (read-only) every link to another page is removed."""
    return [
        e
        if e.url
        and not read_only
        and (e.link_capability is None or allows(actor.roles, e.link_capability))
        else replace(e, url="")
        for e in entries
    ]


def start_of_day(day: date) -> datetime:
    """A date-only event (a weight measured on a day) placed at the start of that day in the
    current time zone, so it sorts before anything timed on the same day."""
    return timezone.make_aware(datetime.combine(day, time.min))
