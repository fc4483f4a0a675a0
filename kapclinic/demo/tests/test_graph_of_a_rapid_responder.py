"""The outcome graph of a patient the demo generator made a rapid responder: the page shows the
generated trajectory as stored (every score, the response line, onset before the second session,
mood higher after each session). Here rather than in the measurement app because the measurement
app may not import the demo (the import-linter layers in pyproject.toml)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kapclinic.accounts.models import Role
from kapclinic.demo.generator import GenerationResult
from kapclinic.demo.trajectories import KETAMINE_SESSIONS
from kapclinic.measurement.models import Assessment, Occasion
from kapclinic.measurement.outcomes.rules import (
    CourseOutcome,
    ScorePoint,
    default_outcome_rules,
    evaluate_course,
)
from kapclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _url(patient: Patient) -> str:
    return reverse("measurement:outcome-graph", args=[patient.public_id])


def _rapid_responders_of_the_demo() -> list[tuple[Patient, CourseOutcome]]:
    """Demo patients (kapclinic.demo.trajectories) whose PHQ-9 fell by half at the first
    measurement after the first session (before the second, at most six days after baseline)
    and who are still in response at their latest score."""
    rules = default_outcome_rules("phq9")
    found = []
    for patient in Patient.objects.filter(
        pk__in=Assessment.objects.filter(occasion=Occasion.END_OF_COURSE).values("patient_id")
    ).order_by("id"):
        series = [
            ScorePoint(at=a.completed_at, score=a.total)  # type: ignore[arg-type]
            for a in Assessment.objects.filter(patient=patient, instrument_code="phq9")
            .exclude(occasion=Occasion.SCREENING)
            .order_by("completed_at")
        ]
        outcome = evaluate_course(series, rules)
        first = outcome.time_to_first_response_days.value
        if first is not None and first <= 6 and outcome.response.value:
            found.append((patient, outcome))
    return found


def test_the_chart_shows_a_generated_rapid_responders_trajectory(
    demo: GenerationResult, client_for: Callable[[Role], Client]
) -> None:
    responders = _rapid_responders_of_the_demo()
    assert responders, "the demo should hold at least one rapid responder"
    patient, outcome = responders[0]
    assert outcome.baseline.value is not None

    response = client_for(Role.PRESCRIBER).get(_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    days = outcome.time_to_first_response_days.value
    assert f"first response after {days} days" in page
    assert "response (50% or more below baseline)" in page
    data = json.loads(
        page.split('<script id="outcome-graph-data" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    phq9 = next(s for s in data["series"] if s["code"] == "phq9")
    stored = list(
        Assessment.objects.filter(patient=patient, instrument_code="phq9")
        .exclude(occasion=Occasion.SCREENING)  # shown on the screening, not the course chart
        .order_by("completed_at")
        .values_list("total", flat=True)
    )
    assert [p["score"] for p in phq9["points"]] == stored  # every score, in time order
    baseline = outcome.baseline.value.score
    response_line = next(t for t in phq9["thresholds"] if t["kind"] == "response")
    assert response_line["value"] == baseline / 2
    # Onset: the first score after the first session is already at or under the response line.
    first_session = min(m["t"] for m in data["sessions"])
    after = [p["score"] for p in phq9["points"] if p["t"] > first_session]
    assert after[0] <= response_line["value"] < phq9["points"][0]["score"]
    # Six dosing sessions marked, each with its mood rating before and after, higher after.
    assert len(data["sessions"]) == KETAMINE_SESSIONS
    pairs = data["mood"]["pairs"]
    assert len(pairs) == KETAMINE_SESSIONS
    assert all(p["after"]["score"] > p["before"]["score"] for p in pairs)
