"""What the pure rules need to know of a session, read from its record."""

from __future__ import annotations

from datetime import timedelta

from kapclinic.dosing.models import DosingSession, VitalsSet
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules.discharge import DischargeFacts


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def discharge_facts(session: DosingSession) -> DischargeFacts:
    vitals = list(session.vitals.order_by("taken_at", "id"))
    baseline: VitalsSet | None = next((v for v in reversed(vitals) if v.pre_dose), None)
    latest: VitalsSet | None = next((v for v in reversed(vitals) if not v.pre_dose), None)
    return DischargeFacts(
        esketamine=session.drug == Drug.ESKETAMINE,
        dosed_at=session.dosed_at,
        minimum_observation=timedelta(minutes=session.minimum_observation_minutes),
        baseline_systolic=_int(baseline.systolic) if baseline else None,
        latest_systolic=_int(latest.systolic) if latest else None,
        baseline_heart_rate=_int(baseline.heart_rate) if baseline else None,
        latest_heart_rate=_int(latest.heart_rate) if latest else None,
        latest_moaas=next((v.moaas for v in reversed(vitals) if v.moaas is not None), None),
        escort_recorded=bool(session.escort_name.strip()),
        no_driving_acknowledged=session.no_driving_acknowledged_at is not None,
        clinician_attested_stable=session.stable_attested_by_id is not None,
    )
