"""Safety task pages: the clinic's list and one task (acknowledge, evaluate). The banner every
staff page shows while tasks are open is services.safety_banner, read by the page layout
(kapclinic.today.context_processors)."""

from __future__ import annotations

from typing import Final
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import SafetyTaskError
from kapclinic.measurement.licensing.selectors import administrable_codes
from kapclinic.measurement.models import (
    Disposition,
    EvaluationMethod,
    RiskLevel,
    SafetyPlanStatus,
    SafetyTask,
)
from kapclinic.measurement.safety.services import (
    MAX_FACTORS_LENGTH,
    RESOLVED,
    URGENT,
    Evaluation,
    SafetyAction,
    access_safety_task,
    acknowledge_safety_task,
    blocking_safety_reasons,
    evaluate_safety_task,
    list_active_safety_tasks,
    list_recently_resolved,
)
from kapclinic.patients.access import access_record
from kapclinic.patients.selectors import PatientAccess

ASQ: Final = "asq"  # public domain (NIMH): kapclinic can always give it
CSSRS: Final = "cssrs_screener"  # licensed: on paper unless the clinic loaded its wording


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(
        choices=SafetyAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the action you took."},
    )
    note = forms.CharField(required=False, max_length=2000)


def _choice(choices: list[tuple[str, str]], required: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=choices, widget=forms.RadioSelect, error_messages={"required": required}
    )


def _factors(required: str) -> forms.CharField:
    return forms.CharField(max_length=MAX_FACTORS_LENGTH, error_messages={"required": required})


class EvaluateForm(forms.Form):
    """Every field but the clearing is required (issue 11); the service checks them again."""

    risk_level = _choice(RiskLevel.choices, "Choose the risk level.")
    method = _choice(EvaluationMethod.choices, "Choose how the risk was assessed.")
    risk_factors = _factors("Write the risk factors (or “none identified”).")
    protective_factors = _factors("Write the protective factors (or “none identified”).")
    safety_plan = _choice(SafetyPlanStatus.choices, "Choose what happened to the safety plan.")
    disposition = _choice(Disposition.choices, "Choose the disposition.")
    note = forms.CharField(max_length=4000, error_messages={"required": "Write the evaluation."})
    cleared_for_dosing = forms.BooleanField(required=False)

    def evaluation(self) -> Evaluation:
        data = self.cleaned_data
        return Evaluation(
            risk_level=data["risk_level"],
            method=data["method"],
            risk_factors=data["risk_factors"],
            protective_factors=data["protective_factors"],
            safety_plan=data["safety_plan"],
            disposition=data["disposition"],
            note=data["note"],
            cleared_for_dosing=data["cleared_for_dosing"],
        )


def _refused(request: ClinicRequest, form: forms.Form, error: SafetyTaskError) -> None:
    """A field's error goes next to the field; one about the task itself (someone else acted
    first) goes to the messages, because the form may no longer be shown."""
    if error.field:
        form.add_error(error.field, error.message)
    else:
        messages.error(request, error.message)


@require_GET
@requires(Capability.VIEW_SAFETY_TASKS)
def task_list(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request,
        "measurement/safety/list.html",
        {
            "active": list_active_safety_tasks(clinic),
            "resolved": list_recently_resolved(clinic),
            "urgent": URGENT,
        },
    )


def _assessments_now(task: SafetyTask) -> dict[str, bool]:
    """Which suicide-risk assessments can be given on the tablet right now, in the patient's
    clinic (the C-SSRS once the clinic has loaded its licensed wording)."""
    codes = administrable_codes(task.clinic_id)
    return {"asq": ASQ in codes, "cssrs": CSSRS in codes}


def _evaluation_labels(task: SafetyTask) -> dict[str, str]:
    """The structured evaluation's labels (empty on evaluations recorded before it existed)."""
    return {
        "risk_level": task.get_risk_level_display() if task.risk_level else "",
        "method": task.get_evaluation_method_display() if task.evaluation_method else "",
        "safety_plan": task.get_safety_plan_display() if task.safety_plan else "",
        "disposition": task.get_disposition_display() if task.disposition else "",
    }


def _task_page(
    request: ClinicRequest,
    task: SafetyTask,
    access: PatientAccess,
    *,
    acknowledge_form: AcknowledgeForm | None = None,
    evaluate_form: EvaluateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "measurement/safety/task.html",
        {
            "task": task,
            "patient": task.patient,
            "urgent": task.severity == URGENT,
            "resolved": task.status == RESOLVED,
            "action_label": SafetyAction(task.action).label if task.action else "",
            "hold": blocking_safety_reasons(task.patient) if task.severity == URGENT else [],
            "acknowledge_form": acknowledge_form or AcknowledgeForm(),
            "evaluate_form": evaluate_form or EvaluateForm(),
            "evaluation": _evaluation_labels(task),
            "can_give_now": _assessments_now(task),
            "access": access,
            "asq": ASQ,
            "cssrs": CSSRS,
        },
        status=status,
    )


@require_GET
@requires(Capability.VIEW_SAFETY_TASKS)
def task_detail(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    task, access = access_record(
        request, access_safety_task, public_id, action=MeasurementAuditAction.SAFETY_TASK_OPENED
    )
    return _task_page(request, task, access)


@require_POST
@requires(Capability.ACKNOWLEDGE_SAFETY)
def acknowledge(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    task, access = access_record(
        request,
        access_safety_task,
        public_id,
        action=MeasurementAuditAction.SAFETY_TASK_ACKNOWLEDGE_OPENED,
    )
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            acknowledge_safety_task(
                actor=access.actor,
                task=task,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except SafetyTaskError as error:
            _refused(request, form, error)
        else:
            messages.success(request, "Safety task acknowledged.")
            return redirect("measurement:safety-task", public_id=task.public_id)
    task.refresh_from_db()
    return _task_page(request, task, access, acknowledge_form=form, status=422)


@require_POST
@requires(Capability.EVALUATE_SAFETY)
def evaluate(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    task, access = access_record(
        request,
        access_safety_task,
        public_id,
        action=MeasurementAuditAction.SAFETY_TASK_EVALUATE_OPENED,
    )
    form = EvaluateForm(request.POST)
    if form.is_valid():
        try:
            done = evaluate_safety_task(
                actor=access.actor,
                task=task,
                evaluation=form.evaluation(),
                now=timezone.now(),
            )
        except SafetyTaskError as error:
            _refused(request, form, error)
        else:
            messages.success(
                request,
                "Evaluation recorded; the task is resolved."
                if done.status == RESOLVED
                else "Evaluation recorded; the next dosing session stays on hold until a "
                "prescriber clears it.",
            )
            return redirect("measurement:safety-task", public_id=task.public_id)
    task.refresh_from_db()
    return _task_page(request, task, access, evaluate_form=form, status=422)
