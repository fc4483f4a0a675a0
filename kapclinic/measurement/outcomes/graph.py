"""The patient's outcome graph: every instrument's scores over time, read in one query.

``build_outcome_graph(patient)`` returns one ``Series`` per scored instrument (severity bands from
the instrument definition, the response and remission thresholds of ``outcomes`` drawn from the
course baseline, and the course findings of ``evaluate_course``), the momentary mood ratings with
their before/after-session pairs, and the sessions marked on the time axis. The page's script
reads it as JSON (``graph_as_json.graph_as_json``; docs/measurement.md, "Outcome graph").

Sessions: the ones the patient had, as the app that books them records them (``sessions``: the
attended dosing and therapy appointments of scheduling, registered there, since measurement may
not import scheduling). For a patient with none recorded, a session is inferred from the
responses taken before and after it (occasion ``pre_session``/``post_session``), grouped by
their ``session_ref``, or, without one, by the clinic's calendar day. ``SessionMark.source``
says where a mark came from; a caller may pass marks of its own
(``build_outcome_graph(..., sessions=...)``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Final, NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

from kapclinic.measurement.instruments import Instrument, get_instrument
from kapclinic.measurement.instruments.definition import Op, RuleRef
from kapclinic.measurement.models import Assessment, Occasion
from kapclinic.measurement.outcomes.rules import (
    CourseOutcome,
    NoOutcomeRulesError,
    ScorePoint,
    default_outcome_rules,
    evaluate_course,
)
from kapclinic.measurement.outcomes.sessions import SessionMark, recorded_sessions
from kapclinic.patients.models import Patient

MOOD: Final = "mood_0_10"
# Course outcome measures first, in the order clinicians read them; anything else scored after.
SERIES_ORDER: Final = ("phq9", "gad7", "qids_sr16", "madrs", "pcl5", "who5", "cadss")
SESSION_OCCASIONS: Final = frozenset({Occasion.PRE_SESSION, Occasion.POST_SESSION})
RESPONSE_LINE_RULE: Final = RuleRef(
    id="R-OUT-8",
    text="Response = >= 50% reduction from course baseline total (§4.10): the line is drawn at "
    "50% of the baseline; a score on or below it is a response",
)


@dataclass(frozen=True)
class GraphPoint:
    at: datetime
    score: int
    band: str  # the band's label ("" where the instrument has no bands)
    occasion: Occasion
    session_ref: UUID | None

    @property
    def occasion_label(self) -> str:
        return self.occasion.label


@dataclass(frozen=True)
class Shade:
    """A severity band shaded across the chart, from ``low`` to ``high`` on the y axis."""

    label: str
    low: float
    high: float


@dataclass(frozen=True)
class Threshold:
    kind: str  # "response", "remission" or "flag"
    value: float
    label: str
    rule: RuleRef


@dataclass(frozen=True)
class Series:
    code: str
    title: str
    score_name: str  # "total", or WHO-5 "percentage"
    y_min: int
    y_max: int
    lower_is_better: bool
    points: list[GraphPoint]
    bands: list[Shade]
    thresholds: list[Threshold]
    outcome: CourseOutcome | None
    outcome_note: str = ""  # why there is no course outcome (screens, momentary ratings)

    @property
    def canvas_id(self) -> str:
        return f"outcome-graph-{self.code}"

    @property
    def description(self) -> str:
        """The chart's text alternative: the trend in one sentence."""
        first, last = self.points[0], self.points[-1]
        name = self.title if self.score_name == "total" else f"{self.title} {self.score_name}"
        if len(self.points) == 1:
            return f"{name}: one score, {_point_text(first)}. Every score is in the table below."
        better = (last.score < first.score) == self.lower_is_better
        direction = "no change" if last.score == first.score else "better" if better else "worse"
        return (
            f"{name}: {len(self.points)} scores, from {_point_text(first)} to "
            f"{_point_text(last)} ({direction}). Every score is in the table below."
        )


@dataclass(frozen=True)
class MoodPair:
    before: GraphPoint
    after: GraphPoint

    @property
    def change(self) -> int:
        return self.after.score - self.before.score


@dataclass(frozen=True)
class MoodSeries:
    points: list[GraphPoint]
    pairs: list[MoodPair]
    canvas_id: str = "outcome-graph-mood"

    @property
    def description(self) -> str:
        if not self.pairs:
            return (
                f"Mood 0-10: {len(self.points)} ratings, none paired before and after a session. "
                "Every rating is in the table below."
            )
        changes = ", ".join(f"{p.before.score} to {p.after.score}" for p in self.pairs[-3:])
        return (
            f"Mood 0-10 before and after {len(self.pairs)} sessions; the latest pairs: {changes}. "
            "Every rating is in the table below."
        )


