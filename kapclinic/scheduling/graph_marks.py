"""The sessions a patient had, as marks on their outcome graph (measurement's session source).

The outcome graph lives in measurement, below scheduling in the app layers, so it cannot read
appointments itself: scheduling registers ``attended_sessions`` with
``kapclinic.measurement.outcomes.sessions`` in ``SchedulingConfig.ready()``. A mark is an
attended dosing or therapy appointment of any of the patient's courses, at its start, with the
appointment's public id as its ref (the ``session_ref`` of the questionnaires before and after
it, and of the measurement plan's assignments). One query.
"""

from __future__ import annotations

from typing import Final

from kapclinic.measurement.outcomes.sessions import SessionMark
from kapclinic.patients.models import Patient
from kapclinic.scheduling.models import Appointment
from kapclinic.scheduling.protocols.definition import SessionKind

MARKED: Final = (SessionKind.DOSING, SessionKind.THERAPY)
LETTER: Final = {SessionKind.DOSING: "D", SessionKind.THERAPY: "T"}


def attended_sessions(patient: Patient) -> list[SessionMark]:
    """The patient's attended dosing and therapy sessions, oldest first: D1, D2... for doses,
    T1, T2... for therapy sessions."""
    marks = []
    numbers = dict.fromkeys(MARKED, 0)
    for public_id, starts_at, kind in (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.ATTENDED, kind__in=MARKED
        )
        .order_by("starts_at", "id")
        .values_list("public_id", "starts_at", "kind")
    ):
        session_kind = SessionKind(kind)
        numbers[session_kind] += 1
        marks.append(
            SessionMark(
                at=starts_at,
                ref=public_id,
                kind=session_kind.value,
                label=f"{LETTER[session_kind]}{numbers[session_kind]}",
                source="scheduling",
            )
        )
    return marks
