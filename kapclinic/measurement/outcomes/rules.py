"""Course outcome logic over one instrument's scores within one course of treatment (pure).

Input: the course's scores as ``ScorePoint``s (aware datetime + score) and the instrument's
``OutcomeRules``. Output: a ``CourseOutcome`` whose every field is a ``Finding`` that names the
rule (id + text) that produced it, or says why it could not be decided. Nothing is guessed: an
undefined rule (NOT FOUND in the reference) gives ``value=None`` and a reason.

Sources: docs/clinical-reference.md §4.10 and §11.G R-OUT-6, R-OUT-7, R-OUT-8; per
instrument §4.1-4.7. Choices the reference leaves open (baseline choice, day counting,
durability) carry "MEAS-" rule ids and are listed in docs/measurement.md.

Clinic configuration: every threshold lives in ``OutcomeRules``; change one with
``dataclasses.replace(default_outcome_rules("madrs"), remission_max=12, remission_rule=...)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final, Generic, TypeVar

from kapclinic.measurement.exceptions import MeasurementError
from kapclinic.measurement.instruments.definition import RuleRef

T = TypeVar("T")

BASELINE_RULE: Final = RuleRef(
    id="MEAS-BASELINE",
    text=(
        "Course baseline = the latest score on or before the course start (first dose) when the "
        "start is known, else the course's earliest score (R-OUT-8 says 'from course baseline' "
        "without saying which score; kapclinic's choice)"
    ),
)
CHANGE_RULE: Final = RuleRef(
    id="MEAS-CHANGE",
    text="Change = latest score - baseline; % change = change / baseline x 100, to 0.1",
)
RESPONSE_RULE: Final = RuleRef(
    id="R-OUT-8", text="Response = >= 50% reduction from course baseline total (§4.10)"
)
TIME_TO_RESPONSE_RULE: Final = RuleRef(
    id="MEAS-TIME-TO-RESPONSE",
    text="Whole days from the baseline score to the first later score meeting response (R-OUT-8)",
)
DURABILITY_RULE: Final = RuleRef(
    id="MEAS-DURABILITY",
    text=(
        "Whole days from the first score of the current unbroken run of responses to the latest "
        "score; measured, not extrapolated to today"
    ),
)
NOT_DEFINED: Final = RuleRef(id="NOT-FOUND", text="No rule in the clinical reference")


class ReliableChange(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


class NoOutcomeRulesError(MeasurementError):
    """The instrument is a screen or a momentary rating, not a course outcome measure."""


@dataclass(frozen=True)
class ScorePoint:
    at: datetime  # timezone-aware
    score: int


@dataclass(frozen=True)
class Finding(Generic[T]):
    value: T | None
    rule: RuleRef
    reason: str = ""  # why ``value`` is None

    @property
    def decided(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class RelapseRule:
    """Relapse after response: ``consecutive`` scores >= ``min_score``, each pair of them
    between ``min_days_apart`` and ``max_days_apart`` days apart."""

    min_score: int
    consecutive: int
    min_days_apart: int
    max_days_apart: int
    rule: RuleRef


@dataclass(frozen=True)
class OutcomeRules:
    instrument: str
    score_name: str  # which score the series holds: "total", or WHO-5 "percentage"
    lower_is_better: bool
    response_reduction_percent: int | None  # None: response not defined for this instrument
    remission_max: int | None  # inclusive (PHQ-9 "< 5" is 4)
    remission_rule: RuleRef
    reliable_change_points: int | None
    reliable_change_rule: RuleRef
    relapse: RelapseRule | None = None
    meaningful_change_points: int | None = None  # PCL-5 R-OUT-6: >= 10 clinically meaningful


_DEFAULTS: Final[Mapping[str, OutcomeRules]] = {
    "phq9": OutcomeRules(
        instrument="phq9",
        score_name="total",
        lower_is_better=True,
        response_reduction_percent=50,
        remission_max=4,
        remission_rule=RuleRef("R-OUT-8", "PHQ-9 remission: total < 5 (HEDIS DRR-E, CMS159; §4.1)"),
        reliable_change_points=6,
        reliable_change_rule=RuleRef(
            "R-OUT-8", "PHQ-9 reliable change: >= 6 points (IAPT; §4.1, §4.10)"
        ),
    ),
    "gad7": OutcomeRules(
        instrument="gad7",
        score_name="total",
        lower_is_better=True,
        response_reduction_percent=50,
        remission_max=4,
        remission_rule=RuleRef(
            "R-OUT-8", "GAD-7 remission: total < 5 (minimal band; convention only, §4.10)"
        ),
        reliable_change_points=4,
        reliable_change_rule=RuleRef(
            "R-OUT-8", "GAD-7 reliable change: >= 4 points (IAPT; §4.2, §4.10)"
        ),
    ),
    "qids_sr16": OutcomeRules(
        instrument="qids_sr16",
        score_name="total",
        lower_is_better=True,
        response_reduction_percent=50,
        remission_max=5,
        remission_rule=RuleRef("R-OUT-8", "QIDS-SR16 remission: total <= 5 (Trivedi 2006; §4.3)"),
        reliable_change_points=None,
        reliable_change_rule=RuleRef("NOT-FOUND", "QIDS-SR16 reliable change: NOT FOUND"),
    ),
    "madrs": OutcomeRules(
        instrument="madrs",
        score_name="total",
        lower_is_better=True,
        response_reduction_percent=50,
        remission_max=10,
        remission_rule=RuleRef(
            "R-OUT-4",
            "MADRS remission: total <= 10 (default; esketamine programme uses <= 12; §4.4, §4.10)",
        ),
        reliable_change_points=None,
        reliable_change_rule=RuleRef("NOT-FOUND", "MADRS reliable change: NOT FOUND"),
        relapse=RelapseRule(
            min_score=22,
            consecutive=2,
            min_days_apart=5,
            max_days_apart=15,
            rule=RuleRef(
                "REF-4.10-SUSTAIN-1",
                "MADRS >= 22 on 2 consecutive visits 5-15 days apart (SUSTAIN-1; §4.10 "
                "[UNVERIFIED - recalled, not confirmed]; hospitalisation or suicide attempt "
                "also count but are events, not scores)",
            ),
        ),
    ),
    "pcl5": OutcomeRules(
        instrument="pcl5",
        score_name="total",
        lower_is_better=True,
        response_reduction_percent=50,
        remission_max=None,
        remission_rule=RuleRef("NOT-FOUND", "PCL-5 remission: NOT FOUND"),
        reliable_change_points=5,
        reliable_change_rule=RuleRef(
            "R-OUT-6", "PCL-5 reliable change: >= 5 points (5-10 range, NCPTSD; §4.6)"
        ),
        meaningful_change_points=10,
    ),
    "who5": OutcomeRules(
        instrument="who5",
        score_name="percentage",
        lower_is_better=False,
        response_reduction_percent=None,
        remission_max=None,
        remission_rule=RuleRef("NOT-FOUND", "WHO-5 remission: NOT FOUND"),
        reliable_change_points=10,
        reliable_change_rule=RuleRef(
            "R-OUT-7", "WHO-5: a change of >= 10 percentage points is significant (§4.7)"
        ),
    ),
}


def default_outcome_rules(instrument_code: str) -> OutcomeRules:
    """The reference's default outcome rules for a course outcome instrument."""
    try:
        return _DEFAULTS[instrument_code]
    except KeyError:
        msg = (
            f"'{instrument_code}' has no course outcome rules (screens and momentary ratings "
            f"are not course outcomes); instruments with rules: {', '.join(sorted(_DEFAULTS))}"
        )
        raise NoOutcomeRulesError(msg) from None