@dataclass(frozen=True)
class OutcomeGraph:
    time_zone: str
    series: list[Series]
    mood: MoodSeries | None
    sessions: list[SessionMark] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.series and self.mood is None

    @property
    def sessions_inferred(self) -> bool:
        """Whether the session marks were inferred from responses (no session records yet)."""
        return bool(self.sessions) and all(s.source == "assessments" for s in self.sessions)


def _point_text(point: GraphPoint) -> str:
    band = f" ({point.band.lower()})" if point.band else ""
    return f"{point.score}{band} on {point.at.date().isoformat()}"


# --- the query -------------------------------------------------------------------------------


class ScoredRow(NamedTuple):
    instrument_code: str
    instrument_version: str
    completed_at: datetime
    total: int
    band: str
    occasion: str
    session_ref: UUID | None


def list_scored_assessments(patient: Patient) -> list[ScoredRow]:
    """The patient's completed, scored responses of their care, oldest first, in one query.

    Answers given at eligibility screening are left out: they come before any course (its
    baseline is taken at enrolment, MEAS-BASELINE) and are shown on the screening itself."""
    rows = (
        Assessment.objects.filter(
            patient=patient, status=Assessment.Status.COMPLETED, total__isnull=False
        )
        .exclude(occasion=Occasion.SCREENING)
        .order_by("completed_at", "id")
        .values_list(*ScoredRow._fields)
    )
    return [ScoredRow(*row) for row in rows]


@dataclass(frozen=True)
class _Reading:
    """How one instrument version's rows become chart points."""

    multiplier: int  # the charted score = total x this (WHO-5 percentage: 4)
    band_labels: dict[str, str]


def _reading(code: str, version: str) -> _Reading:
    instrument = get_instrument(code, version)
    try:
        score_name = default_outcome_rules(code).score_name
    except NoOutcomeRulesError:
        score_name = "total"
    return _Reading(
        multiplier=_multiplier(instrument, score_name),
        band_labels={band.code: band.label for band in instrument.scoring.bands},
    )


def build_outcome_graph(
    patient: Patient, *, sessions: Sequence[SessionMark] | None = None
) -> OutcomeGraph:
    """The patient's outcome graph. Its session marks: ``sessions`` when given, else the
    sessions recorded for the patient (``outcomes.sessions``), else those inferred from the
    responses."""
    zone = patient.clinic.tzinfo
    grouped: dict[str, list[GraphPoint]] = defaultdict(list)
    versions: dict[str, str] = {}
    readings: dict[tuple[str, str], _Reading] = {}
    occasions = {occasion.value: occasion for occasion in Occasion}
    for code, version, at, total, band, occasion, ref in list_scored_assessments(patient):
        reading = readings.get((code, version))
        if reading is None:
            reading = readings[code, version] = _reading(code, version)
        grouped[code].append(
            GraphPoint(
                at=at.astimezone(zone),
                # A derived score (WHO-5 percentage = raw x 4, R-OUT-7) is the total times the
                # definition's multiplier, exactly as scoring stored it.
                score=total * reading.multiplier,
                band=reading.band_labels.get(band, band),
                occasion=occasions[occasion],
                session_ref=ref,
            )
        )
        versions[code] = version  # the latest version read decides bands and range
    order = {code: index for index, code in enumerate(SERIES_ORDER)}
    series = [
        _series(get_instrument(code, versions[code]), points)
        for code, points in sorted(
            grouped.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
        )
        if code != MOOD
    ]
    mood_points = grouped.get(MOOD, [])
    mood = MoodSeries(mood_points, pair_moods(mood_points, zone)) if mood_points else None
    all_points = [p for points in grouped.values() for p in points]
    if sessions is None:
        sessions = recorded_sessions(patient) or infer_sessions(all_points, zone)
    marks = [replace(mark, at=mark.at.astimezone(zone)) for mark in sessions]
    return OutcomeGraph(time_zone=str(zone), series=series, mood=mood, sessions=marks)


def _y_range(instrument: Instrument, score_name: str) -> tuple[int, int]:
    low, high = instrument.scoring.range or (0, 0)
    for derived in instrument.scoring.derived:
        if derived.name == score_name:
            return low * derived.multiplier, high * derived.multiplier
    return low, high


def _multiplier(instrument: Instrument, score_name: str) -> int:
    return next((d.multiplier for d in instrument.scoring.derived if d.name == score_name), 1)


def _shades(instrument: Instrument) -> list[Shade]:
    """Each band from its lowest score to the next band's lowest (integer scores, so the last
    band ends at the top of the range)."""
    bands = instrument.scoring.bands
    return [
        Shade(band.label, band.min, bands[i + 1].min if i + 1 < len(bands) else band.max)
        for i, band in enumerate(bands)
    ]


