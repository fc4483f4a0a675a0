"""Screening pages: record from the chart, read with every rule result, override, sign, mark
entered in error."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability, allows, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.safety.services import tasks_raised_by, unevaluated_urgent_tasks
from kapclinic.patients.access import access_patient, access_record
from kapclinic.screening.audit_actions import ScreeningAuditAction
from kapclinic.screening.exceptions import ScreeningForbiddenError, ScreeningRefusedError
from kapclinic.screening.forms import (
    FINDING_GROUPS,
    EnteredInErrorForm,
    OverrideForm,
    ScreeningForm,
    SignForm,
)
from kapclinic.screening.models import Screening
from kapclinic.screening.rules import RuleStatus, Severity
from kapclinic.screening.selectors import (
    access_screening,
    get_decision,
    list_overrides,
    list_screenings,
)
from kapclinic.screening.services import (
    SIGNABLE,
    mark_entered_in_error,
    may_mark_entered_in_error,
    override_flag,
    record_screening,
    sign_decision,
)


@require_http_methods(["GET", "POST"])
@requires(Capability.SCREEN_PATIENT)
def new(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=ScreeningAuditAction.FORM_OPENED)
    patient = access.patient
    form = ScreeningForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            screening = record_screening(
                actor=access.actor,
                patient=patient,
                answers=form.answers(),
                now=timezone.now(),
            )
        except (ScreeningRefusedError, LookupError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Screening recorded and evaluated.")
            raised = tasks_raised_by(
                [screening.phq9_response_id or 0, screening.gad7_response_id or 0]
            )
            if any(t.severity == AlertSeverity.URGENT for t in raised):
                messages.error(
                    request,
                    "The answers raised an urgent suicide-risk alert: follow it up today "
                    "(safety task below). The patient cannot be signed eligible until its "
                    "evaluation is recorded.",
                )
            return redirect("screening:detail", public_id=screening.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "screening/screening_form.html",
        {"form": form, "patient": patient, "groups": FINDING_GROUPS},
        status=status,
    )


@require_GET
@requires(Capability.SCREEN_PATIENT)
def history(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=ScreeningAuditAction.HISTORY_VIEWED)
    return render(
        request,
        "screening/history.html",
        {"patient": access.patient, "screenings": list_screenings(access.patient)},
    )


# The rule table in clinical words, not the engine's values (issue 11.4).
KIND_LABELS = {
    Severity.HARD_STOP: "Contraindication (cannot be overridden)",
    Severity.FLAG: "Needs a prescriber's decision",
    Severity.REQUIRED_DATA: "Information the screening needs",
    Severity.INFO: "Precaution for the sessions",
}
RESULT_LABELS = {
    RuleStatus.FIRED: "Applies",
    RuleStatus.NOT_FIRED: "Does not apply",
    RuleStatus.NOT_EVALUATED: "Not assessed: information missing",
    RuleStatus.NOT_APPLICABLE: "Not relevant to this programme",
    RuleStatus.DISABLED: "Turned off by the clinic's screening policy",
}
# What the review page leads with: the rules that apply, by what they ask of the prescriber.
DECISION_GROUPS = (
    (Severity.HARD_STOP, "Contraindications: the patient is not eligible"),
    (Severity.FLAG, "Flags a prescriber decides on (override with a reason, or not eligible)"),
    (Severity.REQUIRED_DATA, "Information still missing (the screening is incomplete)"),
    (Severity.INFO, "Precautions to carry into the sessions"),
)


def _readable(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "kind_label": KIND_LABELS.get(r["severity"], r["severity"]),
            "result_label": RESULT_LABELS.get(r["status"], r["status"]),
        }
        for r in results
    ]


def _decisions(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups = []
    for severity, title in DECISION_GROUPS:
        rows = [
            r
            for r in results
            if r["severity"] == severity
            and (
                r["status"] == RuleStatus.FIRED
                or (severity == Severity.REQUIRED_DATA and r["status"] == RuleStatus.NOT_EVALUATED)
            )
        ]
        if rows:
            groups.append({"title": title, "rows": rows})
    return groups


def _detail(
    request: ClinicRequest,
    screening: Screening,
    *,
    override_form: OverrideForm | None = None,
    sign_form: SignForm | None = None,
    error_form: EnteredInErrorForm | None = None,
    actor: Actor,
    status: int = 200,
) -> HttpResponse:
    prescriber = allows(request.actor.roles, Capability.DECIDE_ELIGIBILITY)
    evaluated = screening.status == Screening.Status.EVALUATED
    # Suicide-risk alerts from this screening's answers, and any urgent one of the patient's
    # without an evaluation: signing eligible waits for it (services.sign_decision, R-OUT-1).
    raised = tasks_raised_by([screening.phq9_response_id or 0, screening.gad7_response_id or 0])
    pending = unevaluated_urgent_tasks(screening.patient) if evaluated else []
    context: dict[str, Any] = {
        "safety_tasks": raised,
        "pending_evaluations": pending,
        "screening": screening,
        "patient": screening.patient,
        "results": _readable(screening.result),
        "decide": _decisions(_readable(screening.result)),
        "overrides": list_overrides(screening),
        "decision": get_decision(screening),
        "can_override": prescriber and evaluated,
        "open_flags": screening.open_flags,
        "override_form": override_form,
        "can_sign": prescriber and evaluated and screening.outcome in SIGNABLE,
        "sign_form": sign_form or SignForm(),
        "can_mark_entered_in_error": not screening.is_entered_in_error
        and may_mark_entered_in_error(actor=actor, screening=screening),
        "error_form": error_form or EnteredInErrorForm(),
    }
    return render(request, "screening/screening_detail.html", context, status=status)


@require_GET
@requires(Capability.SCREEN_PATIENT)
def detail(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(request, access_screening, public_id, action=ScreeningAuditAction.VIEWED)
    return _detail(request, found.screening, actor=found.access.actor)


@require_POST
@requires(Capability.DECIDE_ELIGIBILITY)
def override(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_screening, public_id, action=ScreeningAuditAction.OVERRIDE_OPENED
    )
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            override_flag(
                actor=found.access.actor,
                screening=found.screening,
                rule_id=form.cleaned_data["rule_id"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ScreeningRefusedError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Override recorded; the screening was re-evaluated.")
            return redirect("screening:detail", public_id=found.screening.public_id)
    return _detail(
        request, found.screening, override_form=form, actor=found.access.actor, status=422
    )


@require_POST
@requires(Capability.DECIDE_ELIGIBILITY)
def sign(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_screening, public_id, action=ScreeningAuditAction.SIGN_OPENED
    )
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            sign_decision(
                actor=found.access.actor,
                screening=found.screening,
                notes=form.cleaned_data["notes"],
                now=timezone.now(),
            )
        except ScreeningRefusedError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Eligibility decision signed.")
            return redirect("screening:detail", public_id=found.screening.public_id)
    return _detail(request, found.screening, sign_form=form, actor=found.access.actor, status=422)


@require_POST
@requires(Capability.SCREEN_PATIENT)
def entered_in_error(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_screening, public_id, action=ScreeningAuditAction.ENTERED_IN_ERROR_OPENED
    )
    actor = found.access.actor
    screening = found.screening
    # Who may is decided before the reason is read: someone who may not gets 403 whatever they
    # typed, and an already retracted screening answers with its own message below.
    if not screening.is_entered_in_error and not may_mark_entered_in_error(
        actor=actor, screening=screening
    ):
        msg = "Marking this screening entered in error"
        raise PermissionDenied(msg)
    form = EnteredInErrorForm(request.POST)
    if form.is_valid():
        try:
            mark_entered_in_error(
                actor=actor,
                screening=screening,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ScreeningForbiddenError as error:
            raise PermissionDenied(error.message) from error
        except ScreeningRefusedError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Screening marked entered in error; it no longer counts.")
            return redirect("screening:detail", public_id=screening.public_id)
    return _detail(request, screening, error_form=form, actor=actor, status=422)
