"""The demo's measurement plans (issue 11.8): every course running or about to start is enrolled
in the plan that matches its treatment, through the plan service, with its history recorded
as the answers to the plan's assignments; on a weekend the sessions still fall on the clinic's
working days, in its hours and time zone, and Today says when it opens next."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.audit.models import AuditEvent
from kapclinic.consent.models import ConsentRecord
from kapclinic.demo.generator import DEMO_LOGINS, DEMO_PATIENT_LOGIN, generate_clinic
from kapclinic.demo.plans import TALK_THERAPY_PLAN
from kapclinic.demo.workweek import Workweek, workweeks
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN
from kapclinic.measurement.models import (
    Assessment,
    Assignment,
    Mode,
    Occasion,
    PlanEnrolment,
)
from kapclinic.measurement.plans.selectors import count_due, list_patient_due
from kapclinic.patients.models import Patient
from kapclinic.screening.models import EligibilityDecision

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)  # a Wednesday
SATURDAY, SUNDAY = date(2026, 11, 28), date(2026, 11, 29)


def _start_of(day: date, clinic: Clinic) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clinic.tzinfo)


def test_every_live_course_is_enrolled_in_its_plan_and_its_history_answers_the_plan() -> None:
    result = generate_clinic(patients=60, seed=11, today=TODAY, plans=True)
    live, plans = result.trajectories.live, result.plans

    assert plans.enrolled == plans.live == len(live) >= 2
    assert plans.talk_therapy == sum(not c.ketamine for c in live) >= 1
    enrolments = {e.patient_id: e for e in PlanEnrolment.objects.select_related("plan")}
    assert set(enrolments) == {c.patient_id for c in live}
    for course in live:
        enrolment = enrolments[course.patient_id]
        # The plan that matches the treatment, starting on the first session's (local) day.
        wanted = DEFAULT_PLAN if course.ketamine else TALK_THERAPY_PLAN
        assert enrolment.plan.code == wanted.code
        assert enrolment.starts_on == course.sessions[0].starts_at.date()
        assert enrolment.enrolled_by is not None
        # Eligible and consented: a signed decision and a valid consent.
        assert EligibilityDecision.objects.filter(screening__patient=course.patient_id).exists()
        assert ConsentRecord.objects.filter(
            patient=course.patient_id, countersigned_at__isnull=False, withdrawn_at=None
        ).exists()
        # Every session booked: the questionnaires before it are assigned.
        before = Assignment.objects.filter(enrolment=enrolment, occasion=Occasion.PRE_SESSION)
        assert {a.session_ref for a in before} == {s.ref for s in course.sessions}
        assert not before.filter(instrument_code="mood_0_10").exists() or course.ketamine

    # The history of the live courses is the plan's answered assignments, nothing besides.
    completed = Assignment.objects.filter(status=Assignment.Status.COMPLETED)
    assert completed.count() == plans.responses > 0
    assert all(a.assessment is not None for a in completed.select_related("assessment"))
    course_responses = Assessment.objects.exclude(occasion=Occasion.SCREENING)
    assert course_responses.count() == result.trajectories.responses + plans.responses
    for a in completed.select_related("assessment", "clinic"):
        assert a.assessment is not None
        assert a.assessment.completed_at is not None
        assert a.due_at <= a.assessment.completed_at < _start_of(TODAY, a.clinic)
    # Written by the services, so audited.
    assert AuditEvent.objects.filter(action="measurement.enrolled").count() == plans.enrolled


def test_the_portal_login_has_a_real_record_with_something_due_at_home() -> None:
    result = generate_clinic(patients=150, seed=10, today=TODAY, plans=True)
    patient = Patient.objects.select_related("clinic").get(portal_user__email=DEMO_PATIENT_LOGIN)

    assert patient.pk in {c.patient_id for c in result.trajectories.live}
    assert ConsentRecord.objects.filter(
        patient=patient, countersigned_at__isnull=False, withdrawn_at=None
    ).exists()
    assert EligibilityDecision.objects.filter(screening__patient=patient).exists()
    assert Assessment.objects.filter(patient=patient, occasion=Occasion.BASELINE).count() == 2
    # Due from the start of the day on (so whenever the demo is opened that day), at home.
    due = list_patient_due(patient.pk, _start_of(TODAY, patient.clinic))
    assert [r for r in due if r.assignment.mode != Mode.STAFF]


@pytest.mark.parametrize("day", [SATURDAY, SUNDAY], ids=["saturday", "sunday"])
def test_on_a_weekend_the_demo_books_sessions_on_working_days_and_today_says_when(
    day: date,
) -> None:
    # make run at 10:00 in Boston on a weekend: "today" is the real date, the clock is not
    # moved; seed 10 opens Lakeside (Chicago) on Saturday mornings and Harborview (Boston)
    # on weekdays only.
    frozen = datetime.combine(day, time(10), tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(frozen, tick=False):
        call_command("generate_demo", "--patients", "150", "--seed", "10", stdout=StringIO())
        weeks = workweeks(Clinic.objects.all())
        enrolments = list(PlanEnrolment.objects.select_related("clinic"))
        assert len(enrolments) >= 4
        for enrolment in enrolments:
            assert weeks[enrolment.clinic_id].is_open(enrolment.starts_on)
        sessions = Assignment.objects.filter(session_ref__isnull=False).select_related("clinic")
        assert sessions.filter(anchor_at__gte=frozen).exists()  # booked ahead
        for a in sessions.filter(occasion=Occasion.PRE_SESSION):  # anchored at the start
            _assert_in_hours(weeks[a.clinic_id], a.anchor_at)
        for a in sessions.filter(occasion=Occasion.POST_SESSION):  # anchored at the end
            _assert_in_hours(weeks[a.clinic_id], a.anchor_at)
        # Due and overdue now, on the worklist: each from a session on a working day, or the
        # baseline of a course starting on one.
        now = timezone.now()
        assert sum(count_due(c, now).total for c in Clinic.objects.all()) > 0
        for a in Assignment.objects.filter(status=Assignment.Status.OPEN, due_at__lte=now):
            week = weeks[a.clinic_id]
            if a.session_ref is not None:
                assert week.is_open(_session_start(a).astimezone(week.tz).date())
            else:
                assert week.is_open(a.anchor_at.astimezone(week.tz).date())
        # Nothing recorded after the real now.
        assert not Assessment.objects.filter(completed_at__gt=now).exists()

        boston = Clinic.objects.get(code="BOS")
        nurse = Client()
        nurse.force_login(User.objects.get(email=DEMO_LOGINS[Role.NURSE][0]))
        page = nurse.get(reverse("today:today")).content.decode()
        if weeks[boston.pk].is_open(day):
            assert "closed today" not in page
        else:
            monday = day + timedelta(days=7 - day.weekday())
            assert f"closed today; next open Monday {monday.day} {monday:%B}, 08:00–18:00" in page


def _session_start(a: Assignment) -> datetime:
    """The start of the session an assignment belongs to."""
    return (
        Assignment.objects.filter(
            enrolment=a.enrolment_id, session_ref=a.session_ref, occasion=Occasion.PRE_SESSION
        )
        .values_list("anchor_at", flat=True)
        .get(instrument_code="phq9")
    )


def _assert_in_hours(week: Workweek, moment: datetime) -> None:
    local = moment.astimezone(week.tz)
    opens, closes = week.hours[local.weekday()]
    assert opens <= local.time() <= closes, local
    assert time(8) <= local.time() <= time(18), local
