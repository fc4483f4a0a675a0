"""The demo's score trajectories: real engine scores, onset after the first session for rapid
responders, fading for relapsers, gradual change in talk therapy."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

import pytest

from kapclinic.accounts.models import Clinic
from kapclinic.demo.generator import GenerationResult, generate_clinic
from kapclinic.demo.workweek import workweeks
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.instruments.scoring import score
from kapclinic.measurement.models import Assessment, Occasion, SafetyTask
from kapclinic.measurement.outcomes.rules import ScorePoint, default_outcome_rules, evaluate_course

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)
# Baseline is two days before the first session and the second comes 3-4 days after it: a
# response seen before the second session is at most six days after baseline.
RAPID_ONSET_DAYS = 6


@pytest.fixture
def larger() -> GenerationResult:
    """Enough consented patients (about 300 patients) for every archetype to appear."""
    return generate_clinic(patients=300, seed=5, today=TODAY)


def test_consented_patients_have_scored_histories_and_nothing_after_today(
    demo: GenerationResult,
) -> None:
    counts = demo.trajectories
    assert counts.courses > 0
    # Besides the screenings' answers (kapclinic.demo.screening_safety), recorded as responses.
    course = Assessment.objects.exclude(occasion=Occasion.SCREENING)
    assert course.count() == counts.responses
    phq9 = get_instrument("phq9")
    for a in course.filter(instrument_code="phq9").select_related("clinic"):
        assert a.status == Assessment.Status.COMPLETED
        assert a.total == score(phq9, a.answers).total  # the engine's own result
        assert a.answers["phq9_9"] == 0  # no accidental safety alerts in the demo
        assert a.completed_at is not None
        assert a.completed_at < datetime.combine(TODAY, time.min, tzinfo=a.clinic.tzinfo)
    # Course responses raise no alert; the screenings' answers do (test_screening_safety.py).
    assert not SafetyTask.objects.exclude(assessment__occasion=Occasion.SCREENING).exists()


def test_the_archetypes_show_onset_relapse_and_non_response(larger: GenerationResult) -> None:
    archetypes = larger.trajectories.archetypes
    for name in ("rapid_sustained", "rapid_relapse", "gradual", "non_responder", "talk_gradual"):
        assert archetypes.get(name, 0) > 0, name
    rules = default_outcome_rules("phq9")
    rapid_onsets = 0
    responders = non_responders = 0
    for patient_id in (
        Assessment.objects.filter(occasion=Occasion.END_OF_COURSE)
        .values_list("patient_id", flat=True)
        .distinct()
    ):
        series = _series(patient_id)
        outcome = evaluate_course(series, rules)
        first = outcome.time_to_first_response_days.value
        assert series[1].score > series[0].score / 2  # no response before the first session
        if first is not None and first <= RAPID_ONSET_DAYS:
            rapid_onsets += 1  # responded at the first measurement after one session
        if outcome.response.value:
            responders += 1
        elif outcome.response.value is False:
            non_responders += 1
    assert rapid_onsets > 0
    assert responders > 0
    assert non_responders > 0


def test_mood_rises_after_each_ketamine_session(demo: GenerationResult) -> None:
    pairs: dict[object, dict[str, int]] = defaultdict(dict)
    for a in Assessment.objects.filter(instrument_code="mood_0_10"):
        assert a.total is not None
        pairs[a.session_ref][a.occasion] = a.total
    rises = [p["post_session"] - p["pre_session"] for p in pairs.values() if len(p) >= 2]
    assert rises
    assert sum(rises) / len(rises) >= 1  # onset: the rating jumps after the session


def _series(patient_id: int) -> list[ScorePoint]:
    rows = (
        Assessment.objects.filter(patient_id=patient_id, instrument_code="phq9")
        .exclude(occasion=Occasion.SCREENING)
        .order_by("completed_at")
    )
    return [ScorePoint(at=a.completed_at, score=a.total) for a in rows]  # type: ignore[arg-type]


def test_sessions_happen_in_the_clinics_working_hours_in_its_own_time_zone(
    demo: GenerationResult,
) -> None:
    # Issue 11.8: "before a session" used to land at 05:10 local time (9:30 UTC), and sessions
    # on Saturdays and Sundays whatever the clinic's hours.
    weeks = workweeks(Clinic.objects.all())
    sessions = Assessment.objects.filter(occasion__in=[Occasion.PRE_SESSION, Occasion.POST_SESSION])
    assert sessions
    for a in sessions.select_related("clinic"):
        assert a.completed_at is not None
        local = a.completed_at.astimezone(a.clinic.tzinfo)
        assert 8 <= local.hour < 18, local
        opens, closes = weeks[a.clinic_id].hours[local.weekday()]  # a working day
        assert opens <= local.time() <= closes, local
