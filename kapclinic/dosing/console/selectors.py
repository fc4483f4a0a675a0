"""Dosing's reads: the live monitoring console (issue 15.6) and a session's readings.

The console reads every occupied chair of the clinic in a fixed number of queries whatever the
number of sessions (it refreshes every 5 seconds on every nurse's tablet): the sessions with
their patient, room, baseline and last blood-pressure time (one query), their last few vital
sets (one, by a window), their open alerts (one), and the protocol versions' cadences (cached
per version: a published version never changes; at most one query for the versions not seen).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final
from uuid import UUID

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from kapclinic.accounts.models import Clinic
from kapclinic.dosing.models import (
    AdverseEvent,
    DosingSession,
    SessionAlert,
    SessionMove,
    VitalsSet,
)
from kapclinic.dosing.rules.adverse import IMPLIED_BY_ALERT, KIND_LABELS, SUGGESTED_BY_ALERT
from kapclinic.dosing.rules.cadence import Cadence, NextCheck, Phase, next_check, phase_of
from kapclinic.dosing.rules.vitals import VITALS, VitalKind
from kapclinic.dosing.rules.workflow import State
from kapclinic.scheduling.models import ProtocolVersion
from kapclinic.scheduling.protocols.definition import DEFAULT_MONITORING, Modality, Monitoring
from kapclinic.scheduling.protocols.parser import parse_protocol

# The chairs the console shows: checked in through ready for discharge (and held or aborted,
# still in the chair and still watched).
ON_CONSOLE: Final = (
    State.CHECKED_IN,
    State.CHECKS_PASSED,
    State.DOSING,
    State.OBSERVATION,
    State.READY_FOR_DISCHARGE,
    State.HELD,
    State.ABORTED,
)
TREND_SETS: Final = 6  # the readings a card's trend shows
FALLBACK: Final = DEFAULT_MONITORING[Modality.KETAMINE_ASSISTED_PSYCHOTHERAPY]

_cadences: dict[int, Cadence] = {}


def as_cadence(monitoring: Monitoring) -> Cadence:
    return Cadence(
        during_dose=timedelta(minutes=monitoring.during_dose_minutes),
        after_dose=timedelta(minutes=monitoring.after_dose_minutes),
        bp_check_after_dose=None
        if monitoring.bp_check_after_dose_minutes is None
        else timedelta(minutes=monitoring.bp_check_after_dose_minutes),
        window=timedelta(minutes=monitoring.bp_check_window_minutes),
        overdue_after=timedelta(minutes=monitoring.overdue_after_minutes),
        rule_id=monitoring.rule_id,
    )


def cadences(version_ids: set[int]) -> dict[int, Cadence]:
    """The monitoring cadence of each protocol version (the document's section, else the
    modality's default; R-IV-4, R-REMS-3). Published versions never change: parsed once."""
    missing = version_ids - set(_cadences)
    if missing:
        for version in ProtocolVersion.objects.filter(pk__in=missing).only("document"):
            protocol = parse_protocol(version.document)
            _cadences[version.pk] = as_cadence(protocol.monitoring_cadence or FALLBACK)
    return {pk: _cadences[pk] for pk in version_ids}


@dataclass(frozen=True)
class Point:
    taken_at: datetime
    value: Decimal


@dataclass
class Trend:
    """One vital sign over the last sets: the latest value and its direction."""

    kind: VitalKind
    points: list[Point]

    @property
    def label(self) -> str:
        return VITALS[self.kind].label

    @property
    def unit(self) -> str:
        return UNIT_SHOWN[self.kind]

    @property
    def latest(self) -> Decimal:
        return self.points[-1].value

    @property
    def direction(self) -> str:
        """ "rising", "falling" or "steady" against the reading before (5% either way)."""
        if len(self.points) < 2:
            return "steady"
        before, now = self.points[-2].value, self.points[-1].value
        if before and abs(now - before) / before < Decimal("0.05"):
            return "steady"
        return "rising" if now > before else "falling"

    @property
    def arrow(self) -> str:
        return {"rising": "↑", "falling": "↓", "steady": "→"}[self.direction]

    def sparkline(self, width: int = 60, height: int = 16) -> str:
        """The points of an SVG polyline (inline; no script, no vendored chart)."""
        values = [p.value for p in self.points]
        low, high = min(values), max(values)
        span = (high - low) or Decimal(1)
        step = width / max(len(values) - 1, 1)
        return " ".join(
            f"{i * step:.1f},{height - float((v - low) / span) * height:.1f}"
            for i, v in enumerate(values)
        )


UNIT_SHOWN: Final[dict[VitalKind, str]] = {
    VitalKind.SYSTOLIC: "mmHg",
    VitalKind.DIASTOLIC: "mmHg",
    VitalKind.HEART_RATE: "beats/min",
    VitalKind.SPO2: "%",
    VitalKind.RESPIRATORY_RATE: "breaths/min",
    VitalKind.TEMPERATURE: "°C",
}
CARD_VITALS: Final = (
    VitalKind.SYSTOLIC,
    VitalKind.DIASTOLIC,
    VitalKind.HEART_RATE,
    VitalKind.SPO2,
    VitalKind.RESPIRATORY_RATE,
)


@dataclass
class OpenAlert:
    alert: SessionAlert
    implies: str  # the adverse event it implies and none is recorded yet ("" otherwise)
    suggests: str


@dataclass
class Card:
    session: DosingSession
    patient_name: str
    room: str
    phase: Phase
    minutes_since_dose: int | None
    check: NextCheck | None
    last_vitals_at: datetime | None
    moaas: int | None = None
    cadss: int | None = None
    trends: list[Trend] = field(default_factory=list)
    alerts: list[OpenAlert] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)  # the page's links (the view's)

    @property
    def state_label(self) -> str:
        return self.session.get_state_display()


