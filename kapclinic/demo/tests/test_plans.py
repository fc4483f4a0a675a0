"""The demo's measurement-plan enrolments: upcoming courses get their baseline questionnaires
due on the worklist, and nothing the history already holds is asked again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from kapclinic.demo.generator import generate_clinic
from kapclinic.demo.plans import PER_CLINIC
from kapclinic.measurement.models import Assessment, Assignment, Occasion, PlanEnrolment
from kapclinic.measurement.plans.selectors import count_due

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def test_upcoming_courses_are_enrolled_with_their_baseline_due_on_the_day() -> None:
    result = generate_clinic(patients=400, seed=3, today=TODAY)
    enrolments = list(PlanEnrolment.objects.select_related("clinic"))

    assert result.plan_enrolments == len(enrolments) > 0
    assert max(Counter(e.clinic_id for e in enrolments).values()) <= PER_CLINIC
    upcoming = dict(result.trajectories.upcoming)
    for enrolment in enrolments:
        assert enrolment.starts_on == upcoming[enrolment.patient_id] > TODAY
        # Nothing recorded yet: the plan asks exactly what the history lacks.
        course = Assessment.objects.exclude(occasion=Occasion.SCREENING)
        assert not course.filter(patient=enrolment.patient_id).exists()
        baseline = Assignment.objects.filter(enrolment=enrolment, occasion=Occasion.BASELINE)
        assert sorted(baseline.values_list("instrument_code", flat=True)) == ["gad7", "phq9"]
    # On the morning of the demo's day, some of them are due (their window opened) and none is
    # overdue yet.
    morning = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14)
    due = [count_due(clinic, morning) for clinic in {e.clinic for e in enrolments}]
    assert sum(c.due for c in due) > 0
    assert sum(c.overdue for c in due) == 0
