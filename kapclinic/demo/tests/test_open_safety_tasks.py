"""On the real date the demo shows the safety path (R-OUT-1): each clinic open today has an urgent
task, still open, from a screening recorded earlier today with PHQ-9 item 9 above "not at all";
its prescriber cannot sign it, and nobody can dose the patient, before an evaluation. A clinic
closed today or not open yet records nothing today: a task of its last working day is still
unacknowledged instead, escalated to the admins when it fell due, and their Today shows it.
Without ``now`` (the tests' clinics) nothing is left open."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_tasks import task_backends

from kapclinic.accounts.models import Clinic, Role, User
from kapclinic.demo.generator import DEMO_LOGINS, GenerationResult, generate_clinic
from kapclinic.demo.stages import SHOWCASE_AFTER_OPENING
from kapclinic.demo.workweek import Workweek, workweeks
from kapclinic.measurement.models import Assessment, SafetyTask
from kapclinic.measurement.safety.services import (
    blocking_safety_reasons,
    escalate_overdue_safety_tasks,
    escalation_due_at,
)
from kapclinic.screening.models import EligibilityDecision, Screening

pytestmark = pytest.mark.django_db
BOSTON = ZoneInfo("America/New_York")
WEDNESDAY, SATURDAY = date(2026, 11, 25), date(2026, 11, 28)


def _build(day: date, hour: int, seed: int, minute: int = 0) -> datetime:
    now = datetime.combine(day, time(hour, minute), tzinfo=BOSTON)
    result = generate_clinic(patients=80, seed=seed, today=day, now=now)
    left = SafetyTask.objects.filter(status=SafetyTask.Status.OPEN)
    escalated = left.filter(escalated_at__isnull=False).count()
    assert result.safety_tasks_left == (left.count(), escalated)
    assert left.count() > 0
    return now


def _open_today(week: Workweek, day: date, now: datetime) -> bool:
    """Whether the clinic has been open long enough today to have screened someone."""
    if not week.is_open(day):
        return False
    opens = datetime.combine(day, week.hours[day.weekday()][0], tzinfo=week.tz)
    return now > opens + SHOWCASE_AFTER_OPENING


def _last_working_day(week: Workweek, day: date) -> date:
    day -= timedelta(days=1)
    while not week.is_open(day):
        day -= timedelta(days=1)
    return day


def _screening_of(task: SafetyTask) -> Screening:
    return Screening.objects.get(phq9_response=task.assessment_id)


def _open_urgent(clinic: Clinic) -> list[SafetyTask]:
    return list(
        SafetyTask.objects.filter(clinic=clinic, severity="urgent", status=SafetyTask.Status.OPEN)
    )


# Seed 10 opens Lakeside (Chicago) on Saturday mornings and Harborview (Boston) on weekdays only.
@pytest.mark.parametrize(
    ("day", "hour", "seed"),
    [(WEDNESDAY, 14, 11), (SATURDAY, 12, 10)],
    ids=["wednesday-14h", "saturday-noon"],
)
def test_each_clinic_open_today_has_an_open_urgent_task_from_a_screening_this_morning(
    day: date, hour: int, seed: int
) -> None:
    now = _build(day, hour, seed)
    weeks = workweeks(Clinic.objects.all())
    checked = 0
    for clinic in Clinic.objects.order_by("id"):
        week = weeks[clinic.pk]
        tasks = _open_urgent(clinic)
        assert tasks, clinic.code
        for task in tasks:
            screening = _screening_of(task)
            assert screening.phq9_answers is not None
            assert screening.phq9_answers[8] > 0
            assert task.rule_id.startswith("R-OUT-1")
            assert task.created_at == screening.recorded_at < now
            # Unacknowledged, so unevaluated: no eligible signature, no dosing (R-OUT-1).
            assert task.acknowledged_at is None
            assert not EligibilityDecision.objects.filter(screening=screening).exists()
            assert blocking_safety_reasons(screening.patient)
            # Escalated when it fell due, if it has.
            due = escalation_due_at(task)
            assert task.escalated_at == (due if due <= now else None)
        recorded = {_screening_of(t).recorded_at.astimezone(week.tz).date() for t in tasks}
        if _open_today(week, day, now):
            assert day in recorded, clinic.code
            checked += 1
        else:  # Boston on Saturday: nothing today, Friday's task still open
            assert recorded == {_last_working_day(week, day)}, clinic.code
    assert checked == (2 if day == WEDNESDAY else 1)
    # Nothing recorded after now; the cron sweep finds nothing more to escalate.
    assert not Screening.objects.filter(recorded_at__gte=now).exists()
    assert not Assessment.objects.filter(completed_at__gte=now).exists()
    assert escalate_overdue_safety_tasks(now=now) == 0
    # Item 9 keeps a plausible share.
    screenings = Screening.objects.exclude(phq9_answers=None)
    positive = [s for s in screenings if s.phq9_answers and s.phq9_answers[8] > 0]
    assert len(positive) < screenings.count() * 0.4


def test_before_opening_nothing_is_recorded_today_and_the_admin_sees_the_escalated_task() -> None:
    now = _build(WEDNESDAY, 7, 11)  # 07:00 in Boston, 06:00 in Chicago: both open at 08:00
    weeks = workweeks(Clinic.objects.all())
    for clinic in Clinic.objects.order_by("id"):
        week = weeks[clinic.pk]
        start = datetime.combine(WEDNESDAY, time.min, tzinfo=week.tz)
        assert not Screening.objects.filter(clinic=clinic, recorded_at__gte=start).exists()
        (task,) = _open_urgent(clinic)
        screening = _screening_of(task)
        local = screening.recorded_at.astimezone(week.tz)
        assert local.date() == _last_working_day(week, WEDNESDAY)  # Tuesday
        opens, closes = week.hours[local.weekday()]
        assert opens <= local.time() <= closes
        # Not acknowledged: escalated to the admins when it fell due, as the job would have.
        assert task.acknowledged_at is None
        assert task.escalated_at == escalation_due_at(task) < now
        assert not EligibilityDecision.objects.filter(screening=screening).exists()
    assert escalate_overdue_safety_tasks(now=now) == 0

    boston = Clinic.objects.get(code="BOS")
    (task,) = _open_urgent(boston)
    pages = {}
    for role in (Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE):
        client = Client()
        client.force_login(User.objects.get(email=DEMO_LOGINS[role][0]))
        pages[role] = client.get(reverse("today:today")).content.decode()
    link = reverse("measurement:safety-task", args=[task.public_id])
    assert "Escalated safety tasks" in pages[Role.CLINIC_ADMIN]
    assert link in pages[Role.CLINIC_ADMIN]
    assert "still not acknowledged" in pages[Role.CLINIC_ADMIN]
    for role in (Role.PRESCRIBER, Role.NURSE):
        assert link in pages[role]
        assert "Urgent, open: PHQ-9 item 9 (thoughts of death or self-harm)" in pages[role]


def test_without_now_every_task_was_handled(demo: GenerationResult) -> None:
    assert demo.stages.safety_tasks > 0
    assert demo.safety_tasks_left == (0, 0)
    assert not SafetyTask.objects.exclude(status=SafetyTask.Status.RESOLVED).exists()


def test_a_task_not_due_yet_has_its_escalation_job_queued_for_its_time() -> None:
    """`make run` with `make worker`: an open urgent task the demo leaves behind escalates on
    time when nobody acknowledges it, as one raised in the app does (the queued job)."""
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        # Boston opens at 8:00: this morning's task was raised after 8:30, due after 9:00.
        now = _build(WEDNESDAY, 8, 11, minute=45)
        results = task_backends["default"].results  # type: ignore[attr-defined]
        queued = {
            r.kwargs["task_public_id"]: r.task.run_after
            for r in results
            if r.task.name == "escalate_safety_task"
        }
    not_due = [
        task
        for task in SafetyTask.objects.filter(
            severity="urgent", status=SafetyTask.Status.OPEN, escalated_at=None
        )
        if escalation_due_at(task) > now
    ]
    assert not_due
    assert queued == {str(task.public_id): escalation_due_at(task) for task in not_due}
