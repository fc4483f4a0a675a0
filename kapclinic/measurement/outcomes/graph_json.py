"""The outcome graph as the JSON that static/js/outcome-graph.js reads (``json_script``).

The shape is documented in docs/measurement.md ("Outcome graph"); ``sessions`` is the list the
dosing and therapy apps will fill once they record sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict

from kapclinic.measurement.models import Occasion
from kapclinic.measurement.outcomes.graph import GraphPoint, OutcomeGraph


class PointJson(TypedDict):
    t: int  # milliseconds since the epoch
    score: int
    band: str
    occasion: str  # the Occasion code ("pre_session", "post_session", ...): see GraphJson


class ShadeJson(TypedDict):
    label: str
    low: float
    high: float


class ThresholdJson(TypedDict):
    kind: str
    value: float
    label: str
    rule: str


class SessionJson(TypedDict):
    t: int
    at: str
    ref: str | None
    kind: str
    label: str
    source: str


class SeriesJson(TypedDict):
    canvas: str
    code: str
    title: str
    score_name: str
    y_min: int
    y_max: int
    lower_is_better: bool
    points: list[PointJson]
    bands: list[ShadeJson]
    thresholds: list[ThresholdJson]


class PairJson(TypedDict):
    before: PointJson
    after: PointJson
    session_ref: str | None


class MoodJson(TypedDict):
    canvas: str
    y_min: int
    y_max: int
    points: list[PointJson]
    pairs: list[PairJson]


class GraphJson(TypedDict):
    time_zone: str
    occasions: dict[str, str]  # Occasion code -> label
    sessions: list[SessionJson]
    series: list[SeriesJson]
    mood: MoodJson | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


def _point_json(point: GraphPoint) -> PointJson:
    return {
        "t": _ms(point.at),
        "score": point.score,
        "band": point.band,
        "occasion": point.occasion.value,
    }


def graph_as_json(graph: OutcomeGraph) -> GraphJson:
    """The graph as plain JSON for ``json_script`` (no HTML, no patient identifiers)."""
    mood = graph.mood
    return {
        "time_zone": graph.time_zone,
        "occasions": dict(Occasion.choices),
        "sessions": [
            {
                "t": _ms(s.at),
                "at": s.at.isoformat(),
                "ref": str(s.ref) if s.ref else None,
                "kind": s.kind,
                "label": s.label,
                "source": s.source,
            }
            for s in graph.sessions
        ],
        "series": [
            {
                "canvas": s.canvas_id,
                "code": s.code,
                "title": s.title,
                "score_name": s.score_name,
                "y_min": s.y_min,
                "y_max": s.y_max,
                "lower_is_better": s.lower_is_better,
                "points": [_point_json(p) for p in s.points],
                "bands": [{"label": b.label, "low": b.low, "high": b.high} for b in s.bands],
                "thresholds": [
                    {"kind": t.kind, "value": t.value, "label": t.label, "rule": t.rule.id}
                    for t in s.thresholds
                ],
            }
            for s in graph.series
        ],
        "mood": None
        if mood is None
        else {
            "canvas": mood.canvas_id,
            "y_min": 0,
            "y_max": 10,
            "points": [_point_json(p) for p in mood.points],
            "pairs": [
                {
                    "before": _point_json(p.before),
                    "after": _point_json(p.after),
                    "session_ref": str(p.before.session_ref) if p.before.session_ref else None,
                }
                for p in mood.pairs
            ],
        },
    }
