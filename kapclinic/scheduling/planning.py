"""The course planner against the database: reads a clinic's facts and existing holds
(``availability``) into the pure planner's values and answers with its proposal.

Reads only (no writes, no audit): booking a proposal is the booking service's
(``book_course_plan``), which checks every session again inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from kapclinic.accounts.models import Clinic, Room, StaffMembership
from kapclinic.scheduling.availability import clinic_facts, held
from kapclinic.scheduling.exceptions import ProtocolDefinitionError, SchedulingError
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.planner.batch import Waiting, plan_batch
from kapclinic.scheduling.planner.propose import propose
from kapclinic.scheduling.planner.values import (
    NoFit,
    PatientAvailability,
    PlannedSession,
    PlanRequest,
    Proposal,
)
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.resources import patient_key
from kapclinic.scheduling.services.checks import Proposal as BookingProposal
from kapclinic.scheduling.slots import ClinicFacts, Span

HORIZON_DAYS: Final = 90


@dataclass(frozen=True)
class PlannableProtocol:
    version: ProtocolVersion
    protocol: Protocol


def plannable_protocols(clinic: Clinic) -> list[PlannableProtocol]:
    """The clinic's current protocol versions (the latest of each code, unless retired) whose
    documents pass today's checks, by name. One query."""
    latest: dict[str, ProtocolVersion] = {}
    for row in ProtocolVersion.objects.filter(clinic=clinic).order_by("code", "-version"):
        latest.setdefault(row.code, row)
    found = []
    for version in latest.values():
        if version.status != ProtocolVersion.Status.PUBLISHED:
            continue
        try:
            found.append(PlannableProtocol(version, parse_protocol(version.document)))
        except ProtocolDefinitionError:
            continue
    return sorted(found, key=lambda item: item.version.name.casefold())


@dataclass(frozen=True)
class RoomChoice:
    id: int
    label: str


def room_choices(clinic: Clinic) -> list[RoomChoice]:
    """The clinic's rooms in use, by name, for 'only these rooms'. One query."""
    return [
        RoomChoice(room.pk, f"{room.name} ({room.get_kind_display()})")
        for room in Room.objects.filter(clinic=clinic, is_active=True).order_by("name")
    ]


def booking_proposals(clinic: Clinic, sessions: Sequence[PlannedSession]) -> list[BookingProposal]:
    """The planned sessions as the booking service's proposals (their rooms and staff read in
    two queries, the clinic's own only). SchedulingError when one is gone."""
    room_ids = {s.room_id for s in sessions}
    staff_ids = {i for s in sessions for i in (s.therapist_id, s.nurse_id) if i is not None}
    rooms = {room.pk: room for room in Room.objects.filter(clinic=clinic, pk__in=room_ids)}
    staff = {
        membership.user_id: membership.user
        for membership in StaffMembership.objects.filter(
            clinic=clinic, user_id__in=staff_ids, is_active=True
        ).select_related("user")
    }
    if set(rooms) != room_ids or set(staff) != staff_ids:
        msg = "The plan names a room or a staff member the clinic no longer has: plan again."
        raise SchedulingError(msg)
    return [
        BookingProposal(
            session_type=s.session_type,
            starts_at=s.starts_at,
            room=rooms[s.room_id],
            therapist=staff[s.therapist_id] if s.therapist_id is not None else None,
            nurse=staff[s.nurse_id] if s.nurse_id is not None else None,
        )
        for s in sessions
    ]


def _read(
    clinic: Clinic, first_day: date, horizon_days: int, patient_ids: Sequence[int]
) -> tuple[ClinicFacts, dict[str, tuple[Span, ...]]]:
    last_day = first_day + timedelta(days=horizon_days - 1)
    facts = clinic_facts(clinic, first_day, last_day)
    tz = facts.tz
    span = Span(
        datetime.combine(first_day, time(0), tzinfo=tz),
        datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz),
    )
    prefixes = [f"room:{room_id}:" for room_id in facts.rooms]
    prefixes += [f"staff:{staff_id}:" for staff_id in facts.staff]
    prefixes += [patient_key(patient_id) for patient_id in patient_ids]
    return facts, held(prefixes, span)


def propose_course(
    clinic: Clinic,
    protocol: Protocol,
    *,
    availability: PatientAvailability,
    earliest_start: date,
    patient_id: int | None = None,
    room_ids: frozenset[int] | None = None,
    horizon_days: int = HORIZON_DAYS,
) -> Proposal | NoFit:
    """The planner's answer for one patient, with alternatives when nothing fits. The facts
    are read for the horizon plus two weeks, so the 'start later' alternatives see them too."""
    facts, holds = _read(
        clinic, earliest_start, horizon_days + 14, [patient_id] if patient_id else []
    )
    request = PlanRequest(
        protocol=protocol,
        facts=facts,
        held=holds,
        availability=availability,
        earliest_start=earliest_start,
        horizon_days=horizon_days,
        patient_id=patient_id,
        room_ids=room_ids,
    )
    return propose(request)


def plan_waiting(
    clinic: Clinic, waiting: Sequence[Waiting], *, horizon_days: int = HORIZON_DAYS
) -> list[Proposal | NoFit]:
    """Many waiting patients planned in one batch (in the order given), each against the
    bookings and the plans before it."""
    if not waiting:
        return []
    first = min(patient.earliest_start for patient in waiting)
    last = max(patient.earliest_start for patient in waiting)
    span_days = (last - first).days + horizon_days
    facts, holds = _read(clinic, first, span_days, [patient.patient_id for patient in waiting])
    return plan_batch(facts, holds, waiting, horizon_days=horizon_days)
