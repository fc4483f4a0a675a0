"""Safety tasks raised by suicide-risk alerts: acknowledge, evaluate, escalate (writes); the
banner, the list, one task, the dosing hold and the chart timeline (reads).

Rules (clinical-reference §4.1, §4.3, §4.5, §11.G; docs/measurement.md "Safety alerts"):
- R-OUT-1 (PHQ-9 item 9 > 0), R-OUT-3 (QIDS-SR16 item 12 > 0), a positive ASQ and R-OUT-5 (a
  high-risk C-SSRS) raise an *urgent* task when the response is completed
  (services.complete_assessment, in the same transaction). A blank safety question raises a
  *follow_up* task.
- An urgent task is shown on every staff page of its clinic until a clinician acknowledges it
  with the action taken; not acknowledged within the clinic's ``safety_escalation_minutes`` it
  is escalated to the clinic admins (tasks.escalate_safety_task, and the
  ``escalate_overdue_safety_tasks`` sweep in case a queued job was lost).
- An urgent task holds the patient's next dosing session until a prescriber records an
  evaluation that clears it (R-OUT-5 "block dosing pending clinician evaluation"; applied to
  every urgent alert, the same-day suicide-risk assessment of R-OUT-1/R-OUT-3 included).
  ``blocking_safety_reasons`` is what consent.readiness.can_start_dosing reads.

Nothing here closes a task by itself: an amended or withdrawn response leaves its tasks open
for a clinician to acknowledge, so no alert disappears without a person having seen it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final
from uuid import UUID

from django.db import models, transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from kapclinic.accounts.actor import Actor, AnyActor
from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, allows
from kapclinic.accounts.services import notify_clinic_admins
from kapclinic.audit import services as audit
from kapclinic.audit.models import Operation
from kapclinic.core.reasons import clean_reason, visible_text
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.auditing import record_event
from kapclinic.measurement.exceptions import SafetyTaskError
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.models import (
    Disposition,
    EvaluationMethod,
    RiskLevel,
    SafetyPlanStatus,
    SafetyTask,
)
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import PatientAccess, access_patient
from kapclinic.patients.timeline import TimelineEntry, register_source

logger = logging.getLogger(__name__)

MIN_NOTE_LENGTH: Final = 10
MAX_FACTORS_LENGTH: Final = 1000
BANNER_NEWEST: Final = 3  # patients named in the banner; the list page has the rest
RECENTLY_RESOLVED: Final = 20

URGENT: Final = str(AlertSeverity.URGENT)
FOLLOW_UP: Final = str(AlertSeverity.FOLLOW_UP)
OPEN: Final = SafetyTask.Status.OPEN
ACKNOWLEDGED: Final = SafetyTask.Status.ACKNOWLEDGED
RESOLVED: Final = SafetyTask.Status.RESOLVED


class SafetyAction(models.TextChoices):
    """What the acknowledging clinician did (``SafetyTask.action``)."""

    CALLED_PATIENT = "called_patient", "Called the patient"
    SAFETY_PLAN_REVIEWED = "safety_plan_reviewed", "Reviewed the safety plan with the patient"
    SEEN_IN_PERSON = "seen_in_person", "Saw the patient in person"
    EMERGENCY_SERVICES = "emergency_services", "Contacted emergency services"
    OTHER = "other", "Other (described in the note)"


# --- writes -----------------------------------------------------------------------------------


def _audit(
    task: SafetyTask,
    *,
    actor: AnyActor,
    action: MeasurementAuditAction,
    changes: dict[str, tuple[object, object]],
    detail: dict[str, object] | None = None,
) -> None:
    record_event(
        actor=actor,
        operation=Operation.UPDATE,
        action=action,
        patient=task.patient,
        target=task,
        changes=dict(changes),
        detail={"rule": task.rule_id, "severity": task.severity, **(detail or {})},
    )


def _locked(task: SafetyTask) -> SafetyTask:
    return (
        SafetyTask.objects.select_for_update(of=("self",))
        .select_related("patient", "clinic", "acknowledged_by", "evaluated_by")
        .get(pk=task.pk)
    )


def _when(moment: datetime, clinic: Clinic) -> str:
    return timezone.localtime(moment, clinic.tzinfo).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def acknowledge_safety_task(
    *,
    actor: Actor,
    task: SafetyTask,
    action: str,
    note: str,
    now: datetime,
) -> SafetyTask:
    """A clinician records that they acted on an open task, and how: the task leaves the
    banner (and is never escalated after this).

    Raises SafetyTaskError for a role that may not acknowledge, an unknown action, "other"
    without a note of at least MIN_NOTE_LENGTH visible characters, or a task someone already
    acknowledged (two clinicians at once: the first wins, the second is told who did it)."""
    if not allows(actor.roles, Capability.ACKNOWLEDGE_SAFETY):
        msg = "Only a clinician (prescriber, nurse or therapist) can acknowledge."
        raise SafetyTaskError(msg)
    if action not in SafetyAction.values:
        msg = "Choose the action you took."
        raise SafetyTaskError(msg, field="action")
    note = visible_text(note)
    if action == SafetyAction.OTHER:
        note = clean_reason(
            note, minimum=MIN_NOTE_LENGTH, error=partial(SafetyTaskError, field="note")
        )
    locked = _locked(task)
    if locked.status != OPEN:
        by = locked.acknowledged_by.display_name if locked.acknowledged_by else "someone"
        when = _when(locked.acknowledged_at, locked.clinic) if locked.acknowledged_at else ""
        msg = f"Already acknowledged by {by} at {when}: your acknowledgement was not recorded."
        raise SafetyTaskError(msg)
    # Compare-and-set as well as the row lock: on SQLite select_for_update locks nothing, so
    # the status check in the UPDATE itself is what lets exactly one clinician win.
    updated = SafetyTask.objects.filter(pk=locked.pk, status=OPEN).update(
        status=ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=actor.user,
        action=action,
        action_note=note,
    )
    if updated != 1:
        msg = "Someone acknowledged this task a moment ago: reload the page."
        raise SafetyTaskError(msg)
    locked.refresh_from_db()
    _audit(
        locked,
        actor=actor,
        action=MeasurementAuditAction.SAFETY_TASK_ACKNOWLEDGED,
        changes={
            "status": (OPEN, ACKNOWLEDGED),
            "action": ("", action),
            "action_note": ("", note),
        },
    )
    return locked


@dataclass(frozen=True)
class Evaluation:
    """What the evaluating clinician records (issue 11): the structured judgement, the note,
    and whether the next dosing session is cleared. The choices are the values of the
    TextChoices in measurement.models; evaluate_safety_task checks every one."""

    risk_level: str
    method: str
    risk_factors: str
    protective_factors: str
    safety_plan: str
    disposition: str
    note: str
    cleared_for_dosing: bool = False


NOT_CLEARED_AT: Final = frozenset({RiskLevel.HIGH, RiskLevel.IMMINENT})

_CHOICES: Final[tuple[tuple[str, type[models.TextChoices], str], ...]] = (
    ("risk_level", RiskLevel, "Choose the risk level."),
    ("method", EvaluationMethod, "Choose how the risk was assessed."),
    ("safety_plan", SafetyPlanStatus, "Choose what happened to the safety plan."),
    ("disposition", Disposition, "Choose the disposition."),
)


def _factors(text: str, *, field: str, what: str) -> str:
    text = visible_text(text)
    if not text:
        msg = f"Write the {what} factors (or “none identified”)."
        raise SafetyTaskError(msg, field=field)
    if len(text) > MAX_FACTORS_LENGTH:
        msg = f"Keep the {what} factors under {MAX_FACTORS_LENGTH} characters."
        raise SafetyTaskError(msg, field=field)
    return text


def _checked(evaluation: Evaluation) -> Evaluation:
    """``evaluation`` with its texts cleaned, or SafetyTaskError naming the first bad field."""
    for field, choices, message in _CHOICES:
        if getattr(evaluation, field) not in choices.values:
            raise SafetyTaskError(message, field=field)
    risk_factors = _factors(evaluation.risk_factors, field="risk_factors", what="risk")
    protective_factors = _factors(
        evaluation.protective_factors, field="protective_factors", what="protective"
    )
    note = clean_reason(
        evaluation.note, minimum=MIN_NOTE_LENGTH, error=partial(SafetyTaskError, field="note")
    )
    # Why: R-OUT-5 holds dosing "pending clinician evaluation", and R-OUT-1 asks for a same-day
    # suicide-risk assessment; neither says which risk levels may be cleared. A clinician who
    # judges the risk high or imminent is not allowed to clear the next ketamine session in the
    # same breath: the clinic-safe default recorded in ADR 0005. The hold stays; a later
    # evaluation at a lower risk level can clear it.
    if evaluation.cleared_for_dosing and evaluation.risk_level in NOT_CLEARED_AT:
        msg = (
            f"The risk level is {RiskLevel(evaluation.risk_level).label.lower()}: the next "
            "dosing session cannot be cleared at high or imminent risk. Record the evaluation "
            "without clearing; the hold stays until a later evaluation clears it."
        )
        raise SafetyTaskError(msg, field="cleared_for_dosing")
    return dataclasses.replace(
        evaluation,
        note=note,
        risk_factors=risk_factors,
        protective_factors=protective_factors,
    )


@transaction.atomic
def evaluate_safety_task(
    *,
    actor: Actor,
    task: SafetyTask,
    evaluation: Evaluation,
    now: datetime,
) -> SafetyTask:
    """A clinician records their evaluation of an acknowledged task.

    A follow-up task is resolved by the evaluation. An urgent task is resolved, and stops
    holding dosing, only when the evaluation clears the next dosing session (a prescriber's
    decision, never at high or imminent risk); otherwise the evaluation is recorded and the
    hold stays until a later evaluation clears it (the earlier one stays in the audit trail).

    Raises SafetyTaskError for a role that may not evaluate (or clear), a missing or unknown
    choice (risk level, method, safety plan, disposition), empty risk or protective factors,
    a note shorter than MIN_NOTE_LENGTH visible characters, clearing at high or imminent risk,
    a task not acknowledged yet, or one already resolved."""
    if not allows(actor.roles, Capability.EVALUATE_SAFETY):
        msg = "Only a prescriber or therapist can record the evaluation."
        raise SafetyTaskError(msg)
    if evaluation.cleared_for_dosing and not allows(actor.roles, Capability.CLEAR_SAFETY_HOLD):
        msg = (
            "Only a prescriber can clear the next dosing session: record your evaluation "
            "without clearing, and a prescriber will decide."
        )
        raise SafetyTaskError(msg, field="cleared_for_dosing")
    evaluation = _checked(evaluation)
    locked = _locked(task)
    if locked.status == OPEN:
        msg = "Acknowledge the task with the action taken first."
        raise SafetyTaskError(msg)
    if locked.status == RESOLVED:
        by = locked.evaluated_by.display_name if locked.evaluated_by else "someone"
        msg = f"Already evaluated and resolved by {by}: nothing was changed."
        raise SafetyTaskError(msg)
    resolves = evaluation.cleared_for_dosing or locked.severity != URGENT
    new_status = RESOLVED if resolves else ACKNOWLEDGED
    values: dict[str, str] = {
        "evaluation_note": evaluation.note,
        "risk_level": evaluation.risk_level,
        "evaluation_method": evaluation.method,
        "risk_factors": evaluation.risk_factors,
        "protective_factors": evaluation.protective_factors,
        "safety_plan": evaluation.safety_plan,
        "disposition": evaluation.disposition,
    }
    old_values = {field: getattr(locked, field) for field in values}
    old_by = locked.evaluated_by_id
    updated = SafetyTask.objects.filter(pk=locked.pk, status=ACKNOWLEDGED).update(
        status=new_status, evaluated_at=now, evaluated_by=actor.user, **values
    )
    if updated != 1:
        msg = "Someone resolved this task a moment ago: reload the page."
        raise SafetyTaskError(msg)
    locked.refresh_from_db()
    _audit(
        locked,
        actor=actor,
        action=MeasurementAuditAction.SAFETY_TASK_EVALUATED,
        changes={
            "status": (ACKNOWLEDGED, new_status),
            **{field: (old_values[field], value) for field, value in values.items()},
            "evaluated_by": (old_by, actor.user.pk),
        },
        detail={"cleared_for_dosing": evaluation.cleared_for_dosing},
    )
    return locked


def escalation_due_at(task: SafetyTask) -> datetime:
    return task.created_at + timedelta(minutes=task.clinic.safety_escalation_minutes)


def _needs_escalation(task: SafetyTask, now: datetime) -> bool:
    return (
        task.severity == URGENT
        and task.status == OPEN
        and task.escalated_at is None
        and escalation_due_at(task) <= now
    )


@transaction.atomic
def escalate_if_overdue(*, task_public_id: UUID, now: datetime) -> bool:
    """Escalate one urgent task to its clinic's admins when it is still open and unescalated
    at ``now`` and its clinic's escalation time has passed; otherwise do nothing. Idempotent:
    returns whether this call escalated it.

    The admins get an in-app notice linking to the task and an e-mail without patient details
    (accounts.services.notify_clinic_admins)."""
    task = (
        SafetyTask.objects.select_for_update(of=("self",))
        .select_related("clinic", "patient")
        .filter(public_id=task_public_id)
        .first()
    )
    if task is None or not _needs_escalation(task, now):
        return False
    updated = SafetyTask.objects.filter(pk=task.pk, status=OPEN, escalated_at=None).update(
        escalated_at=now
    )
    if updated != 1:
        return False
    minutes = task.clinic.safety_escalation_minutes
    notified = notify_clinic_admins(
        clinic=task.clinic,
        subject="Urgent safety task not acknowledged",
        body=(
            f"An urgent suicide-risk safety task has waited more than {minutes} minutes for a "
            "clinician's acknowledgement. Open it and reach the patient's care team now."
        ),
        link=reverse("measurement:safety-task", args=[task.public_id]),
    )
    if notified == 0:
        # Still escalated (the banner marks it), but nobody could be told: say so loudly.
        logger.error("Safety task %s escalated, but its clinic has no active admin.", task.pk)
    task.escalated_at = now
    audit.record(
        actor=None,
        operation=Operation.UPDATE,
        action=MeasurementAuditAction.SAFETY_TASK_ESCALATED,
        clinic_id=task.clinic.public_id,
        patient_id=task.patient.public_id,
        target=audit.target_of(task),
        changes={"escalated_at": (None, now.isoformat())},
        detail={"rule": task.rule_id, "minutes": minutes, "admins_notified": notified},
    )
    return True


def escalate_overdue_safety_tasks(*, now: datetime) -> int:
    """Escalate every overdue urgent task of every clinic (the sweep behind the management
    command; each task in its own transaction). Returns how many were escalated."""
    candidates = SafetyTask.objects.filter(
        severity=URGENT, status=OPEN, escalated_at__isnull=True, created_at__lte=now
    ).select_related("clinic")
    due = [t.public_id for t in candidates if _needs_escalation(t, now)]
    return sum(escalate_if_overdue(task_public_id=public_id, now=now) for public_id in due)


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyBanner:
    """What every staff page of a clinic shows while tasks are open (not yet acknowledged)."""

    urgent: int
    follow_up: int
    escalated: int
    newest: list[SafetyTask]  # newest open tasks, urgent first (at most BANNER_NEWEST)

    @property
    def shown(self) -> bool:
        return bool(self.urgent or self.follow_up)

    @property
    def more(self) -> int:
        """Urgent tasks open beyond the ones the banner names."""
        return max(self.urgent - len(self.newest), 0)


_URGENT_FIRST = Case(When(severity=URGENT, then=Value(0)), default=Value(1))


def _count_where(condition: Q) -> Window:
    return Window(Sum(Case(When(condition, then=Value(1)), default=Value(0))))


def safety_banner(clinic: Clinic) -> SafetyBanner:
    """The clinic's open tasks for the banner, in one query whatever their number: the
    counts ride on the newest rows as window aggregates over every open task."""
    rows = list(
        SafetyTask.objects.filter(clinic=clinic, status=OPEN)
        .select_related("patient")
        .annotate(
            n_urgent=_count_where(Q(severity=URGENT)),
            n_all=Window(Count("pk")),
            n_escalated=_count_where(Q(escalated_at__isnull=False)),
        )
        .order_by(_URGENT_FIRST, "-created_at", "-id")[:BANNER_NEWEST]
    )
    if not rows:
        return SafetyBanner(urgent=0, follow_up=0, escalated=0, newest=[])
    first = rows[0]
    urgent: int = first.n_urgent
    newest: list[SafetyTask] = [t for t in rows if t.severity == URGENT] or list(rows)
    return SafetyBanner(
        urgent=urgent,
        follow_up=first.n_all - urgent,
        escalated=first.n_escalated,
        newest=newest,
    )


def active_safety_tasks(clinic: Clinic) -> QuerySet[SafetyTask]:
    """Tasks still needing someone: open first, then acknowledged (awaiting evaluation);
    urgent before follow-up; oldest first (the longest wait at the top)."""
    status_order = Case(
        When(status=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        SafetyTask.objects.filter(clinic=clinic, status__in=[OPEN, ACKNOWLEDGED])
        .select_related("patient", "acknowledged_by", "evaluated_by")
        .order_by(status_order, _URGENT_FIRST, "created_at", "id")
    )


def list_active_safety_tasks(clinic: Clinic) -> list[SafetyTask]:
    return list(active_safety_tasks(clinic))


def escalated_safety_tasks(clinic: Clinic) -> QuerySet[SafetyTask]:
    """Urgent tasks escalated to the clinic's admins because nobody acknowledged them within
    the clinic's ``safety_escalation_minutes`` and still open: the admins chase them until a
    clinician acts. Oldest first."""
    return (
        SafetyTask.objects.filter(clinic=clinic, status=OPEN, escalated_at__isnull=False)
        .select_related("patient")
        .order_by("created_at", "id")
    )


def list_recently_resolved(clinic: Clinic, limit: int = RECENTLY_RESOLVED) -> list[SafetyTask]:
    return list(
        SafetyTask.objects.filter(clinic=clinic, status=RESOLVED)
        .select_related("patient", "evaluated_by")
        .order_by("-evaluated_at", "-id")[:limit]
    )


def access_safety_task(
    *,
    actor: Actor,
    public_id: UUID,
    capability: Capability,
    action: MeasurementAuditAction,
) -> tuple[SafetyTask, PatientAccess]:
    """The task if ``actor`` may use ``capability`` on its patient; otherwise Http404 (missing
    and forbidden look alike). Writes the READ audit entry of access_patient."""
    task = (
        SafetyTask.objects.select_related(
            "assessment", "clinic", "patient", "acknowledged_by", "evaluated_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if task is None:
        raise Http404
    access = access_patient(
        actor=actor,
        public_id=task.patient.public_id,
        capability=capability,
        action=action,
    )
    task.patient = access.patient
    return task, access


def _holding(patient: Patient) -> QuerySet[SafetyTask]:
    return SafetyTask.objects.filter(patient=patient, severity=URGENT).exclude(status=RESOLVED)


def tasks_raised_by(assessment_ids: Iterable[int]) -> list[SafetyTask]:
    """The safety tasks the given responses raised (e.g. a screening's PHQ-9), urgent first."""
    ids = [i for i in assessment_ids if i]
    if not ids:
        return []
    return list(
        SafetyTask.objects.filter(assessment_id__in=ids)
        .select_related("clinic")
        .order_by("severity", "created_at", "id")
    )


def unevaluated_urgent_tasks(patient: Patient) -> list[SafetyTask]:
    """The patient's urgent safety tasks nobody has recorded an evaluation of yet, oldest
    first: they stop a screening from being signed eligible (issue 11; R-OUT-1). One query."""
    return list(
        _holding(patient)
        .filter(evaluated_at__isnull=True)
        .select_related("clinic")
        .order_by("created_at", "id")
    )


def blocking_safety_reasons(patient: Patient) -> list[str]:
    """Why a dosing session may not start for ``patient`` because of suicide-risk alerts: one
    reason per urgent task without an evaluation that cleared the next dosing session (R-OUT-5),
    oldest first. One query."""
    reasons = []
    for task in _holding(patient).select_related("clinic").order_by("created_at", "id"):
        if task.status == OPEN:
            state = "not acknowledged yet"
        elif task.evaluated_at is None:
            state = "acknowledged, no evaluation recorded"
        else:
            state = "evaluated, not cleared for dosing"
        reasons.append(
            f"Safety alert ({task.rule_id}, raised {_when(task.created_at, task.clinic)}): "
            f"{state}. A prescriber must record an evaluation that clears the next dosing "
            "session."
        )
    return reasons


# --- chart timeline ---------------------------------------------------------------------------


def safety_timeline(patient: Patient, limit: int) -> Iterator[TimelineEntry]:
    """Each task on the chart at the moment it was raised, with its current state."""
    rows = (
        SafetyTask.objects.filter(patient=patient)
        .select_related("acknowledged_by", "evaluated_by")
        .order_by("-created_at", "-id")[:limit]
    )
    for t in rows:
        if t.status == RESOLVED and t.evaluated_by:
            state = f"evaluated and resolved by {t.evaluated_by.display_name}"
        elif t.status == ACKNOWLEDGED and t.acknowledged_by:
            state = (
                f"acknowledged by {t.acknowledged_by.display_name} "
                f"({SafetyAction(t.action).label.lower()}); awaiting evaluation"
            )
        else:
            state = "open: not acknowledged yet"
        kind = "urgent" if t.severity == URGENT else "follow-up"
        yield TimelineEntry(
            at=t.created_at,
            kind="Safety",
            title=f"Safety alert ({kind}): {t.rule_id}",
            detail=state,
            url=reverse("measurement:safety-task", args=[t.public_id]),
            link_capability=Capability.VIEW_SAFETY_TASKS,
        )


def register_timeline() -> None:
    register_source("measurement.safety_tasks", safety_timeline)