def _sessions(clinic: Clinic) -> QuerySet[DosingSession]:
    vitals = VitalsSet.objects.filter(session=OuterRef("pk"))
    return (
        DosingSession.objects.filter(clinic=clinic, state__in=[s.value for s in ON_CONSOLE])
        .select_related("clinic", "patient", "appointment__room")
        .annotate(
            version_id=F("appointment__course__protocol_id"),
            baseline_taken=Exists(vitals.filter(pre_dose=True)),
            last_vitals_at=Subquery(vitals.order_by("-taken_at").values("taken_at")[:1]),
            last_bp_at=Subquery(
                vitals.filter(systolic__isnull=False).order_by("-taken_at").values("taken_at")[:1]
            ),
            dose_started_at=Subquery(
                SessionMove.objects.filter(session=OuterRef("pk"), to_state=State.DOSING.value)
                .order_by("-at")
                .values("at")[:1]
            ),
        )
        .order_by("appointment__room__name", "appointment__starts_at", "pk")
    )


def sessions_to_watch(clinic: Clinic) -> QuerySet[DosingSession]:
    """The occupied chairs with their open alerts counted, alerts first (Today's list)."""
    open_alerts = SessionAlert.objects.filter(session=OuterRef("pk"), acknowledged_at__isnull=True)
    return (
        _sessions(clinic)
        .annotate(
            open_alerts=Subquery(
                open_alerts.order_by().values("session").annotate(n=Count("pk")).values("n")[:1]
            )
        )
        .order_by(F("open_alerts").desc(nulls_last=True), "appointment__starts_at", "pk")
    )


def check_of(session: DosingSession, now: datetime) -> NextCheck | None:
    """The next check of a session read by ``_sessions`` (no query once the cadence is
    known)."""
    cadence = cadences({session.version_id})[session.version_id]  # type: ignore[attr-defined]
    return _card(session, cadence, [], [], now).check


def _recent_vitals(session_ids: list[int]) -> dict[int, list[VitalsSet]]:
    ranked = VitalsSet.objects.filter(session_id__in=session_ids).annotate(
        recent=Window(RowNumber(), partition_by=[F("session_id")], order_by=F("taken_at").desc())
    )
    found: dict[int, list[VitalsSet]] = defaultdict(list)
    for vitals_set in ranked.filter(recent__lte=TREND_SETS).order_by("session_id", "taken_at"):
        found[vitals_set.session_id].append(vitals_set)
    return found


