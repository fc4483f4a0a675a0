"""Measurement-plan pages: the clinic's worklist of due and overdue questionnaires with its
actions (send a link, start in the clinic, cancel), and enrolling a patient in a plan."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.redirects import local_url
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.models import Mode
from kapclinic.measurement.plans.forms import DEFAULT_CHOICE, CancelForm, EnrolForm
from kapclinic.measurement.plans.selectors import (
    access_assignment,
    get_open_enrolment,
    list_enrollable_plans,
    list_patient_due,
    page_of_worklist,
    rows,
)
from kapclinic.measurement.plans.services import (
    cancel_assignment,
    enrol,
    ensure_default_plan,
    send_link,
    start_assignment,
)
from kapclinic.patients.access import access_patient, access_record


def _back(request: ClinicRequest) -> str:
    """Where an action returns: the page it came from (a local path), else the worklist."""
    return local_url(request, request.POST.get("next")) or reverse("measurement:worklist")


@require_GET
@requires(Capability.VIEW_OUTCOMES)
def worklist(request: ClinicRequest) -> HttpResponse:
    """The clinic's due and overdue questionnaires, overdue first, one page at a time."""
    clinic = current_clinic(request)
    now = timezone.now()
    page = page_of_worklist(clinic, now, request.GET.get("page"))
    return render(
        request,
        "measurement/plans/worklist.html",
        {"page": page, "rows": rows(list(page.object_list), now), "now": now, "by_link": Mode.LINK},
    )


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def send_link_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_assignment, public_id, action=MeasurementAuditAction.ASSIGNMENT_OPENED
    )
    patient = found.assignment.patient
    if not patient.email and patient.portal_user_id is not None:
        # The portal is this patient's channel: every due questionnaire is on their portal
        # page, answered with one tap after they sign in. Nothing to send, nothing refused.
        messages.info(
            request,
            "Due in the patient's portal: no e-mail address is on file, so no link was sent, "
            "and the patient sees this questionnaire when they sign in to the portal. To send "
            "a link as well, add an e-mail address to the patient's contact details.",
        )
        return redirect(_back(request))
    try:
        send_link(
            actor=found.actor,
            assignment=found.assignment,
            now=timezone.now(),
            link_for=lambda token: request.build_absolute_uri(
                reverse("questionnaire-link", args=[token])
            ),
        )
    except PlanError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The link was e-mailed to the patient.")
    return redirect(_back(request))


@require_POST
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def start_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_assignment, public_id, action=MeasurementAuditAction.ASSIGNMENT_OPENED
    )
    try:
        assessment = start_assignment(actor=found.actor, assignment=found.assignment)
    except PlanError as error:
        messages.error(request, error.message)
        return redirect(_back(request))
    return redirect("measurement:administer", public_id=assessment.public_id)


@require_http_methods(["GET", "POST"])
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def cancel_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_record(
        request, access_assignment, public_id, action=MeasurementAuditAction.ASSIGNMENT_OPENED
    )
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_assignment(
                actor=found.actor,
                assignment=found.assignment,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except PlanError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, "The questionnaire was cancelled.")
            return redirect("measurement:worklist")
    now = timezone.now()
    return render(
        request,
        "measurement/plans/cancel.html",
        {"form": form, "row": rows([found.assignment], now)[0]},
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.ADMINISTER_QUESTIONNAIRES)
def enrol_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Enrol a patient in a measurement plan (the clinic's copy of the default, or another)."""
    access = access_patient(request, public_id, action=MeasurementAuditAction.ENROL_OPENED)
    patient = access.patient
    plans = list_enrollable_plans(patient.clinic)
    form = EnrolForm(request.POST or None, plans=plans)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["plan"]
        try:
            if choice == DEFAULT_CHOICE:
                plan = ensure_default_plan(clinic=patient.clinic)
            else:
                plan = next(p for p in plans if str(p.public_id) == choice)
            enrol(
                actor=access.actor,
                patient=patient,
                plan=plan,
                starts_on=form.cleaned_data["starts_on"],
            )
        except PlanError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Enrolled in {plan}; the baseline questionnaires are due.")
            return redirect("patients:chart", public_id=patient.public_id)
    now = timezone.now()
    return render(
        request,
        "measurement/plans/enrol.html",
        {
            "form": form,
            "patient": patient,
            "enrolment": get_open_enrolment(patient.pk),
            "due": list_patient_due(patient.pk, now),
        },
        status=422 if request.method == "POST" else 200,
    )
