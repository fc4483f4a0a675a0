"""Outcome graph data: series per instrument, bands, thresholds from the baseline, sessions and
before/after mood pairs, the findings in words, the JSON the page draws, and the timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.measurement.models import Occasion
from kapclinic.measurement.outcomes.graph import build_outcome_graph
from kapclinic.measurement.outcomes.graph_json import graph_as_json
from kapclinic.measurement.outcomes.sessions import SessionMark
from kapclinic.measurement.outcomes.summary import summary_rows
from kapclinic.measurement.outcomes.timeline import assessments as timeline_assessments
from kapclinic.measurement.responses.services import amend_assessment, enter_in_error
from kapclinic.measurement.tests.trajectories import (
    NURSE,
    phq9_answers,
    record,
    record_rapid_responder,
)
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clinics: list[Clinic]) -> Patient:
    return Patient.objects.filter(clinic=clinics[0]).order_by("id")[0]


@pytest.fixture
def nurse(demo_user: Callable[[Role], User]) -> User:
    return demo_user(Role.NURSE)


@pytest.fixture
def start(patient: Patient) -> datetime:
    return datetime(2026, 9, 1, 10, 0, tzinfo=patient.clinic.tzinfo)


def test_a_rapid_responder_shows_the_drop_the_thresholds_and_the_relapse(
    patient: Patient, nurse: User, start: datetime
) -> None:
    course = record_rapid_responder(nurse=nurse, patient=patient, start=start)

    chart = build_outcome_graph(patient)

    assert [s.code for s in chart.series] == ["phq9"]
    phq9 = chart.series[0]
    assert [p.score for p in phq9.points] == [20, 8, 6, 15]
    assert [p.band for p in phq9.points] == ["Severe", "Mild", "Mild", "Moderately severe"]
    assert (phq9.y_min, phq9.y_max) == (0, 27)
    assert [(b.label, b.low, b.high) for b in phq9.bands] == [
        ("None/minimal", 0, 5),
        ("Mild", 5, 10),
        ("Moderate", 10, 15),
        ("Moderately severe", 15, 20),
        ("Severe", 20, 27),
    ]
    response, remission = phq9.thresholds
    assert (response.kind, response.value, response.rule.id) == ("response", 10.0, "R-OUT-8")
    assert response.label == "Response: 10 or less (50% of baseline 20)"
    assert (remission.kind, remission.value, remission.rule.id) == ("remission", 4, "R-OUT-8")
    outcome = phq9.outcome
    assert outcome is not None
    assert outcome.time_to_first_response_days.value == 3
    assert outcome.response.value is False  # 15 is no longer 50% below 20
    assert outcome.relapse.value is None  # no PHQ-9 relapse rule in the reference
    assert "20 (severe)" in phq9.description
    assert "15 (moderately severe)" in phq9.description

    assert chart.mood is not None
    assert [(p.before.score, p.after.score) for p in chart.mood.pairs] == [(3, 7), (3, 7)]
    assert [p.change for p in chart.mood.pairs] == [4, 4]
    assert [s.ref for s in chart.sessions] == list(course.sessions)
    assert [s.label for s in chart.sessions] == ["S1", "S2"]
    assert chart.sessions[0].at == start + timedelta(days=2)  # between before and after
    assert chart.sessions_inferred


def test_the_summary_names_the_rule_behind_each_finding(
    patient: Patient, nurse: User, start: datetime
) -> None:
    record_rapid_responder(nurse=nurse, patient=patient, start=start)
    outcome = build_outcome_graph(patient).series[0].outcome
    assert outcome is not None

    rows = {row.label: row for row in summary_rows(outcome, patient.clinic.tzinfo)}

    assert rows["Baseline"].value == "20 on 2026-09-01"
    assert rows["Latest"].value == "15 on 2026-10-15"
    assert rows["Change from baseline"].value == "-5 points (-25.0%)"
    assert rows["Response at the latest score"].value == "no response"
    assert rows["Response at the latest score"].rule.id == "R-OUT-8"
    assert rows["Time to first response"].value == "first response after 3 days"
    assert rows["Time to first response"].rule.id == "MEAS-TIME-TO-RESPONSE"
    assert rows["Reliable change"].value == "no reliable change"
    assert rows["Durability of response"].decided is False
    assert rows["Relapse after response"].value.startswith("not decided: no relapse definition")


def test_the_response_line_is_half_the_baseline_even_when_odd(
    patient: Patient, nurse: User, start: datetime
) -> None:
    for offset, total in enumerate([15, 9]):
        record(
            nurse=nurse,
            patient=patient,
            code="phq9",
            answers=phq9_answers(total),
            at=start + timedelta(days=7 * offset),
        )

    response = build_outcome_graph(patient).series[0].thresholds[0]

    assert (response.value, response.label) == (7.5, "Response: 7.5 or less (50% of baseline 15)")


def test_ratings_without_a_session_pair_up_only_on_the_same_day(
    patient: Patient, nurse: User, start: datetime
) -> None:
    def mood(value: int, at: datetime, occasion: Occasion) -> None:
        record(
            nurse=nurse,
            patient=patient,
            code="mood_0_10",
            answers={"mood_now": value},
            at=at,
            occasion=occasion,
        )

    mood(2, start, Occasion.PRE_SESSION)
    mood(6, start + timedelta(hours=2), Occasion.POST_SESSION)
    mood(4, start + timedelta(days=7), Occasion.PRE_SESSION)  # its after-rating: a day late
    mood(5, start + timedelta(days=8), Occasion.POST_SESSION)
    mood(5, start + timedelta(days=10), Occasion.AD_HOC)

    chart = build_outcome_graph(patient)

    assert chart.series == []
    assert chart.mood is not None
    assert [(p.before.score, p.after.score) for p in chart.mood.pairs] == [(2, 6)]
    assert len(chart.mood.points) == 5
    # One session per day with a before or after rating, without a reference.
    assert [s.ref for s in chart.sessions] == [None, None, None]
    assert chart.sessions[0].at == start + timedelta(hours=1)


def test_only_completed_responses_count(patient: Patient, nurse: User, start: datetime) -> None:
    kept = record(nurse=nurse, patient=patient, code="phq9", answers=phq9_answers(14), at=start)
    wrong = record(
        nurse=nurse,
        patient=patient,
        code="phq9",
        answers=phq9_answers(3),
        at=start + timedelta(days=1),
    )
    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=wrong,
        reason="recorded for a colleague",
    )
    amend_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        original=kept,
        answers=phq9_answers(12),
        reason="item 3 was misread by the nurse",
        now=start + timedelta(days=2),
    )

    points = build_outcome_graph(patient).series[0].points

    assert [p.score for p in points] == [12]  # the amended version, at the original time
    assert points[0].at == start


def test_who5_is_charted_as_a_percentage_with_its_flag_line(
    patient: Patient, nurse: User, start: datetime
) -> None:
    for offset, value in enumerate([1, 3]):
        record(
            nurse=nurse,
            patient=patient,
            code="who5",
            answers={f"who5_{n}": value for n in range(1, 6)},
            at=start + timedelta(days=14 * offset),
        )

    who5 = build_outcome_graph(patient).series[0]

    assert (who5.code, who5.score_name, who5.y_min, who5.y_max) == ("who5", "percentage", 0, 100)
    assert [p.score for p in who5.points] == [20, 60]
    assert who5.bands == []
    (flag,) = who5.thresholds  # no response or remission rule for WHO-5 (NOT FOUND)
    assert (flag.kind, flag.value, flag.rule.id) == ("flag", 52, "R-OUT-7")
    assert flag.label == "Poor wellbeing: < 52 (raw < 13)"
    assert "better" in who5.description


def test_the_json_holds_points_sessions_and_pairs_and_no_identifiers(
    patient: Patient, nurse: User, start: datetime
) -> None:
    record_rapid_responder(nurse=nurse, patient=patient, start=start)

    data = graph_as_json(build_outcome_graph(patient))

    assert data["time_zone"] == patient.clinic.time_zone
    (series,) = data["series"]
    assert series["canvas"] == "outcome-graph-phq9"
    assert series["points"][0] == {
        "t": int(start.timestamp() * 1000),
        "score": 20,
        "band": "Severe",
        "occasion": "baseline",
    }
    assert data["occasions"]["post_session"] == "Right after a session"
    assert [t["kind"] for t in series["thresholds"]] == ["response", "remission"]
    assert [s["label"] for s in data["sessions"]] == ["S1", "S2"]
    assert data["mood"] is not None
    assert [(p["before"]["score"], p["after"]["score"]) for p in data["mood"]["pairs"]] == [
        (3, 7),
        (3, 7),
    ]
    text = json.dumps(data)
    for identifier in (
        patient.family_name,
        patient.given_name,
        patient.mrn,
        str(patient.public_id),
    ):
        assert identifier not in text


def test_completed_questionnaires_are_on_the_timeline_and_struck_when_replaced(
    patient: Patient, nurse: User, start: datetime
) -> None:
    first = record(nurse=nurse, patient=patient, code="phq9", answers=phq9_answers(14), at=start)
    amend_assessment(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        original=first,
        answers=phq9_answers(15),
        reason="item 3 was misread by the nurse",
        now=start + timedelta(hours=1),
    )
    wrong = record(
        nurse=nurse,
        patient=patient,
        code="gad7",
        answers={f"gad7_{n}": 1 for n in range(1, 8)},
        at=start + timedelta(days=1),
        session_ref=uuid4(),
    )
    enter_in_error(
        actor=Actor(user=nurse, roles=frozenset(NURSE)),
        assessment=wrong,
        reason="the wrong patient's form",
    )

    entries = list(timeline_assessments(patient, 10))

    assert [(e.kind, e.title, e.struck) for e in entries] == [
        ("Questionnaire", "GAD-7: 7 (mild)", True),
        ("Questionnaire", "PHQ-9: 15 (moderately severe)", False),
        ("Questionnaire", "PHQ-9: 14 (moderate)", True),
    ]
    assert entries[0].detail == "entered in error: the wrong patient's form"
    assert entries[1].detail == "amended: item 3 was misread by the nurse"
    assert entries[2].detail == "replaced by an amended version"
    assert entries[1].url.endswith(f"/measurement/patients/{patient.public_id}/outcomes/")


def test_recorded_sessions_replace_the_inferred_ones(
    patient: Patient, nurse: User, start: datetime
) -> None:
    record_rapid_responder(nurse=nurse, patient=patient, start=start)
    dose = SessionMark(
        at=start + timedelta(days=2), ref=uuid4(), kind="dosing", label="D1", source="dosing"
    )

    chart = build_outcome_graph(patient, sessions=[dose])

    assert chart.sessions == [dose]
    assert not chart.sessions_inferred
    assert graph_as_json(chart)["sessions"][0]["kind"] == "dosing"
