"""The patient portal: a patient sees only their own record."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.permissions import PATIENT, Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.consent.exceptions import ConsentError
from kapclinic.consent.forms import SignatureForm
from kapclinic.consent.models import ConsentStatusCode, SignedVia, TreatmentType
from kapclinic.consent.readiness import ELIGIBILITY_FAMILY
from kapclinic.consent.selectors import ConsentStatus, consent_overview
from kapclinic.consent.services import record_patient_signature
from kapclinic.measurement.models import Assessment, SafetyTask
from kapclinic.measurement.views import answer_questionnaire, late_save
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import get_own_record
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
        eligible = decision is not None and decision.outcome != "not_eligible"
        if eligible or status.record is not None:
            offered.append(status)
    return offered


@require_GET
@requires(Capability.VIEW_OWN_RECORD)
def home(request: ClinicRequest) -> HttpResponse:
    patient = get_own_record(request.user)
    open_questionnaires = list(
        Assessment.objects.filter(patient=patient, status=Assessment.Status.IN_PROGRESS).order_by(
            "created_at"
        )
    )
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "consents": offered_consents(patient),
            "questionnaires": open_questionnaires,
        },
    )


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
                actor=request.user,
                roles={PATIENT},
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
    assessment = (
        Assessment.objects.select_related("patient", "clinic")
        .filter(public_id=public_id, patient=patient)
        .first()
    )
    if assessment is None:
        raise Http404
    if assessment.status != Assessment.Status.IN_PROGRESS:
        if (late := late_save(request)) is not None:
            return late
        messages.info(request, "This questionnaire is finished. Thank you.")
        return redirect("portal:home")
    response = answer_questionnaire(
        request,
        assessment,
        actor=request.user,
        roles={PATIENT},
        form_action=reverse("portal:questionnaire", args=[assessment.public_id]),
        page_template="portal/questionnaire.html",
        context={"patient": patient},
    )
    if response is not None:
        return response
    messages.success(request, "Thank you: your answers reached your care team.")
    if SafetyTask.objects.filter(assessment=assessment, severity="urgent").exists():
        messages.warning(
            request,
            "Some of your answers tell us you may be having thoughts of harming "
            "yourself. Your care team has been alerted and will contact you. If you are "
            "in danger now, call 911; call or text 988 at any time.",
        )
    return redirect("portal:home")
