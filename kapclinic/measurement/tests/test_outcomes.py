"""Course outcomes against worked examples (ref §4.10, R-OUT-6/7/8; MEAS-* choices documented
in docs/measurement.md). Days are counted from 1 March 2026 (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kapclinic.measurement.instruments.definition import RuleRef
from kapclinic.measurement.outcomes.rules import (
    NoOutcomeRulesError,
    ReliableChange,
    ScorePoint,
    choose_baseline,
    default_outcome_rules,
    evaluate_course,
    meets_response,
    with_remission_max,
)

DAY0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def series(*pairs: tuple[int, int]) -> list[ScorePoint]:
    """(day, score) pairs."""
    return [ScorePoint(at=DAY0 + timedelta(days=day), score=score) for day, score in pairs]


def test_phq9_worked_example_response_remission_reliable_change() -> None:
    # Baseline 20 (severe). Day 14: 12 (-8, -40%: reliable, no response). Day 21: 10 (-50%:
    # response, boundary). Day 28: 4 (< 5: remission). Day 42: 6 (still a response: 6 <= 10).
    outcome = evaluate_course(
        series((0, 20), (14, 12), (21, 10), (28, 4), (42, 6)), default_outcome_rules("phq9")
    )
    assert outcome.baseline.value == ScorePoint(DAY0, 20)
    assert outcome.absolute_change.value == -14
    assert outcome.percent_change.value == Decimal("-70.0")
    assert outcome.response.value is True
    assert outcome.response.rule.id == "R-OUT-8"
    assert outcome.remission.value is False  # 6 is not < 5
    assert outcome.reliable_change.value is ReliableChange.IMPROVED
    assert outcome.time_to_first_response_days.value == 21
    assert outcome.durability_days.value == 21  # responding since day 21, latest day 42
    assert outcome.relapse.value is None
    assert "NOT FOUND" in outcome.relapse.reason


@pytest.mark.parametrize(
    ("baseline", "score", "met"),
    [(20, 10, True), (20, 11, False), (15, 7, True), (15, 8, False), (1, 0, True)],
)
def test_response_boundary_is_exact_50_percent(baseline: int, score: int, met: bool) -> None:
    # 15 -> 7 is a 53.3% drop; 15 -> 8 is 46.7%: no rounding up to 50.
    assert meets_response(baseline, score, default_outcome_rules("phq9")) is met


@pytest.mark.parametrize(
    ("code", "latest", "remission"),
    [("phq9", 4, True), ("phq9", 5, False), ("gad7", 4, True), ("gad7", 5, False),
     ("qids_sr16", 5, True), ("qids_sr16", 6, False), ("madrs", 10, True), ("madrs", 11, False)],
)  # fmt: skip
def test_remission_thresholds(code: str, latest: int, remission: bool) -> None:
    outcome = evaluate_course(series((0, 25), (30, latest)), default_outcome_rules(code))
    assert outcome.remission.value is remission


def test_a_clinic_can_use_the_esketamine_madrs_remission_threshold() -> None:
    rule = RuleRef("R-OUT-4", "MADRS remission <= 12 (esketamine programme, §4.4)")
    rules = with_remission_max(default_outcome_rules("madrs"), 12, rule)
    outcome = evaluate_course(series((0, 30), (28, 12)), rules)
    assert outcome.remission.value is True
    assert outcome.remission.rule == rule


@pytest.mark.parametrize(
    ("code", "baseline", "latest", "expected"),
    [
        ("phq9", 15, 9, ReliableChange.IMPROVED),  # -6
        ("phq9", 15, 10, ReliableChange.NO_RELIABLE_CHANGE),  # -5 (Löwe MCID, not IAPT RCI)
        ("phq9", 10, 16, ReliableChange.DETERIORATED),
        ("gad7", 12, 8, ReliableChange.IMPROVED),  # -4
        ("gad7", 12, 9, ReliableChange.NO_RELIABLE_CHANGE),
        ("pcl5", 50, 45, ReliableChange.IMPROVED),  # -5
        ("pcl5", 50, 46, ReliableChange.NO_RELIABLE_CHANGE),
        ("who5", 40, 52, ReliableChange.IMPROVED),  # percentage points, higher is better
        ("who5", 40, 48, ReliableChange.NO_RELIABLE_CHANGE),
        ("who5", 60, 48, ReliableChange.DETERIORATED),
    ],
)
def test_reliable_change_thresholds(
    code: str, baseline: int, latest: int, expected: ReliableChange
) -> None:
    outcome = evaluate_course(series((0, baseline), (28, latest)), default_outcome_rules(code))
    assert outcome.reliable_change.value is expected


def test_pcl5_clinically_meaningful_change_is_10_points() -> None:
    rules = default_outcome_rules("pcl5")
    assert evaluate_course(series((0, 50), (28, 40)), rules).clinically_meaningful_change.value
    assert not evaluate_course(series((0, 50), (28, 41)), rules).clinically_meaningful_change.value
    assert evaluate_course(series((0, 50), (28, 40)), rules).remission.value is None


def test_undefined_rules_say_why_instead_of_guessing() -> None:
    who5 = evaluate_course(series((0, 40), (28, 80)), default_outcome_rules("who5"))
    assert who5.response.value is None
    assert "higher score is better" in who5.response.reason
    assert who5.time_to_first_response_days.value is None
    assert who5.durability_days.value is None
    qids = evaluate_course(series((0, 20), (28, 8)), default_outcome_rules("qids_sr16"))
    assert qids.reliable_change.value is None
    assert "NOT FOUND" in qids.reliable_change.reason


def test_zero_baseline_has_no_percent_change_or_response() -> None:
    outcome = evaluate_course(series((0, 0), (14, 3)), default_outcome_rules("phq9"))
    assert outcome.absolute_change.value == 3
    assert outcome.percent_change.value is None
    assert outcome.response.value is None
    assert "baseline is 0" in outcome.response.reason


def test_baseline_is_the_latest_score_on_or_before_the_course_start() -> None:
    points = series((-20, 18), (-2, 22), (0, 21), (10, 9))
    start = DAY0
    assert choose_baseline(points, course_start=start).value == ScorePoint(DAY0, 21)
    assert choose_baseline(points).value == points[0]  # start unknown: earliest
    none = choose_baseline(series((3, 10)), course_start=start)
    assert none.value is None
    assert none.reason == "no score on or before the course start"
    assert none.rule.id == "MEAS-BASELINE"


def test_no_scores_after_baseline_decides_nothing() -> None:
    outcome = evaluate_course(series((0, 20)), default_outcome_rules("phq9"))
    assert outcome.latest is None
    assert outcome.response.value is None
    assert outcome.response.reason == "no score after the baseline yet"
    empty = evaluate_course([], default_outcome_rules("phq9"))
    assert empty.baseline.reason == "no scores in this course"


def test_durability_counts_only_the_current_unbroken_run() -> None:
    # Response on day 14, lost on day 21, regained day 28 and held to day 49.
    outcome = evaluate_course(
        series((0, 20), (14, 9), (21, 12), (28, 8), (49, 7)), default_outcome_rules("phq9")
    )
    assert outcome.time_to_first_response_days.value == 14
    assert outcome.durability_days.value == 21
    lost = evaluate_course(series((0, 20), (14, 9), (21, 12)), default_outcome_rules("phq9"))
    assert lost.durability_days.value is None
    assert lost.durability_days.reason == "not in response at the latest score"
    never = evaluate_course(series((0, 20), (14, 15)), default_outcome_rules("phq9"))
    assert never.time_to_first_response_days.reason == "no response yet"


@pytest.mark.parametrize(
    ("pairs", "relapse", "confirmed_day"),
    [
        # Response day 14 (30 -> 12); MADRS >= 22 on days 40 and 50 (10 days apart): relapse.
        ([(0, 30), (14, 12), (40, 24), (50, 23)], True, 50),
        # Two high scores only 3 days apart: outside 5-15 days, no relapse yet.
        ([(0, 30), (14, 12), (40, 24), (43, 23)], False, None),
        # 20 days apart: too far; not consecutive within the window.
        ([(0, 30), (14, 12), (40, 24), (60, 23)], False, None),
        # A lower score in between breaks the run.
        ([(0, 30), (14, 12), (40, 24), (47, 15), (54, 24)], False, None),
        # Exactly 5 and exactly 15 days apart count.
        ([(0, 30), (14, 12), (40, 22), (45, 22)], True, 45),
        ([(0, 30), (14, 12), (40, 22), (55, 22)], True, 55),
    ],
)
def test_madrs_relapse_after_response(
    pairs: list[tuple[int, int]], relapse: bool, confirmed_day: int | None
) -> None:
    outcome = evaluate_course(series(*pairs), default_outcome_rules("madrs"))
    assert outcome.relapse.value is relapse
    assert "UNVERIFIED" in outcome.relapse.rule.text
    expected = DAY0 + timedelta(days=confirmed_day) if confirmed_day is not None else None
    assert outcome.relapse_confirmed_at == expected


def test_relapse_needs_a_response_first() -> None:
    outcome = evaluate_course(series((0, 30), (14, 25), (28, 26)), default_outcome_rules("madrs"))
    assert outcome.relapse.value is None
    assert outcome.relapse.reason == "relapse needs a response first"


def test_screens_have_no_outcome_rules() -> None:
    with pytest.raises(NoOutcomeRulesError, match="'asq' has no course outcome rules"):
        default_outcome_rules("asq")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        choose_baseline([ScorePoint(datetime(2026, 3, 1), 10)])  # noqa: DTZ001
