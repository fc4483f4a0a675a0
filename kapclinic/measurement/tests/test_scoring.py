"""Scoring of every shipped instrument: all lowest, all highest, a worked example of the published
rule, missing items, band boundaries, skip logic and invalid answers.

The clinical reference (docs/clinical-reference.md §4) states each scoring rule but gives
no item-level worked examples, so each worked example below applies the cited published rule
by hand, step by step, in its comment.
"""

from __future__ import annotations

import pytest

from kapclinic.measurement.exceptions import InvalidAnswersError
from kapclinic.measurement.instruments import Instrument, all_instruments, get_instrument
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.instruments.skiplogic import visible_items
from kapclinic.measurement.tests.helpers import answer_all, numbered

SUMMED = {
    # code: (range, band at minimum, band at maximum)
    "phq9": ((0, 27), "minimal", "severe"),
    "gad7": ((0, 21), "minimal", "severe"),
    "qids_sr16": ((0, 27), "none", "very_severe"),
    "madrs": ((0, 60), "normal", "severe"),
    "pcl5": ((0, 80), None, None),
    "who5": ((0, 25), None, None),
    "cadss": ((0, 92), None, None),
    "mood_0_10": ((0, 10), None, None),
}
TIERED = {
    # code: (category when every answer is lowest, category when every answer is highest)
    "asq": ("negative", "acute_positive"),
    "cssrs_screener": ("none", "high"),
    "urinary_screen": ("negative", "positive"),
}


def test_every_shipped_instrument_is_covered_by_these_tables() -> None:
    assert {i.code for i in all_instruments()} == set(SUMMED) | set(TIERED)


@pytest.mark.parametrize("code", sorted(SUMMED))
def test_all_lowest_answers_give_the_bottom_of_the_range(code: str) -> None:
    definition = get_instrument(code)
    result = score(definition, answer_all(definition, highest=False))
    (low, _high), low_band, _ = SUMMED[code]
    assert result.is_scored
    assert result.total == low
    assert (result.band.code if result.band else None) == low_band


@pytest.mark.parametrize("code", sorted(SUMMED))
def test_all_highest_answers_give_the_top_of_the_range(code: str) -> None:
    definition = get_instrument(code)
    result = score(definition, answer_all(definition, highest=True))
    (_low, high), _, high_band = SUMMED[code]
    assert result.total == high
    assert (result.band.code if result.band else None) == high_band


@pytest.mark.parametrize("code", sorted(TIERED))
def test_screens_with_all_lowest_and_all_highest_answers(code: str) -> None:
    definition = get_instrument(code)
    lowest, highest = TIERED[code]
    assert score(definition, answer_all(definition, highest=False)).category == lowest
    assert score(definition, answer_all(definition, highest=True)).category == highest
    assert score(definition, answer_all(definition, highest=True)).total is None


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_one_missing_required_item_refuses_to_score_and_names_it(instrument: Instrument) -> None:
    answers = answer_all(instrument, highest=False)
    dropped = next(iter(answers))
    del answers[dropped]
    result = score(instrument, answers)
    assert not result.is_scored
    assert result.total is None
    assert result.category is None
    assert dropped in result.missing_items
    assert dropped in result.refused_reason
    assert "Rule:" in result.refused_reason


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_an_answer_outside_the_options_is_refused_with_a_clear_message(
    instrument: Instrument,
) -> None:
    first = instrument.items[0]
    with pytest.raises(InvalidAnswersError, match=rf"item '{first.id}': 99 is not one of"):
        score(instrument, {first.id: 99})


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"phq9_x": 1}, "unknown item 'phq9_x'"),
        ({"phq9_1": True}, "is not a whole number"),
        ({"phq9_1": "2"}, "is not a whole number"),
        ({"phq9_1": -1}, "-1 is not one of its answers"),
        ({"phq9_1": 0, "phq9_difficulty": 2}, "not asked with these answers"),
    ],
)
def test_invalid_phq9_answers_name_the_problem(answers: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAnswersError, match=message):
        score(get_instrument("phq9"), answers)  # type: ignore[arg-type]