@dataclass(frozen=True)
class CourseOutcome:
    rules: OutcomeRules
    baseline: Finding[ScorePoint]
    latest: ScorePoint | None  # the latest score after baseline
    absolute_change: Finding[int]
    percent_change: Finding[Decimal]
    response: Finding[bool]  # at the latest score
    remission: Finding[bool]  # at the latest score
    reliable_change: Finding[ReliableChange]
    clinically_meaningful_change: Finding[bool]
    time_to_first_response_days: Finding[int]
    durability_days: Finding[int]
    relapse: Finding[bool]
    relapse_confirmed_at: datetime | None = None


def choose_baseline(
    points: Sequence[ScorePoint], *, course_start: datetime | None = None
) -> Finding[ScorePoint]:
    """The course baseline per MEAS-BASELINE."""
    ordered = _ordered(points)
    if course_start is None:
        if not ordered:
            return Finding(None, BASELINE_RULE, "no scores in this course")
        return Finding(ordered[0], BASELINE_RULE)
    before = [point for point in ordered if point.at <= course_start]
    if not before:
        return Finding(None, BASELINE_RULE, "no score on or before the course start")
    return Finding(before[-1], BASELINE_RULE)


def meets_response(baseline: int, score: int, rules: OutcomeRules) -> bool | None:
    """R-OUT-8 in exact integer arithmetic (no rounding at the 50% boundary); None when
    response is undefined (higher-is-better instrument, or a baseline of 0)."""
    if rules.response_reduction_percent is None or not rules.lower_is_better or baseline <= 0:
        return None
    return (baseline - score) * 100 >= rules.response_reduction_percent * baseline


