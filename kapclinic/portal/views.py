"""The patient portal: a patient sees only their own record."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.consent.exceptions import ConsentError
from kapclinic.consent.forms import SignatureForm
from kapclinic.consent.models import ConsentStatusCode, SignedVia, TreatmentType
from kapclinic.consent.readiness import ELIGIBILITY_FAMILY
from kapclinic.consent.selectors import ConsentStatus, consent_overview
from kapclinic.consent.services import record_patient_signature
from kapclinic.dosing.preparation.selectors import coming_dosing_sessions
from kapclinic.dosing.selectors import latest_discharge
from kapclinic.measurement.exceptions import PlanError
from kapclinic.measurement.models import Assessment, Assignment, Mode
from kapclinic.measurement.plans.selectors import Row, get_own_assignment, list_patient_due
from kapclinic.measurement.plans.services import start_assignment
from kapclinic.measurement.responses.selectors import (
    get_own_assessment,
    list_open_own_assessments,
)
from kapclinic.measurement.responses.views import answer_questionnaire, late_save
from kapclinic.measurement.safety.selectors import has_urgent_task
from kapclinic.patients.exceptions import ReminderConsentError
from kapclinic.patients.models import Patient
from kapclinic.patients.reminder_views import EmailRemindersForm
from kapclinic.patients.selectors import get_own_record
from kapclinic.patients.services.reminders import set_email_reminders
from kapclinic.portal.progress import list_trends
from kapclinic.screening.selectors import current_eligibility


def offered_consents(patient: Patient) -> list[ConsentStatus]:
    """The consent documents the portal offers the patient: a published document for a treatment
    they were found eligible for (a signed decision), or one they signed before (so a new
    version or a withdrawal shows). Nothing is offered for treatments nobody planned."""
    offered = []
    for status in consent_overview(patient, now=timezone.now()):
        if status.document is None:
            continue
        decision = current_eligibility(patient, ELIGIBILITY_FAMILY[status.treatment_type])
        eligible = decision is not None and decision.allows_treatment
        if eligible or status.record is not None:
            offered.append(status)
    return offered


def _continues(row: Row) -> Assessment | None:
    """The response already started for a due questionnaire, if it is still in progress."""
    assessment = row.assignment.assessment
    if assessment is not None and assessment.status == Assessment.Status.IN_PROGRESS:
        return assessment
    return None


@require_GET
@requires(Capability.VIEW_OWN_RECORD)
def home(request: ClinicRequest) -> HttpResponse:
    patient = get_own_record(request.user)
    # Due from the measurement plan (answered with one tap), then any other unfinished
    # questionnaire (one a staff member started, or sent a link to).
    # Staff-mode ones (a mood rating in the chair) are given in the clinic, not here.
    due = [
        row
        for row in list_patient_due(patient.pk, timezone.now())
        if row.assignment.mode != Mode.STAFF
    ]
    shown = {a.pk for row in due if (a := _continues(row)) is not None}
    open_questionnaires = [a for a in list_open_own_assessments(patient) if a.pk not in shown]
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "consents": offered_consents(patient),
            "codes": ConsentStatusCode,
            "due": [(row, _continues(row)) for row in due],
            "trends": list_trends(patient, patient.clinic.local_today()),
            "questionnaires": open_questionnaires,
            # Issue 15.7: what the patient takes home from their latest dosing session.
            "discharge": latest_discharge(patient.pk),
            "dosing_sessions": coming_dosing_sessions(patient, timezone.now()),
        },
    )


@require_POST
@requires(Capability.ANSWER_OWN_QUESTIONNAIRES)
def start_due(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Start (or continue) the response to one of the patient's due questionnaires: the same
    service as staff use, so finishing it completes the plan's assignment."""
    patient = get_own_record(request.user)
    assignment = get_own_assignment(patient.pk, public_id)
    try:
        assessment = start_assignment(actor=request.actor, assignment=assignment, mode=Mode.PORTAL)
    except PlanError:
        if assignment.status == Assignment.Status.OPEN:  # it cannot be shown (licensed texts)
            messages.info(
                request,
                "This questionnaire cannot be opened here at the moment: your care team will "
                "give it to you at your next visit.",
            )
        else:
            messages.info(request, "This questionnaire is no longer waiting for you. Thank you.")
        return redirect("portal:home")
    return redirect("portal:questionnaire", public_id=assessment.public_id)


@require_http_methods(["GET", "POST"])
@requires(Capability.SIGN_OWN_CONSENT)
def sign_consent(request: ClinicRequest, treatment_type: str) -> HttpResponse:
    """The patient reads the current document and signs it with their typed name and the box;
    a staff member countersigns in the clinic before it counts."""
    patient = get_own_record(request.user)
    status = next(
        (s for s in offered_consents(patient) if s.treatment_type.value == treatment_type), None
    )
    if status is None or status.document is None:
        raise Http404
    if status.valid or status.code == ConsentStatusCode.AWAITING_COUNTERSIGNATURE:
        messages.info(request, "You have already signed this document: nothing more to sign.")
        return redirect("portal:home")
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_patient_signature(
                actor=request.actor,
                patient=patient,
                document=status.document,
                typed_name=form.cleaned_data["typed_name"],
                agreed=form.cleaned_data["agreed"],
                signed_via=SignedVia.PORTAL,
                now=timezone.now(),
            )
        except ConsentError as error:
            message = error.message
            if error.field == "typed_name":  # the staff wording speaks of "the patient"
                message = f"Type your full name as your clinic has it: {patient.full_name}."
            form.add_error(error.field, message)
        else:
            messages.success(
                request,
                "Thank you: your consent is recorded. A member of the care team countersigns it "
                "at your next visit.",
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/consent_sign.html",
        {
            "patient": patient,
            "document": status.document,
            "kind": TreatmentType(treatment_type),
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.ANSWER_OWN_QUESTIONNAIRES)
def questionnaire(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """One of the patient's unfinished questionnaires, answered in the portal (the same form
    and rules as on the clinic's tablet and the one-time link page)."""
    patient = get_own_record(request.user)
    assessment = get_own_assessment(patient, public_id)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        if (late := late_save(request)) is not None:
            return late
        messages.info(request, "This questionnaire is finished. Thank you.")
        return redirect("portal:home")
    response = answer_questionnaire(
        request,
        assessment,
        actor=request.actor,
        form_action=reverse("portal:questionnaire", args=[assessment.public_id]),
        page_template="portal/questionnaire.html",
        context={"patient": patient},
    )
    if response is not None:
        return response
    messages.success(request, "Thank you: your answers reached your care team.")
    if has_urgent_task(assessment):
        messages.warning(
            request,
            "Some of your answers tell us you may be having thoughts of harming "
            "yourself. Your care team has been alerted and will contact you. If you are "
            "in danger now, call 911; call or text 988 at any time.",
        )
    return redirect("portal:home")


@require_POST
@requires(Capability.SIGN_OWN_CONSENT)
def email_reminders(request: ClinicRequest) -> HttpResponse:
    """The patient agrees to appointment reminders by e-mail, or stops them (audited)."""
    patient = get_own_record(request.user)
    form = EmailRemindersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose yes or no for e-mail reminders.")
        return redirect("portal:home")
    try:
        set_email_reminders(
            actor=request.actor,
            patient=patient,
            consent=form.cleaned_data["email_reminders"],
            now=timezone.now(),
        )
    except ReminderConsentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your choice on e-mail reminders is saved.")
    return redirect("portal:home")