# --- PHQ-9 (§4.1, R-OUT-1) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")],
)  # fmt: skip
def test_phq9_band_boundaries(total: int, band: str) -> None:
    values = [min(3, max(0, total - 3 * i)) for i in range(9)]
    assert sum(values) == total
    result = score(get_instrument("phq9"), numbered("phq9", values))
    assert (result.total, result.band and result.band.code) == (total, band)


def test_phq9_worked_example_sums_items_1_to_9_and_ignores_difficulty() -> None:
    # Kroenke 2001 / ref §4.1: 1+2+3+0+1+2+0+1+0 = 10 -> "moderate" (10-14); the difficulty
    # answer (3, "extremely difficult") is recorded but not scored.
    answers = numbered("phq9", [1, 2, 3, 0, 1, 2, 0, 1, 0]) | {"phq9_difficulty": 3}
    result = score(get_instrument("phq9"), answers)
    assert result.total == 10
    assert result.band is not None
    assert result.band.code == "moderate"
    assert result.rule.id == "R-OUT-1"


def test_phq9_difficulty_is_optional_and_asked_only_after_a_problem() -> None:
    definition = get_instrument("phq9")
    none = numbered("phq9", [0] * 9)
    some = numbered("phq9", [0] * 8 + [1])
    assert "phq9_difficulty" not in {i.id for i in visible_items(definition, none)}
    assert "phq9_difficulty" in {i.id for i in visible_items(definition, some)}
    assert score(definition, some).total == 1  # left blank: still scored


# --- GAD-7 (§4.2, R-OUT-2) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"), (15, "severe")],
)
def test_gad7_band_boundaries(total: int, band: str) -> None:
    values = [min(3, max(0, total - 3 * i)) for i in range(7)]
    result = score(get_instrument("gad7"), numbered("gad7", values))
    assert (result.total, result.band and result.band.code) == (total, band)


def test_gad7_worked_example() -> None:
    # Spitzer 2006 / ref §4.2: 2+2+1+1+0+3+1 = 10 -> moderate (cut-point 10).
    result = score(get_instrument("gad7"), numbered("gad7", [2, 2, 1, 1, 0, 3, 1]))
    assert result.total == 10
    assert result.band is not None
    assert result.band.code == "moderate"


# --- QIDS-SR16 (§4.3, R-OUT-3) ----------------------------------------------------------------


def test_qids_worked_example_takes_the_highest_item_in_each_group() -> None:
    # Rush 2003 / ref §4.3: sleep max(1, 3, 0, 2) = 3; sad 2; appetite/weight max(0, 2, 1, 3) = 3;
    # concentration 1; self 1; death/suicide 0; interest 2; energy 2; psychomotor max(1, 2) = 2.
    # Total = 3+2+3+1+1+0+2+2+2 = 16 -> severe (16-20). A plain sum would give 23.
    values = [1, 3, 0, 2, 2, 0, 2, 1, 3, 1, 1, 0, 2, 2, 1, 2]
    result = score(get_instrument("qids_sr16"), numbered("qids", values))
    assert sum(values) == 23
    assert result.total == 16
    assert result.band is not None
    assert result.band.code == "severe"
    assert result.scores["sleep"] == 3
    assert result.scores["appetite_weight"] == 3
    assert result.scores["psychomotor"] == 2


@pytest.mark.parametrize(
    ("total", "band"),
    [(5, "none"), (6, "mild"), (10, "mild"), (11, "moderate"), (15, "moderate"), (16, "severe"),
     (20, "severe"), (21, "very_severe")],
)  # fmt: skip
def test_qids_band_boundaries(total: int, band: str) -> None:
    # Fill the nine domains in turn with one item each (max-of-group takes that item).
    domain_heads = [1, 5, 6, 10, 11, 12, 13, 14, 15]
    values = [0] * 16
    remaining = total
    for head in domain_heads:
        values[head - 1] = min(3, remaining)
        remaining -= values[head - 1]
    result = score(get_instrument("qids_sr16"), numbered("qids", values))
    assert (result.total, result.band and result.band.code) == (total, band)


# --- PCL-5 (§4.6, R-OUT-6) --------------------------------------------------------------------


