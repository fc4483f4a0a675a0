"""Safety tasks (R-OUT-1, R-OUT-3, R-OUT-5): acknowledging with a documented action, the
clinical evaluation and the dosing hold, escalation to the clinic admins (queued job and sweep),
the banner on every staff page, the pages, and the chart timeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import task_backends

from kapclinic.accounts.actor import Actor, as_roles
from kapclinic.accounts.models import Clinic, Role, StaffNotice, User
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.exceptions import SafetyTaskError
from kapclinic.measurement.models import Assessment, Mode, SafetyTask
from kapclinic.measurement.responses.services import complete_assessment, start_assessment
from kapclinic.measurement.safety.jobs import escalate_safety_task
from kapclinic.measurement.safety.services import (
    Evaluation,
    acknowledge_safety_task,
    blocking_safety_reasons,
    escalate_overdue_safety_tasks,
    evaluate_safety_task,
    safety_banner,
)
from kapclinic.patients.models import Patient
from kapclinic.patients.timeline import build_timeline

pytestmark = pytest.mark.django_db
ITEM9 = {f"phq9_{n}": 1 for n in range(1, 10)}  # item 9 answered "several days"
NOTE = "Called the patient: no plan or intent, safety plan reviewed with them."
EVALUATION = Evaluation(
    risk_level="low",
    method="clinical_interview",
    risk_factors="Passive thoughts of death during a low week.",
    protective_factors="Partner at home, engaged in therapy.",
    safety_plan="reviewed",
    disposition="continue_outpatient",
    note=NOTE,
)
EVALUATION_FORM = {
    "risk_level": "low",
    "method": "clinical_interview",
    "risk_factors": EVALUATION.risk_factors,
    "protective_factors": EVALUATION.protective_factors,
    "safety_plan": "reviewed",
    "disposition": "continue_outpatient",
    "note": NOTE,
}


@pytest.fixture
def home(clinics: list[Clinic]) -> Clinic:
    return clinics[0]


@pytest.fixture
def patients(home: Clinic) -> list[Patient]:
    return list(Patient.objects.filter(clinic=home).order_by("id")[:6])


@pytest.fixture
def patient(patients: list[Patient]) -> Patient:
    return patients[0]


@pytest.fixture
def user(demo_user: Callable[[Role], User]) -> Callable[[Role], User]:
    return demo_user


def _evaluation(note: str = NOTE, *, cleared: bool = False, **changes: Any) -> Evaluation:
    return dataclasses.replace(EVALUATION, note=note, cleared_for_dosing=cleared, **changes)


def _roles(role: Role) -> set[str]:
    return {role.value}


def _urgent(patient: Patient, nurse: User, **kwargs: Any) -> SafetyTask:
    """Complete a real PHQ-9 with item 9 = 1 through the services; its urgent task."""
    assessment = start_assessment(
        actor=Actor(user=nurse, roles=as_roles(_roles(Role.NURSE))),
        patient=patient,
        instrument_code="phq9",
        mode=Mode.STAFF,
    )
    done = complete_assessment(
        actor=Actor(user=nurse, roles=as_roles(_roles(Role.NURSE))),
        assessment=assessment,
        answers=ITEM9,
        now=kwargs.get("now", timezone.now()),
    )
    assert done.urgent_alerts == 1
    return SafetyTask.objects.get(assessment=assessment)


def _follow_up(task: SafetyTask) -> SafetyTask:
    """A follow-up task (a blank safety question) next to ``task``; completion refuses blank
    required items, so these come from partial responses: created directly here."""
    return SafetyTask.objects.create(
        patient=task.patient,
        clinic=task.clinic,
        assessment=task.assessment,
        rule_id="R-OUT-1.item9.unanswered",
        severity="follow_up",
        message="PHQ-9 item 9 was left unanswered.",
        created_at=timezone.now(),
    )


def _acknowledge(task: SafetyTask, actor: User, role: Role = Role.NURSE, **kw: Any) -> SafetyTask:
    return acknowledge_safety_task(
        actor=Actor(user=actor, roles=as_roles(_roles(role))),
        task=task,
        action=kw.get("action", "called_patient"),
        note=kw.get("note", ""),
        now=timezone.now(),
    )


# --- acknowledge ------------------------------------------------------------------------------


def test_acknowledging_records_the_action_and_audits_the_status_change(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    nurse = user(Role.NURSE)
    task = _urgent(patient, nurse)
    done = _acknowledge(task, nurse, action="safety_plan_reviewed", note=" reviewed ")
    assert (done.status, done.action, done.action_note) == (
        "acknowledged",
        "safety_plan_reviewed",
        "reviewed",
    )
    assert done.acknowledged_by == nurse
    event = AuditEvent.objects.get(action="measurement.safety_task_acknowledged")
    assert event.changes["status"] == ["open", "acknowledged"]
    assert event.patient_public_id == patient.public_id


@pytest.mark.parametrize(
    ("action", "note", "message"),
    [
        ("", "", "Choose the action you took"),
        ("hugged", "", "Choose the action you took"),
        ("other", "", "at least 10 characters"),
        ("other", "\u202e" * 20 + "  short ", "at least 10 characters"),
    ],
)
def test_an_acknowledgement_without_a_documented_action_is_refused(
    patient: Patient, user: Callable[[Role], User], action: str, note: str, message: str
) -> None:
    nurse = user(Role.NURSE)
    task = _urgent(patient, nurse)
    with pytest.raises(SafetyTaskError, match=message):
        _acknowledge(task, nurse, action=action, note=note)
    task.refresh_from_db()
    assert task.status == "open"


@pytest.mark.parametrize("role", [Role.CLINIC_ADMIN, Role.FRONT_DESK, Role.RESEARCHER])
def test_only_clinicians_acknowledge(
    patient: Patient, user: Callable[[Role], User], role: Role
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    with pytest.raises(SafetyTaskError, match="Only a clinician"):
        _acknowledge(task, user(role), role)


def test_two_clinicians_at_once_the_first_wins_and_the_second_is_told_who(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    nurse, prescriber = user(Role.NURSE), user(Role.PRESCRIBER)
    task = _urgent(patient, nurse)
    seen_by_second = SafetyTask.objects.get(pk=task.pk)  # both opened the open task
    _acknowledge(task, nurse)
    with pytest.raises(SafetyTaskError, match=f"Already acknowledged by {nurse.display_name}"):
        _acknowledge(seen_by_second, prescriber, Role.PRESCRIBER, action="seen_in_person")
    task.refresh_from_db()
    assert (task.acknowledged_by, task.action) == (nurse, "called_patient")
    assert AuditEvent.objects.filter(action="measurement.safety_task_acknowledged").count() == 1


# --- evaluate and the dosing hold -------------------------------------------------------------


def test_an_urgent_task_holds_dosing_until_a_prescriber_clears_it(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    nurse, therapist, prescriber = user(Role.NURSE), user(Role.THERAPIST), user(Role.PRESCRIBER)
    task = _urgent(patient, nurse)
    assert "not acknowledged yet" in blocking_safety_reasons(patient)[0]
    with pytest.raises(SafetyTaskError, match="Acknowledge the task"):
        evaluate_safety_task(
            actor=Actor(user=prescriber, roles=as_roles(_roles(Role.PRESCRIBER))),
            task=task,
            evaluation=_evaluation(NOTE, cleared=True),
            now=timezone.now(),
        )
    _acknowledge(task, nurse)
    assert "no evaluation recorded" in blocking_safety_reasons(patient)[0]

    with pytest.raises(SafetyTaskError, match="Only a prescriber can clear"):
        evaluate_safety_task(
            actor=Actor(user=therapist, roles=as_roles(_roles(Role.THERAPIST))),
            task=task,
            evaluation=_evaluation(NOTE, cleared=True),
            now=timezone.now(),
        )
    kept = evaluate_safety_task(
        actor=Actor(user=therapist, roles=as_roles(_roles(Role.THERAPIST))),
        task=task,
        evaluation=_evaluation(NOTE),
        now=timezone.now(),
    )
    assert kept.status == "acknowledged"
    assert "evaluated, not cleared" in blocking_safety_reasons(patient)[0]

    done = evaluate_safety_task(
        actor=Actor(user=prescriber, roles=as_roles(_roles(Role.PRESCRIBER))),
        task=task,
        evaluation=_evaluation(
            "Reviewed the therapist's evaluation; cleared for Thursday.", cleared=True
        ),
        now=timezone.now(),
    )
    assert (done.status, done.evaluated_by) == ("resolved", prescriber)
    assert blocking_safety_reasons(patient) == []
    events = AuditEvent.objects.filter(action="measurement.safety_task_evaluated").order_by("id")
    assert [e.changes["status"] for e in events] == [
        ["acknowledged", "acknowledged"],
        ["acknowledged", "resolved"],
    ]
    # The therapist's earlier evaluation stays in the audit trail.
    assert events[1].changes["evaluation_note"][0] == NOTE
    with pytest.raises(SafetyTaskError, match="Already evaluated"):
        evaluate_safety_task(
            actor=Actor(user=prescriber, roles=as_roles(_roles(Role.PRESCRIBER))),
            task=task,
            evaluation=_evaluation(NOTE, cleared=True),
            now=timezone.now(),
        )


@pytest.mark.parametrize(
    ("role", "note", "message"),
    [
        (Role.NURSE, NOTE, "Only a prescriber or therapist"),
        (Role.PRESCRIBER, "fine", "at least 10 characters"),
        (Role.PRESCRIBER, "\u202e" * 30, "at least 10 characters"),
    ],
)
def test_an_evaluation_needs_an_evaluating_role_and_a_real_note(
    patient: Patient, user: Callable[[Role], User], role: Role, note: str, message: str
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    with pytest.raises(SafetyTaskError, match=message):
        evaluate_safety_task(
            actor=Actor(user=user(role), roles=as_roles(_roles(role))),
            task=task,
            evaluation=_evaluation(note),
            now=timezone.now(),
        )
    task.refresh_from_db()
    assert task.evaluated_at is None


def test_a_follow_up_task_never_holds_dosing_and_an_evaluation_resolves_it(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    urgent = _urgent(patient, user(Role.NURSE))
    follow_up = _follow_up(urgent)
    assert len(blocking_safety_reasons(patient)) == 1
    _acknowledge(follow_up, user(Role.THERAPIST), Role.THERAPIST)
    done = evaluate_safety_task(
        actor=Actor(user=user(Role.THERAPIST), roles=as_roles(_roles(Role.THERAPIST))),
        task=follow_up,
        evaluation=_evaluation("Asked item 9 in session: answered not at all."),
        now=timezone.now(),
    )
    assert done.status == "resolved"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"risk_level": ""}, "risk_level"),
        ({"risk_level": "somewhat"}, "risk_level"),
        ({"method": ""}, "method"),
        ({"safety_plan": ""}, "safety_plan"),
        ({"disposition": ""}, "disposition"),
        ({"risk_factors": "  "}, "risk_factors"),
        ({"protective_factors": "\u202e" * 5}, "protective_factors"),
    ],
)
def test_an_evaluation_needs_every_structured_entry(
    patient: Patient, user: Callable[[Role], User], changes: dict[str, Any], field: str
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    with pytest.raises(SafetyTaskError) as refused:
        evaluate_safety_task(
            actor=Actor(user=user(Role.PRESCRIBER), roles=as_roles(_roles(Role.PRESCRIBER))),
            task=task,
            evaluation=dataclasses.replace(EVALUATION, **changes),
            now=timezone.now(),
        )
    assert refused.value.field == field
    task.refresh_from_db()
    assert (task.evaluated_at, task.risk_level) == (None, "")


def test_the_structured_evaluation_is_stored_and_audited(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    done = evaluate_safety_task(
        actor=Actor(user=user(Role.PRESCRIBER), roles=as_roles(_roles(Role.PRESCRIBER))),
        task=task,
        evaluation=_evaluation(
            cleared=True,
            risk_level="moderate",
            method="cssrs_paper",
            safety_plan="updated",
            disposition="more_frequent_contact",
            risk_factors="  Recent job loss.  ",
        ),
        now=timezone.now(),
    )
    assert (done.status, done.risk_level, done.evaluation_method) == (
        "resolved",
        "moderate",
        "cssrs_paper",
    )
    assert (done.safety_plan, done.disposition) == ("updated", "more_frequent_contact")
    assert (done.risk_factors, done.protective_factors) == (
        "Recent job loss.",
        EVALUATION.protective_factors,
    )
    event = AuditEvent.objects.get(action="measurement.safety_task_evaluated")
    assert event.changes["risk_level"] == ["", "moderate"]
    assert event.changes["evaluation_method"] == ["", "cssrs_paper"]
    assert event.changes["risk_factors"] == ["", "Recent job loss."]
    assert event.changes["protective_factors"] == ["", EVALUATION.protective_factors]
    assert event.changes["safety_plan"] == ["", "updated"]
    assert event.changes["disposition"] == ["", "more_frequent_contact"]
    assert event.detail["cleared_for_dosing"] is True


@pytest.mark.parametrize("risk_level", ["high", "imminent"])
def test_dosing_is_never_cleared_at_high_or_imminent_risk(
    patient: Patient, user: Callable[[Role], User], risk_level: str
) -> None:
    prescriber = user(Role.PRESCRIBER)
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    with pytest.raises(SafetyTaskError, match="cannot be cleared at high or imminent") as refused:
        evaluate_safety_task(
            actor=Actor(user=prescriber, roles=as_roles(_roles(Role.PRESCRIBER))),
            task=task,
            evaluation=_evaluation(cleared=True, risk_level=risk_level),
            now=timezone.now(),
        )
    assert refused.value.field == "cleared_for_dosing"
    task.refresh_from_db()
    assert task.evaluated_at is None
    # Recorded without clearing: the evaluation stands and the hold stays.
    kept = evaluate_safety_task(
        actor=Actor(user=prescriber, roles=as_roles(_roles(Role.PRESCRIBER))),
        task=task,
        evaluation=_evaluation(
            risk_level=risk_level, disposition="emergency_department", safety_plan="created"
        ),
        now=timezone.now(),
    )
    assert (kept.status, kept.risk_level) == ("acknowledged", risk_level)
    assert "evaluated, not cleared" in blocking_safety_reasons(patient)[0]


def test_the_database_refuses_a_resolved_urgent_task_at_high_risk_and_unknown_choices(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    done = evaluate_safety_task(
        actor=Actor(user=user(Role.PRESCRIBER), roles=as_roles(_roles(Role.PRESCRIBER))),
        task=task,
        evaluation=_evaluation(cleared=True),
        now=timezone.now(),
    )
    rows = SafetyTask.objects.filter(pk=done.pk)
    for bad in ({"risk_level": "high"}, {"disposition": "sent_home"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**bad)
    done.refresh_from_db()
    assert (done.risk_level, done.disposition) == ("low", "continue_outpatient")


# --- escalation -------------------------------------------------------------------------------


def test_an_unacknowledged_urgent_task_is_escalated_once_when_due(
    patient: Patient,
    user: Callable[[Role], User],
    home: Clinic,
    django_capture_on_commit_callbacks: Any,
) -> None:
    home.safety_escalation_minutes = 20
    home.save(update_fields=["safety_escalation_minutes"])
    start = timezone.now()
    task = _urgent(patient, user(Role.NURSE), now=start)
    with time_machine.travel(start + timedelta(minutes=19), tick=False):
        assert escalate_safety_task.call(task_public_id=str(task.public_id)) is False
    with (
        time_machine.travel(start + timedelta(minutes=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert escalate_safety_task.call(task_public_id=str(task.public_id)) is True
        assert escalate_safety_task.call(task_public_id=str(task.public_id)) is False
    task.refresh_from_db()
    assert task.escalated_at == start + timedelta(minutes=20)
    assert task.status == "open"  # escalation informs; only a clinician closes it
    admins = User.objects.filter(
        memberships__clinic=home, memberships__role=Role.CLINIC_ADMIN, memberships__is_active=True
    ).distinct()
    notices = StaffNotice.objects.filter(clinic=home, subject="Urgent safety task not acknowledged")
    assert notices.count() == admins.count() > 0
    assert notices[0].link == reverse("measurement:safety-task", args=[task.public_id])
    assert patient.family_name not in notices[0].body
    assert len(mail.outbox) == 1
    assert patient.family_name not in mail.outbox[0].body
    assert patient.mrn not in mail.outbox[0].body
    event = AuditEvent.objects.get(action="measurement.safety_task_escalated")
    assert event.detail["admins_notified"] == admins.count()


def test_an_acknowledged_task_is_never_escalated(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    start = timezone.now()
    task = _urgent(patient, user(Role.NURSE), now=start)
    _acknowledge(task, user(Role.NURSE))
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert escalate_safety_task.call(task_public_id=str(task.public_id)) is False
        assert escalate_overdue_safety_tasks(now=timezone.now()) == 0
    assert not AuditEvent.objects.filter(action="measurement.safety_task_escalated").exists()


def test_the_sweep_escalates_each_overdue_task_once_by_its_clinics_time(
    patients: list[Patient], user: Callable[[Role], User], home: Clinic
) -> None:
    start = timezone.now()
    nurse = user(Role.NURSE)
    overdue = _urgent(patients[0], nurse, now=start - timedelta(minutes=31))
    recent = _urgent(patients[1], nurse, now=start - timedelta(minutes=29))
    _follow_up(overdue)  # follow-up tasks are not escalated
    out: list[str] = []
    for _ in range(2):
        with time_machine.travel(start, tick=False):
            call_command("escalate_overdue_safety_tasks", stdout=_Collect(out))
    assert out == ["Escalated 1 overdue safety task(s).\n", "Escalated 0 overdue safety task(s).\n"]
    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert overdue.escalated_at is not None
    assert recent.escalated_at is None


class _Collect:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.append(text)

    def flush(self) -> None:
        pass


def test_completion_queues_the_escalation_for_when_it_falls_due(
    patient: Patient, user: Callable[[Role], User], django_capture_on_commit_callbacks: Any
) -> None:
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        start = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            task = _urgent(patient, user(Role.NURSE), now=start)
        results = task_backends["default"].results  # type: ignore[attr-defined]
        queued = [r for r in results if r.task.name == "escalate_safety_task"]
    assert len(queued) == 1
    assert queued[0].task.run_after == start + timedelta(minutes=30)
    assert queued[0].kwargs == {"task_public_id": str(task.public_id)}


# --- banner and pages -------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_banner_shows_open_urgent_tasks_on_every_staff_page_until_acknowledged(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    nurse = user(Role.NURSE)
    task = _urgent(patient, nurse)
    for role in (Role.NURSE, Role.FRONT_DESK, Role.CLINIC_ADMIN):
        page = _client(user(role)).get(reverse("today:today")).content.decode()
        assert "1 urgent safety task open" in page, role
        assert reverse("measurement:safety-task", args=[task.public_id]) in page
        assert 'class="banner banner-danger" role="alert"' in page
    researcher = _client(user(Role.RESEARCHER)).get(reverse("today:today")).content.decode()
    assert "safety task" not in researcher
    assert patient.family_name not in researcher
    _acknowledge(task, nurse)
    page = _client(nurse).get(reverse("today:today")).content.decode()
    assert "urgent safety task" not in page


def test_follow_up_tasks_get_a_quieter_line_not_the_red_banner(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _follow_up(task)
    _acknowledge(task, user(Role.NURSE))
    banner = safety_banner(patient.clinic)
    assert (banner.urgent, banner.follow_up) == (0, 1)
    page = _client(user(Role.NURSE)).get(reverse("today:today")).content.decode()
    assert "1 follow-up safety task open" in page
    assert "banner-danger" not in page


def test_the_banner_costs_one_query_whatever_the_number_of_tasks(
    patients: list[Patient], user: Callable[[Role], User]
) -> None:
    nurse = user(Role.NURSE)
    client = _client(nurse)
    url = reverse("patients:list")
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    _urgent(patients[0], nurse)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    assert "1 urgent safety task open" in page
    for p in patients[1:]:
        _follow_up(_urgent(p, nurse))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "6 urgent safety tasks open" in page
    assert "and 3 more" in page
    assert "5 follow-up safety tasks open" in page
    assert len(many) == len(one) == len(none) + 1  # no open task: the banner is not read
    with CaptureQueriesContext(connection) as direct:
        banner = safety_banner(patients[0].clinic)
    assert len(direct.captured_queries) == 1
    assert (banner.urgent, banner.follow_up, len(banner.newest), banner.more) == (6, 5, 3, 3)


def test_the_list_puts_open_urgent_and_oldest_first(
    patients: list[Patient], user: Callable[[Role], User]
) -> None:
    nurse = user(Role.NURSE)
    start = timezone.now()
    oldest = _urgent(patients[0], nurse, now=start - timedelta(hours=3))
    newer = _urgent(patients[1], nurse, now=start - timedelta(hours=1))
    acknowledged = _urgent(patients[2], nurse, now=start - timedelta(hours=5))
    _acknowledge(acknowledged, nurse)
    follow_up = _follow_up(oldest)
    page = _client(nurse).get(reverse("measurement:safety-tasks")).content.decode()
    page = page[page.index('id="active-heading"') :]  # after the banner
    order = [
        page.index(reverse("measurement:safety-task", args=[t.public_id]))
        for t in (oldest, newer, follow_up, acknowledged)
    ]
    assert order == sorted(order)


def test_acknowledging_and_evaluating_through_the_task_page(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    nurse, prescriber = _client(user(Role.NURSE)), _client(user(Role.PRESCRIBER))
    url = reverse("measurement:safety-task", args=[task.public_id])
    assert "Acknowledge" in nurse.get(url).content.decode()
    refused = nurse.post(
        reverse("measurement:safety-acknowledge", args=[task.public_id]), {"action": "other"}
    )
    assert refused.status_code == 422
    assert "Give the reason in words" in refused.content.decode()
    ok = nurse.post(
        reverse("measurement:safety-acknowledge", args=[task.public_id]),
        {"action": "called_patient", "note": ""},
    )
    assert ok.status_code == 302
    late = prescriber.post(
        reverse("measurement:safety-acknowledge", args=[task.public_id]),
        {"action": "seen_in_person"},
    )
    assert late.status_code == 422
    assert "Already acknowledged by" in late.content.decode()
    page = prescriber.get(url).content.decode()
    assert "The next dosing session is on hold" in page
    done = prescriber.post(
        reverse("measurement:safety-evaluate", args=[task.public_id]),
        {**EVALUATION_FORM, "cleared_for_dosing": "on"},
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == "resolved"
    assert "on hold" not in prescriber.get(url).content.decode()


def test_the_evaluation_form_requires_the_structured_entry_and_shows_it(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    prescriber = _client(user(Role.PRESCRIBER))
    url = reverse("measurement:safety-evaluate", args=[task.public_id])
    page = prescriber.get(reverse("measurement:safety-task", args=[task.public_id]))
    assert 'name="risk_level" value="imminent"' in page.content.decode()
    bare = prescriber.post(url, {"note": NOTE, "cleared_for_dosing": "on"})
    assert bare.status_code == 422
    for message in (
        "Choose the risk level.",
        "Choose how the risk was assessed.",
        "Choose the disposition.",
    ):
        assert message in bare.content.decode()
    high = prescriber.post(
        url, {**EVALUATION_FORM, "risk_level": "high", "cleared_for_dosing": "on"}
    )
    assert high.status_code == 422
    assert "cannot be cleared at high or imminent risk" in high.content.decode()
    assert 'value="high" id="id_risk_level_2" checked' in high.content.decode()  # kept
    task.refresh_from_db()
    assert (task.evaluated_at, task.status) == (None, "acknowledged")
    done = prescriber.post(
        url, {**EVALUATION_FORM, "method": "asq_in_app", "cleared_for_dosing": "on"}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.risk_level, task.evaluation_method) == (
        "resolved",
        "low",
        "asq_in_app",
    )
    shown = prescriber.get(reverse("measurement:safety-task", args=[task.public_id]))
    page_text = shown.content.decode()
    for text in (
        "<dt>Risk level</dt><dd>Low</dd>",
        "ASQ given in kapclinic",
        "Reviewed",
        "Continue outpatient care",
        EVALUATION.protective_factors,
    ):
        assert text in page_text


def test_the_task_page_offers_the_asq_now_and_the_cssrs_on_paper(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    therapist = _client(user(Role.THERAPIST))
    page = therapist.get(reverse("measurement:safety-task", args=[task.public_id])).content
    text = page.decode()
    assert "Give the ASQ on the tablet" in text
    assert f'action="{reverse("measurement:patient", args=[patient.public_id])}"' in text
    assert 'name="instrument" value="asq"' in text
    assert "The C-SSRS is done on paper" in text
    # The button starts the ASQ in the clinic and opens the questionnaire page.
    started = therapist.post(
        reverse("measurement:patient", args=[patient.public_id]),
        {"instrument": "asq", "occasion": "ad_hoc", "mode": "staff"},
    )
    assert started.status_code == 302
    assessment = Assessment.objects.get(patient=patient, instrument_code="asq")
    assert started["Location"] == reverse("measurement:administer", args=[assessment.public_id])


def test_the_desk_is_not_offered_the_asq(patient: Patient, user: Callable[[Role], User]) -> None:
    task = _urgent(patient, user(Role.NURSE))
    page = _client(user(Role.FRONT_DESK)).get(
        reverse("measurement:safety-task", args=[task.public_id])
    )
    assert "Give the ASQ" not in page.content.decode()


def test_a_task_of_another_clinic_is_not_found(
    clinics: list[Clinic], user: Callable[[Role], User]
) -> None:
    other = Patient.objects.filter(clinic=clinics[1]).order_by("id")[0]
    nurse_there = User.objects.filter(
        memberships__clinic=clinics[1], memberships__role=Role.NURSE
    ).first()
    assert nurse_there is not None
    task = _urgent(other, nurse_there)
    home_only = user(Role.NURSE)
    if home_only.memberships.filter(clinic=clinics[1]).exists():
        pytest.skip("the demo nurse also works in the second clinic")
    client = _client(home_only)
    assert client.get(reverse("measurement:safety-task", args=[task.public_id])).status_code == 404
    post = client.post(
        reverse("measurement:safety-acknowledge", args=[task.public_id]),
        {"action": "called_patient"},
    )
    assert post.status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_researchers_never_see_safety_tasks() -> None:
    for capability in (
        Capability.VIEW_SAFETY_TASKS,
        Capability.ACKNOWLEDGE_SAFETY,
        Capability.EVALUATE_SAFETY,
        Capability.CLEAR_SAFETY_HOLD,
    ):
        assert not allows({Role.RESEARCHER}, capability)


def test_the_chart_timeline_shows_the_task_and_its_state(
    patient: Patient, user: Callable[[Role], User]
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    _acknowledge(task, user(Role.NURSE))
    entries = [e for e in build_timeline(patient).entries if e.kind == "Safety"]
    assert len(entries) == 1
    assert entries[0].title == "Safety alert (urgent): R-OUT-1.item9"
    assert "acknowledged by" in entries[0].detail
    assert entries[0].url == reverse("measurement:safety-task", args=[task.public_id])


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_the_desk_and_admins_see_that_a_task_is_open_but_not_the_answers(
    patient: Patient, user: Callable[[Role], User], role: Role
) -> None:
    task = _urgent(patient, user(Role.NURSE))
    client = _client(user(role))
    for url in (
        reverse("measurement:safety-task", args=[task.public_id]),
        reverse("measurement:safety-tasks"),
    ):
        page = client.get(url).content.decode()
        assert "Suicide-risk alert: a clinician must act on it" in page
        assert task.message not in page
        assert "phq9_9" not in page
