"""The course planner's inputs and answers, as plain immutable values (no database).

``PlanRequest`` is everything one plan needs: the protocol, the clinic's facts
(``slots.ClinicFacts``: opening hours, rooms, staff working and on-site hours), what is already
held (``resources`` keys to their spans, read by ``availability.held``), the patient's
availability and the first day the course may start. The planner answers a ``Proposal`` (every
session as a concrete booking, each with its reasons in words) or a ``NoFit`` (the constraint
that blocks, in words, and the nearest alternatives that do fit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.slots import ClinicFacts, Span

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class PatientAvailability:
    """When the patient can come: the weekdays (0 = Monday), the times of day (local, the
    whole session inside them) and the days they cannot (holidays, work trips)."""

    weekdays: frozenset[int] = frozenset(range(5))
    earliest_time: time = time(0, 0)
    latest_time: time = time(23, 59)
    blackout: frozenset[date] = frozenset()


@dataclass(frozen=True)
class PlanRequest:
    protocol: Protocol
    facts: ClinicFacts
    # Existing holds by resource key (``resources``: room chairs, staff units, patients).
    held: Mapping[str, tuple[Span, ...]]
    availability: PatientAvailability
    earliest_start: date
    horizon_days: int = 90  # the course ends within this many days of earliest_start
    patient_id: int | None = None  # its ``patient:<id>`` holds keep the patient in one place
    # None: the fewest sessions the outline allows; else sessions per outline step's type.
    counts: Mapping[str, int] | None = None
    # Only these rooms (None: any room of the right kind and equipment).
    room_ids: frozenset[int] | None = None
    # Minutes between candidate start times.
    grid_minutes: int = 15

    def but(self, **changes: object) -> PlanRequest:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PlannedSession:
    session_type: str
    name: str
    starts_at: datetime
    ends_at: datetime
    room_id: int
    room_name: str
    therapist_id: int | None
    therapist_name: str
    nurse_id: int | None
    nurse_name: str
    reasons: tuple[str, ...]

    @property
    def day(self) -> date:
        return self.starts_at.date()


@dataclass(frozen=True)
class Proposal:
    protocol_code: str
    sessions: tuple[PlannedSession, ...]
    first_day: date
    last_day: date
    trips: int  # days with a visit
    reasons: tuple[str, ...]  # about the course as a whole
    optimal: bool  # the solver proved nothing shorter fits

    @property
    def length_days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class Alternative:
    """A relaxed request that fits: what changes, and the proposal it gives."""

    label: str  # "Start a week later, from Mon 14 Dec 2026"
    change: Mapping[str, tuple[str, ...]]  # the form fields that change, and their values
    proposal: Proposal


@dataclass(frozen=True)
class NoFit:
    protocol_code: str
    blocking: str  # the constraint that blocks, in words
    details: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = field(default=())


Answer = Proposal | NoFit