def _series(instrument: Instrument, points: list[GraphPoint]) -> Series:
    title = short_title(instrument)
    try:
        rules = default_outcome_rules(instrument.code)
    except NoOutcomeRulesError as error:
        score_name, outcome, note = "total", None, str(error)
    else:
        score_name, note = rules.score_name, ""
        outcome = evaluate_course([ScorePoint(p.at, p.score) for p in points], rules)
    low, high = _y_range(instrument, score_name)
    return Series(
        code=instrument.code,
        title=title,
        score_name=score_name,
        y_min=low,
        y_max=high,
        lower_is_better=instrument.lower_is_better,
        points=points,
        bands=_shades(instrument),
        thresholds=_thresholds(instrument, score_name, outcome),
        outcome=outcome,
        outcome_note=note,
    )


def short_title(instrument: Instrument) -> str:
    """ "PHQ-9 (Patient Health Questionnaire-9)" -> "PHQ-9"."""
    return instrument.title.partition(" (")[0]


_OP_TEXT: Final = {Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">=", Op.EQ: "=", Op.NE: "!="}


def _thresholds(
    instrument: Instrument, score_name: str, outcome: CourseOutcome | None
) -> list[Threshold]:
    lines: list[Threshold] = []
    if outcome is not None and outcome.baseline.value is not None:
        rules = outcome.rules
        base = outcome.baseline.value.score
        if rules.response_reduction_percent is not None and rules.lower_is_better and base > 0:
            line = Decimal(base * (100 - rules.response_reduction_percent)) / 100
            lines.append(
                Threshold(
                    "response",
                    float(line),
                    f"Response: {line.normalize():f} or less (50% of baseline {base})",
                    RESPONSE_LINE_RULE,
                )
            )
    remission = outcome.rules.remission_max if outcome is not None else None
    if outcome is not None and remission is not None:
        lines.append(
            Threshold(
                "remission",
                remission,
                f"Remission: {remission} or less",
                outcome.rules.remission_rule,
            )
        )
    # Flags on the total (PCL-5 >= 33, WHO-5 raw < 13, CADSS > 4), scaled to the charted score.
    multiplier = _multiplier(instrument, score_name)
    for flag in instrument.scoring.flags:
        if flag.score != "total":
            continue
        scaled = flag.value * multiplier
        unit = f" (raw {_OP_TEXT[flag.op]} {flag.value})" if multiplier != 1 else ""
        lines.append(
            Threshold(
                "flag",
                scaled,
                f"{flag.name.replace('_', ' ').capitalize()}: {_OP_TEXT[flag.op]} {scaled}{unit}",
                RuleRef(instrument.scoring.rule_id, flag.source),
            )
        )
    return lines


# --- sessions and mood pairs -----------------------------------------------------------------


def infer_sessions(points: Iterable[GraphPoint], zone: ZoneInfo) -> list[SessionMark]:
    """Sessions implied by responses taken before or after one: grouped by ``session_ref``, or
    without one by calendar day; each marked midway between its first and last response."""
    groups: dict[UUID | date, list[datetime]] = defaultdict(list)
    refs: dict[UUID | date, UUID | None] = {}
    for point in points:
        if point.occasion not in SESSION_OCCASIONS:
            continue
        key: UUID | date = point.session_ref or point.at.astimezone(zone).date()
        groups[key].append(point.at)
        refs[key] = point.session_ref
    middles = sorted(
        (min(times) + (max(times) - min(times)) / 2, refs[key]) for key, times in groups.items()
    )
    return [
        SessionMark(at=at, ref=ref, kind="session", label=f"S{n}", source="assessments")
        for n, (at, ref) in enumerate(middles, start=1)
    ]


def pair_moods(points: Sequence[GraphPoint], zone: ZoneInfo) -> list[MoodPair]:
    """Before/after-session mood pairs: the same ``session_ref``, or without one a rating before
    a session and the next rating after one on the same calendar day."""
    pairs: list[MoodPair] = []
    by_ref: dict[UUID, dict[Occasion, GraphPoint]] = defaultdict(dict)
    pending: GraphPoint | None = None
    for point in points:  # oldest first
        if point.occasion not in SESSION_OCCASIONS:
            continue
        if point.session_ref is not None:
            # The first rating of each kind for the session counts; a repeat is a plain point.
            by_ref[point.session_ref].setdefault(point.occasion, point)
            continue
        if point.occasion == Occasion.PRE_SESSION:
            pending = point
        elif pending is not None and (
            pending.at.astimezone(zone).date() == point.at.astimezone(zone).date()
        ):
            pairs.append(MoodPair(pending, point))
            pending = None
    for found in by_ref.values():
        before, after = found.get(Occasion.PRE_SESSION), found.get(Occasion.POST_SESSION)
        if before is not None and after is not None and before.at <= after.at:
            pairs.append(MoodPair(before, after))
    return sorted(pairs, key=lambda pair: pair.before.at)