def _open_alerts(session_ids: list[int]) -> dict[int, list[OpenAlert]]:
    alerts = (
        SessionAlert.objects.filter(session_id__in=session_ids, acknowledged_at__isnull=True)
        .annotate(has_event=Exists(AdverseEvent.objects.filter(alert=OuterRef("pk"))))
        .order_by("raised_at", "id")
    )
    found: dict[int, list[OpenAlert]] = defaultdict(list)
    for alert in alerts:
        implied = IMPLIED_BY_ALERT.get(alert.rule_id)
        suggested = SUGGESTED_BY_ALERT.get(alert.rule_id)
        recorded = alert.has_event
        found[alert.session_id].append(
            OpenAlert(
                alert,
                KIND_LABELS[implied] if implied and not recorded else "",
                KIND_LABELS[suggested] if suggested and not recorded else "",
            )
        )
    return found


def _trends(sets: list[VitalsSet]) -> list[Trend]:
    trends = []
    for kind in CARD_VITALS:
        points = [
            Point(s.taken_at, value) for s in sets if (value := getattr(s, kind.value)) is not None
        ]
        if points:
            trends.append(Trend(kind, points))
    return trends


def _card(
    session: DosingSession,
    cadence: Cadence,
    sets: list[VitalsSet],
    alerts: list[OpenAlert],
    now: datetime,
) -> Card:
    dosed = session.dosed_at is not None
    phase = phase_of(session.current, dosed=dosed)
    started: datetime | None = session.dose_started_at  # type: ignore[attr-defined]
    phase_started = session.state_changed_at
    if phase == Phase.DURING_DOSE and started is not None:
        phase_started = started
    dose_time = session.dosed_at or (started if phase != Phase.BEFORE_DOSE else None)
    check = next_check(
        cadence=cadence,
        phase=phase,
        now=now,
        phase_started_at=phase_started,
        dosed_at=session.dosed_at,
        last_vitals_at=session.last_vitals_at,  # type: ignore[attr-defined]
        last_bp_at=session.last_bp_at,  # type: ignore[attr-defined]
        baseline_taken=session.baseline_taken,  # type: ignore[attr-defined]
    )
    patient = session.patient
    return Card(
        session=session,
        patient_name=f"{patient.given_name} {patient.family_name}",
        room=session.appointment.room.name,
        phase=phase,
        minutes_since_dose=None
        if dose_time is None
        else int((now - dose_time).total_seconds() // 60),
        check=check,
        last_vitals_at=session.last_vitals_at,  # type: ignore[attr-defined]
        moaas=next((s.moaas for s in reversed(sets) if s.moaas is not None), None),
        cadss=next((s.cadss_total for s in reversed(sets) if s.cadss_total is not None), None),
        trends=_trends(sets),
        alerts=alerts,
    )


def console_cards(clinic: Clinic, now: datetime, only: DosingSession | None = None) -> list[Card]:
    """One card per occupied chair of the clinic (or of ``only``), in a fixed number of
    queries whatever the number of sessions."""
    query = _sessions(clinic)
    if only is not None:
        query = query.filter(pk=only.pk)
    sessions = list(query)
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    known = cadences({s.version_id for s in sessions})  # type: ignore[attr-defined]
    recent = _recent_vitals(ids)
    alerts = _open_alerts(ids)
    return [
        _card(s, known[s.version_id], recent[s.pk], alerts[s.pk], now)  # type: ignore[attr-defined]
        for s in sessions
    ]


def card_of(session: DosingSession, now: datetime) -> Card | None:
    """The console card of one session (None once it has left the console)."""
    found = console_cards(session.clinic, now, only=session)
    return found[0] if found else None


def session_of(clinic: Clinic, public_id: UUID) -> DosingSession:
    """A session of the clinic by its public id (404 for another clinic's: no existence leak)."""
    try:
        return DosingSession.objects.select_related("clinic", "patient", "appointment__room").get(
            clinic=clinic, public_id=public_id
        )
    except DosingSession.DoesNotExist as error:
        raise Http404 from error


def readings_of(session: DosingSession) -> list[VitalsSet]:
    return list(session.vitals.select_related("recorded_by").order_by("taken_at", "id"))


def alerts_of(session: DosingSession) -> list[SessionAlert]:
    return list(session.alerts.select_related("acknowledged_by").order_by("raised_at", "id"))


def adverse_events_of(session: DosingSession) -> list[AdverseEvent]:
    return list(session.adverse_events.select_related("recorded_by").order_by("onset_at", "id"))


def open_alert_of(session: DosingSession, alert_id: int) -> SessionAlert:
    try:
        return session.alerts.get(pk=alert_id)
    except SessionAlert.DoesNotExist as error:
        raise Http404 from error
