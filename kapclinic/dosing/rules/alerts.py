"""Intra-session alerts (R-ALR-1..6): what the readings so far raise, as pure functions.

The thresholds are data (``AlertThresholds``) with the reference's defaults, which come from one
academic clinic's protocol and general medicine: there is no regulatory number (reference §3.2),
so a protocol version may set its own. The session's monitoring console shows every alert until
a nurse or prescriber acknowledges it; the workflow decides what an alert holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from kapclinic.dosing.rules.vitals import VitalKind


class SessionAlertSeverity(StrEnum):
    """How soon a session alert needs someone (words of their own: a questionnaire's "urgent"
    alert, measurement's AlertSeverity, means a safety task, which this is not)."""

    ACT_NOW = "act_now"  # stop or hold dosing, follow the clinic's pathway
    LOOK_NOW = "look_now"  # treat per protocol
    FOR_THE_RECORD = "for_the_record"  # a flag for the record (e.g. the REMS form)


class Symptom(StrEnum):
    """R-ALR-3: symptoms of a hypertensive emergency."""

    CHEST_PAIN = "chest_pain"
    DYSPNOEA = "dyspnoea"
    SEVERE_HEADACHE = "severe_headache"
    VISUAL_CHANGE = "visual_change"
    NEURO_DEFICIT = "neuro_deficit"


@dataclass(frozen=True)
class AlertThresholds:
    # R-ALR-1: > 180/110 on two readings >= 5 minutes apart, or > 200/120 once.
    bp_sustained: tuple[int, int] = (180, 110)
    bp_sustained_minutes: int = 5
    bp_once: tuple[int, int] = (200, 120)
    # R-ALR-2: heart rate > 120 sustained for >= 5 minutes.
    heart_rate: int = 120
    heart_rate_minutes: int = 5
    # R-ALR-4: SpO2 below 92% (the modified Aldrete boundary; no ketamine-specific number).
    spo2_below: int = 92
    # R-ALR-6: CADSS total > 4 = dissociation present (the Spravato trials' convention).
    cadss_above: int = 4


DEFAULT_THRESHOLDS = AlertThresholds()


@dataclass(frozen=True)
class Reading:
    taken_at: datetime
    values: dict[VitalKind, Decimal]


@dataclass(frozen=True)
class Alert:
    rule_id: str
    severity: SessionAlertSeverity
    text: str
    at: datetime  # the reading or rating that raised it


def _bp_above(reading: Reading, limit: tuple[int, int]) -> bool:
    systolic = reading.values.get(VitalKind.SYSTOLIC)
    diastolic = reading.values.get(VitalKind.DIASTOLIC)
    if systolic is None or diastolic is None:
        return False
    return systolic > limit[0] or diastolic > limit[1]


def _sustained(readings: Sequence[Reading], above: object, minutes: int) -> Reading | None:
    """The newest reading that closes a run of readings all ``above`` spanning >= ``minutes``
    (readings without the value neither break nor extend the run)."""
    run_start: Reading | None = None
    found: Reading | None = None
    for reading in sorted(readings, key=lambda r: r.taken_at):
        verdict = above(reading)  # type: ignore[operator]
        if verdict is None:
            continue
        if not verdict:
            run_start = None
            continue
        run_start = run_start or reading
        if reading.taken_at - run_start.taken_at >= timedelta(minutes=minutes):
            found = reading
    return found


def vital_alerts(
    readings: Sequence[Reading], thresholds: AlertThresholds = DEFAULT_THRESHOLDS
) -> list[Alert]:
    """R-ALR-1, R-ALR-2, R-ALR-4 over a session's readings so far."""
    alerts: list[Alert] = []
    t = thresholds
    for reading in readings:
        if _bp_above(reading, t.bp_once):
            alerts.append(
                Alert(
                    "R-ALR-1",
                    SessionAlertSeverity.ACT_NOW,
                    f"Blood pressure above {t.bp_once[0]}/{t.bp_once[1]}: hypertension protocol.",
                    reading.taken_at,
                )
            )
        spo2 = reading.values.get(VitalKind.SPO2)
        if spo2 is not None and spo2 < t.spo2_below:
            alerts.append(
                Alert(
                    "R-ALR-4",
                    SessionAlertSeverity.ACT_NOW,
                    f"SpO2 {spo2}% is below {t.spo2_below}%.",
                    reading.taken_at,
                )
            )

    def bp(reading: Reading) -> bool | None:
        if VitalKind.SYSTOLIC not in reading.values:
            return None
        return _bp_above(reading, t.bp_sustained)

    def hr(reading: Reading) -> bool | None:
        value = reading.values.get(VitalKind.HEART_RATE)
        return None if value is None else value > t.heart_rate

    if (closing := _sustained(readings, bp, t.bp_sustained_minutes)) is not None:
        alerts.append(
            Alert(
                "R-ALR-1",
                SessionAlertSeverity.ACT_NOW,
                f"Blood pressure above {t.bp_sustained[0]}/{t.bp_sustained[1]} on readings "
                f"{t.bp_sustained_minutes} or more minutes apart: hypertension protocol.",
                closing.taken_at,
            )
        )
    if (closing := _sustained(readings, hr, t.heart_rate_minutes)) is not None:
        alerts.append(
            Alert(
                "R-ALR-2",
                SessionAlertSeverity.LOOK_NOW,
                f"Heart rate above {t.heart_rate} for {t.heart_rate_minutes} minutes or more.",
                closing.taken_at,
            )
        )
    return alerts


def symptom_alert(symptoms: frozenset[Symptom], at: datetime) -> Alert | None:
    """R-ALR-3: any symptom of a hypertensive emergency stops dosing, whatever the numbers."""
    if not symptoms:
        return None
    names = ", ".join(sorted(s.value.replace("_", " ") for s in symptoms))
    return Alert(
        "R-ALR-3",
        SessionAlertSeverity.ACT_NOW,
        f"Symptoms of a hypertensive emergency ({names}): stop dosing, emergency pathway.",
        at,
    )


def sedation_alert(moaas: int, at: datetime) -> Alert | None:
    """R-ALR-5: MOAA/S 0 is loss of consciousness, an adverse event (and a REMS form flag)."""
    if not 0 <= moaas <= 5:
        msg = f"MOAA/S is scored 0 to 5, not {moaas}."
        raise ValueError(msg)
    if moaas == 0:
        return Alert(
            "R-ALR-5",
            SessionAlertSeverity.ACT_NOW,
            "MOAA/S 0: loss of consciousness. Record it as an adverse event.",
            at,
        )
    return None


def dissociation_alert(
    cadss_total: int, at: datetime, thresholds: AlertThresholds = DEFAULT_THRESHOLDS
) -> Alert | None:
    """R-ALR-6: a CADSS total above 4 flags dissociation as present."""
    if cadss_total > thresholds.cadss_above:
        return Alert(
            "R-ALR-6",
            SessionAlertSeverity.FOR_THE_RECORD,
            f"CADSS {cadss_total}: dissociation present (total above {thresholds.cadss_above}).",
            at,
        )
    return None
