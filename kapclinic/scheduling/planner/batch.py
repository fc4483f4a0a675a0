"""Planning many waiting patients at once (pure): one after the other, in the order given
(the waiting list's), each against what the ones before it took.

Each proposal's sessions take their holds in the shared index as the booking would (a free
chair of the room, the therapist's whole time, the nurse's share of the ratio, the patient),
so the next patient's options already leave them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from kapclinic.scheduling.planner.candidates import DayFacts, HeldIndex
from kapclinic.scheduling.planner.propose import propose
from kapclinic.scheduling.planner.values import (
    NoFit,
    PatientAvailability,
    PlannedSession,
    PlanRequest,
    Proposal,
)
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.resources import (
    STAFF_UNITS,
    patient_key,
    room_chair,
    staff_unit,
    units_for,
)
from kapclinic.scheduling.slots import ClinicFacts, Span


@dataclass(frozen=True)
class Waiting:
    patient_id: int
    protocol: Protocol
    availability: PatientAvailability
    earliest_start: date


def take(
    index: HeldIndex,
    facts: ClinicFacts,
    protocol: Protocol,
    session: PlannedSession,
    patient_id: int | None,
) -> None:
    """Hold what ``session`` occupies, as ``holds.take_holds`` would."""
    span = Span(session.starts_at, session.ends_at)
    room = facts.rooms[session.room_id]
    chair = next(
        c for c in range(1, room.capacity + 1) if index.is_free(room_chair(room.id, c), span)
    )
    index.add(room_chair(room.id, chair), span)
    if patient_id is not None:
        index.add(patient_key(patient_id), span)
    session_type = protocol.session_type(session.session_type)
    ratio = session_type.resources.patients_per_nurse if session_type else None
    for staff_id, units in (
        (session.therapist_id, STAFF_UNITS),
        (session.nurse_id, units_for(ratio)),
    ):
        if staff_id is None:
            continue
        free = [
            u for u in range(1, STAFF_UNITS + 1) if index.is_free(staff_unit(staff_id, u), span)
        ]
        for unit in free[:units]:
            index.add(staff_unit(staff_id, unit), span)


def plan_batch(
    facts: ClinicFacts,
    held: Mapping[str, Iterable[Span]],
    waiting: Sequence[Waiting],
    *,
    horizon_days: int = 90,
) -> list[Proposal | NoFit]:
    """Each waiting patient's answer, in order; a NoFit carries no alternatives here (the page
    offers them when a patient is planned alone)."""
    index = HeldIndex(held, facts.tz)
    days = DayFacts(facts)
    answers: list[Proposal | NoFit] = []
    for patient in waiting:
        request = PlanRequest(
            protocol=patient.protocol,
            facts=facts,
            held={},
            availability=patient.availability,
            earliest_start=patient.earliest_start,
            horizon_days=horizon_days,
            patient_id=patient.patient_id,
        )
        answer = propose(request, alternatives=False, held=index, days=days)
        if isinstance(answer, Proposal):
            for session in answer.sessions:
                take(index, facts, patient.protocol, session, patient.patient_id)
        answers.append(answer)
    return answers
