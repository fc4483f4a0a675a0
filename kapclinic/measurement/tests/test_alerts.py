"""Safety alert rules (issue 5 part 3): each fires on its trigger and stays quiet otherwise."""

from __future__ import annotations

import pytest

from kapclinic.measurement.exceptions import InvalidAnswersError
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.instruments.alerts import alerts
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.tests.helpers import numbered


def fired(code: str, answers: dict[str, int]) -> list[tuple[str, AlertSeverity]]:
    return [(alert.rule_id, alert.severity) for alert in alerts(get_instrument(code), answers)]


URGENT = AlertSeverity.URGENT
FOLLOW_UP = AlertSeverity.FOLLOW_UP


@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        # PHQ-9 item 9 > 0 (R-OUT-1), whatever the total.
        ("phq9", numbered("phq9", [0] * 8 + [1]), [("R-OUT-1.item9", URGENT)]),
        ("phq9", numbered("phq9", [0] * 8 + [3]), [("R-OUT-1.item9", URGENT)]),
        ("phq9", numbered("phq9", [3] * 8 + [0]), []),
        ("phq9", numbered("phq9", [0] * 8), [("R-OUT-1.item9.unanswered", FOLLOW_UP)]),
        # QIDS-SR16 item 12 > 0 (R-OUT-3).
        ("qids_sr16", numbered("qids", [0] * 11 + [1] + [0] * 4), [("R-OUT-3.item12", URGENT)]),
        ("qids_sr16", numbered("qids", [3] * 11 + [0] + [3] * 4), []),
        # ASQ: any yes to 1-4 is positive; acuity yes adds the acute alert.
        ("asq", {"asq_1": 0, "asq_2": 0, "asq_3": 0, "asq_4": 0}, []),
        (
            "asq",
            {"asq_1": 0, "asq_2": 0, "asq_3": 1, "asq_4": 0, "asq_5": 0},
            [("ASQ.positive", URGENT)],
        ),
        (
            "asq",
            {"asq_1": 1, "asq_2": 0, "asq_3": 0, "asq_4": 0, "asq_5": 1},
            [("ASQ.positive", URGENT), ("ASQ.acute", URGENT)],
        ),
        (
            "asq",
            {"asq_1": 1, "asq_2": 0, "asq_3": 0, "asq_4": 0},
            [("ASQ.positive", URGENT), ("ASQ.acute.unanswered", FOLLOW_UP)],
        ),
        ("asq", {"asq_1": 0, "asq_2": 0}, [("ASQ.positive.unanswered", FOLLOW_UP)]),
        # C-SSRS screener high risk (R-OUT-5).
        ("cssrs_screener", {"cssrs_1": 1, "cssrs_2": 0, "cssrs_6": 0}, []),
        (
            "cssrs_screener",
            {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 0, "cssrs_5": 0, "cssrs_6": 0},
            [],
        ),
        (
            "cssrs_screener",
            {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 0, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0},
            [("R-OUT-5.high", URGENT)],
        ),
        (
            "cssrs_screener",
            {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 0, "cssrs_4": 0, "cssrs_5": 1, "cssrs_6": 0},
            [("R-OUT-5.high", URGENT)],
        ),
        (
            "cssrs_screener",
            {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 1, "cssrs_6_recent": 1},
            [("R-OUT-5.high", URGENT)],
        ),
        ("cssrs_screener", {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 1, "cssrs_6_recent": 0}, []),
        # Q4/Q5 are not asked when Q2 is no, so they are not "unanswered".
        ("cssrs_screener", {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0}, []),
        (
            "cssrs_screener",
            {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1},
            [("R-OUT-5.high.unanswered", FOLLOW_UP)],
        ),
        # Urinary check (R-LT-1): follow-up, not urgent.
        (
            "urinary_screen",
            {"urinary_frequency": 0, "urinary_urgency": 0, "urinary_dysuria": 1},
            [("R-LT-1.positive", FOLLOW_UP)],
        ),
        # Instruments without alert rules never alert.
        ("gad7", numbered("gad7", [3] * 7), []),
        ("madrs", numbered("madrs", [6] * 10), []),
    ],
)
def test_alert_rules(
    code: str, answers: dict[str, int], expected: list[tuple[str, AlertSeverity]]
) -> None:
    assert fired(code, answers) == expected


def test_an_alert_says_which_answer_triggered_it_and_cites_its_rule() -> None:
    (alert,) = alerts(get_instrument("phq9"), numbered("phq9", [0] * 8 + [2]))
    assert alert.triggered_by == (("phq9_9", 2),)
    assert "R-OUT-1" in alert.source
    assert "same-day" in alert.message


def test_alerts_fire_even_when_the_response_cannot_be_scored() -> None:
    # Only item 9 answered: no total (refused), but the safety rule still fires.
    assert fired("phq9", {"phq9_9": 1}) == [("R-OUT-1.item9", URGENT)]


def test_alerts_refuse_invalid_answers() -> None:
    with pytest.raises(InvalidAnswersError):
        alerts(get_instrument("phq9"), {"phq9_9": 4})