def test_pcl5_worked_example_clusters_and_dsm5_rule() -> None:
    # NCPTSD / ref §4.6: B (1-5) 2+0+0+0+0 = 2 with one item >= 2; C (6-7) 0+3 = 3, one >= 2;
    # D (8-14) 2+2+0+0+0+0+1 = 5, two >= 2; E (15-20) 0+0+3+2+0+0 = 5, two >= 2.
    # Total 15: below the 33 cut-point, yet the DSM-5 cluster rule is met.
    values = [2, 0, 0, 0, 0, 0, 3, 2, 2, 0, 0, 0, 0, 1, 0, 0, 3, 2, 0, 0]
    result = score(get_instrument("pcl5"), numbered("pcl5", values))
    assert result.total == 15
    assert dict(result.scores) == {"B": 2, "C": 3, "D": 5, "E": 5}
    assert result.flags == {"at_or_above_cutoff": False, "dsm5_provisional_ptsd": True}


def test_pcl5_dsm5_rule_fails_when_one_cluster_is_short() -> None:
    # Same as above but D has only one item >= 2: the rule needs two (ref §4.6).
    values = [2, 0, 0, 0, 0, 0, 3, 2, 1, 0, 0, 0, 0, 1, 0, 0, 3, 2, 0, 0]
    assert (
        score(get_instrument("pcl5"), numbered("pcl5", values)).flags["dsm5_provisional_ptsd"]
        is False
    )


@pytest.mark.parametrize(("total", "flag"), [(32, False), (33, True)])
def test_pcl5_cutoff_boundary(total: int, flag: bool) -> None:
    values = [min(4, max(0, total - 4 * i)) for i in range(20)]
    result = score(get_instrument("pcl5"), numbered("pcl5", values))
    assert result.total == total
    assert result.flags["at_or_above_cutoff"] is flag


# --- WHO-5 (§4.7, R-OUT-7) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "raw", "percentage", "poor"),
    [
        ([3, 3, 2, 2, 2], 12, 48, True),  # worked example: 12 x 4 = 48 %; raw < 13 -> flag
        ([3, 3, 3, 2, 2], 13, 52, False),  # 13 x 4 = 52 %: boundary, no flag
        ([0, 0, 0, 0, 0], 0, 0, True),
        ([5, 5, 5, 5, 5], 25, 100, False),
    ],
)
def test_who5_raw_percentage_and_poor_wellbeing_flag(
    values: list[int], raw: int, percentage: int, poor: bool
) -> None:
    result = score(get_instrument("who5"), numbered("who5", values))
    assert (result.total, result.scores["percentage"]) == (raw, percentage)
    assert result.flags["poor_wellbeing"] is poor


# --- MADRS (§4.4, R-OUT-4) and CADSS (§3.4) ---------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [(6, "normal"), (7, "mild"), (19, "mild"), (20, "moderate"), (34, "moderate"), (35, "severe")],
)
def test_madrs_band_boundaries(total: int, band: str) -> None:
    values = [min(6, max(0, total - 6 * i)) for i in range(10)]
    result = score(get_instrument("madrs"), numbered("madrs", values))
    assert (result.total, result.band and result.band.code) == (total, band)


def test_madrs_worked_example_scores_without_item_texts() -> None:
    # Montgomery & Åsberg 1979 / ref §4.4: 4+4+2+4+2+2+2+4+2+0 = 26 -> moderate (20-34).
    definition = get_instrument("madrs")
    assert not definition.has_texts
    result = score(definition, numbered("madrs", [4, 4, 2, 4, 2, 2, 2, 4, 2, 0]))
    assert result.total == 26
    assert result.band is not None
    assert result.band.code == "moderate"


@pytest.mark.parametrize(("total", "dissociation"), [(4, False), (5, True)])
def test_cadss_total_above_4_flags_dissociation(total: int, dissociation: bool) -> None:
    values = [min(4, max(0, total - 4 * i)) for i in range(23)]
    result = score(get_instrument("cadss"), numbered("cadss", values))
    assert result.total == total
    assert result.flags["dissociation"] is dissociation


def test_cadss6_subscale_sums_items_1_2_6_7_15_22() -> None:
    # Rodrigues 2021 / ref §3.4: CADSS-6 = items 1, 2, 6, 7, 15, 22 -> 1+2+3+4+1+2 = 13.
    values = [0] * 23
    for item, value in {1: 1, 2: 2, 6: 3, 7: 4, 15: 1, 22: 2, 3: 4}.items():
        values[item - 1] = value
    result = score(get_instrument("cadss"), numbered("cadss", values))
    assert result.scores["cadss6"] == 13
    assert result.total == 17