def _ordered(points: Sequence[ScorePoint]) -> list[ScorePoint]:
    for point in points:
        if point.at.tzinfo is None:
            msg = "score times must be timezone-aware"
            raise ValueError(msg)
    return sorted(points, key=lambda point: point.at)


def evaluate_course(
    points: Sequence[ScorePoint],
    rules: OutcomeRules,
    *,
    course_start: datetime | None = None,
) -> CourseOutcome:
    """Every outcome of one instrument's scores within one course."""
    baseline = choose_baseline(points, course_start=course_start)
    later = (
        [point for point in _ordered(points) if point.at > baseline.value.at]
        if baseline.value is not None
        else []
    )
    if baseline.value is None or not later:
        return _undecided(rules, baseline)
    latest = later[-1]
    base = baseline.value.score
    change = latest.score - base
    percent: Finding[Decimal] = (
        Finding(
            (Decimal(change * 100) / Decimal(base)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            CHANGE_RULE,
        )
        if base
        else Finding(None, CHANGE_RULE, "baseline is 0: percentage change is undefined")
    )
    flags = [meets_response(base, point.score, rules) for point in later]
    relapse, relapse_at = _relapse(rules, later, flags)
    return CourseOutcome(
        rules=rules,
        baseline=baseline,
        latest=latest,
        absolute_change=Finding(change, CHANGE_RULE),
        percent_change=percent,
        response=_response(rules, base, latest),
        remission=_remission(rules, latest),
        reliable_change=_reliable_change(rules, change),
        clinically_meaningful_change=_meaningful_change(rules, change),
        time_to_first_response_days=_time_to_response(rules, baseline.value, later, flags),
        durability_days=_durability(rules, base, later, flags),
        relapse=relapse,
        relapse_confirmed_at=relapse_at,
    )


def _undecided(rules: OutcomeRules, baseline: Finding[ScorePoint]) -> CourseOutcome:
    reason = baseline.reason or "no score after the baseline yet"

    def no(rule: RuleRef) -> Finding[T]:
        return Finding(None, rule, reason)

    return CourseOutcome(
        rules=rules,
        baseline=baseline,
        latest=None,
        absolute_change=no(CHANGE_RULE),
        percent_change=no(CHANGE_RULE),
        response=no(RESPONSE_RULE),
        remission=no(rules.remission_rule),
        reliable_change=no(rules.reliable_change_rule),
        clinically_meaningful_change=no(rules.reliable_change_rule),
        time_to_first_response_days=no(TIME_TO_RESPONSE_RULE),
        durability_days=no(DURABILITY_RULE),
        relapse=no(rules.relapse.rule if rules.relapse else NOT_DEFINED),
    )


def _response_undefined_reason(rules: OutcomeRules) -> str:
    if rules.response_reduction_percent is None or not rules.lower_is_better:
        return (
            f"response (a % reduction, R-OUT-8) is not defined for {rules.instrument}, where a "
            "higher score is better (NOT FOUND)"
        )
    return "baseline is 0: a % reduction is undefined"


def _response(rules: OutcomeRules, base: int, latest: ScorePoint) -> Finding[bool]:
    met = meets_response(base, latest.score, rules)
    if met is None:
        return Finding(None, RESPONSE_RULE, _response_undefined_reason(rules))
    return Finding(met, RESPONSE_RULE)


def _remission(rules: OutcomeRules, latest: ScorePoint) -> Finding[bool]:
    if rules.remission_max is None:
        return Finding(
            None, rules.remission_rule, f"no remission threshold for {rules.instrument} (NOT FOUND)"
        )
    return Finding(latest.score <= rules.remission_max, rules.remission_rule)


def _reliable_change(rules: OutcomeRules, change: int) -> Finding[ReliableChange]:
    threshold = rules.reliable_change_points
    if threshold is None:
        return Finding(
            None,
            rules.reliable_change_rule,
            f"no reliable-change threshold for {rules.instrument} (NOT FOUND); configure one",
        )
    improvement = -change if rules.lower_is_better else change
    if improvement >= threshold:
        return Finding(ReliableChange.IMPROVED, rules.reliable_change_rule)
    if -improvement >= threshold:
        return Finding(ReliableChange.DETERIORATED, rules.reliable_change_rule)
    return Finding(ReliableChange.NO_RELIABLE_CHANGE, rules.reliable_change_rule)


def _meaningful_change(rules: OutcomeRules, change: int) -> Finding[bool]:
    rule = RuleRef("R-OUT-6", "PCL-5: change >= 10 points is clinically meaningful (§4.6)")
    if rules.meaningful_change_points is None:
        return Finding(None, NOT_DEFINED, f"not defined for {rules.instrument}")
    improvement = -change if rules.lower_is_better else change
    return Finding(improvement >= rules.meaningful_change_points, rule)


def _time_to_response(
    rules: OutcomeRules,
    baseline: ScorePoint,
    later: list[ScorePoint],
    flags: list[bool | None],
) -> Finding[int]:
    if flags and flags[0] is None:
        return Finding(None, TIME_TO_RESPONSE_RULE, _response_undefined_reason(rules))
    for point, met in zip(later, flags, strict=True):
        if met:
            return Finding((point.at - baseline.at).days, TIME_TO_RESPONSE_RULE)
    return Finding(None, TIME_TO_RESPONSE_RULE, "no response yet")


def _durability(
    rules: OutcomeRules, base: int, later: list[ScorePoint], flags: list[bool | None]
) -> Finding[int]:
    if meets_response(base, later[-1].score, rules) is None:
        return Finding(None, DURABILITY_RULE, _response_undefined_reason(rules))
    if not flags[-1]:
        return Finding(None, DURABILITY_RULE, "not in response at the latest score")
    start = len(flags) - 1
    while start > 0 and flags[start - 1]:
        start -= 1
    return Finding((later[-1].at - later[start].at).days, DURABILITY_RULE)


def _relapse(
    rules: OutcomeRules, later: list[ScorePoint], flags: list[bool | None]
) -> tuple[Finding[bool], datetime | None]:
    relapse = rules.relapse
    if relapse is None:
        reason = (
            f"no relapse definition for {rules.instrument} in the reference (NOT FOUND); "
            "configure OutcomeRules.relapse"
        )
        return Finding(None, NOT_DEFINED, reason), None
    first = next((index for index, met in enumerate(flags) if met), None)
    if first is None:
        return Finding(None, relapse.rule, "relapse needs a response first"), None
    after = later[first + 1 :]
    run: list[ScorePoint] = []
    for point in after:
        if point.score < relapse.min_score:
            run = []
            continue
        if run:
            gap = (point.at - run[-1].at).days
            if not relapse.min_days_apart <= gap <= relapse.max_days_apart:
                run = []
        run.append(point)
        if len(run) >= relapse.consecutive:
            return Finding(True, relapse.rule), point.at
    return Finding(False, relapse.rule), None


def with_remission_max(rules: OutcomeRules, remission_max: int, rule: RuleRef) -> OutcomeRules:
    """A clinic's remission threshold (e.g. MADRS <= 12, esketamine programme, §4.4)."""
    return dataclasses.replace(rules, remission_max=remission_max, remission_rule=rule)