def test_mood_rating_is_the_rating_itself() -> None:
    assert score(get_instrument("mood_0_10"), {"mood_now": 7}).total == 7


# --- ASQ (NIMH) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "category"),
    [
        ({"asq_1": 0, "asq_2": 0, "asq_3": 0, "asq_4": 0}, "negative"),
        ({"asq_1": 0, "asq_2": 0, "asq_3": 0, "asq_4": 1, "asq_5": 0}, "non_acute_positive"),
        ({"asq_1": 1, "asq_2": 0, "asq_3": 0, "asq_4": 0, "asq_5": 1}, "acute_positive"),
        ({"asq_1": 1, "asq_5": 1}, "acute_positive"),  # acute is final even with gaps
    ],
)
def test_asq_screen_results(answers: dict[str, int], category: str) -> None:
    assert score(get_instrument("asq"), answers).category == category


@pytest.mark.parametrize(
    "answers",
    [
        {"asq_1": 0, "asq_2": 0, "asq_3": 0},  # cannot be called negative with asq_4 blank
        {"asq_1": 1, "asq_2": 0, "asq_3": 0, "asq_4": 0},  # positive, acuity not asked yet
    ],
)
def test_asq_refuses_when_a_question_that_could_change_the_result_is_blank(
    answers: dict[str, int],
) -> None:
    result = score(get_instrument("asq"), answers)
    assert not result.is_scored
    assert result.missing_items


def test_asq_acuity_question_is_asked_only_after_a_yes() -> None:
    definition = get_instrument("asq")
    with pytest.raises(InvalidAnswersError, match="asq_5"):
        score(definition, {"asq_1": 0, "asq_2": 0, "asq_3": 0, "asq_4": 0, "asq_5": 0})


# --- C-SSRS screener (§4.5, R-OUT-5) ----------------------------------------------------------


def cssrs(**answers: int) -> dict[str, int]:
    return {f"cssrs_{key.removeprefix('q')}": value for key, value in answers.items()}


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        (cssrs(q1=0, q2=0, q6=0), "none"),
        (cssrs(q1=1, q2=0, q6=0), "low"),
        (cssrs(q1=1, q2=1, q3=0, q4=0, q5=0, q6=0), "low"),
        (cssrs(q1=1, q2=1, q3=1, q4=0, q5=0, q6=0), "moderate"),
        (cssrs(q1=0, q2=0, q6=1, q6_recent=0), "moderate"),  # lifetime-only behaviour
        (cssrs(q1=1, q2=1, q3=1, q4=1, q5=0, q6=0), "high"),
        (cssrs(q1=1, q2=1, q3=1, q4=0, q5=1, q6=0), "high"),
        (cssrs(q1=0, q2=0, q6=1, q6_recent=1), "high"),
        (cssrs(q1=1, q2=1, q4=1), "high"),  # high is final even with gaps
    ],
)
def test_cssrs_risk_levels(answers: dict[str, int], level: str) -> None:
    result = score(get_instrument("cssrs_screener"), answers)
    assert result.category == level
    assert result.rule.id == "R-OUT-5"


def test_cssrs_q3_to_q5_are_skipped_when_q2_is_no() -> None:
    definition = get_instrument("cssrs_screener")
    asked = [i.id for i in visible_items(definition, cssrs(q1=1, q2=0))]
    assert asked == ["cssrs_1", "cssrs_2", "cssrs_6"]
    with pytest.raises(InvalidAnswersError, match="cssrs_3"):
        score(definition, cssrs(q1=1, q2=0, q3=1, q6=0))


def test_cssrs_low_level_needs_every_asked_question() -> None:
    # Q1 yes alone is not "low" while Q6 is blank: Q6 might make it moderate or high.
    result = score(get_instrument("cssrs_screener"), cssrs(q1=1, q2=0))
    assert not result.is_scored
    assert result.missing_items == ("cssrs_6",)


# --- urinary check (R-LT-1) -------------------------------------------------------------------


def test_urinary_check_any_yes_is_positive() -> None:
    answers = answer_all(get_instrument("urinary_screen"), highest=False) | {
        "urinary_haematuria": 1
    }
    assert score(get_instrument("urinary_screen"), answers).category == "positive"
