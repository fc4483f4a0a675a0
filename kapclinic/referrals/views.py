from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, allows, current_clinic, requires
from kapclinic.accounts.selectors import clinics_with_ids
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.exceptions import DomainError
from kapclinic.core.request_context import current_request_context
from kapclinic.patients.exceptions import PossibleDuplicateError
from kapclinic.patients.forms import PatientForm
from kapclinic.patients.selectors import find_current_patient
from kapclinic.referrals.forms import (
    AppointmentRequestForm,
    ClinicianReferralForm,
    SelfCheckForm,
    TriageForm,
)
from kapclinic.referrals.models import Referral
from kapclinic.referrals.prescreen import SelfCheckResult, assess
from kapclinic.referrals.selectors import access_referral, page_of_queue, sender_is_limited
from kapclinic.referrals.services import (
    TOO_MANY_REQUESTS,
    ContactDetails,
    TooManyRequestsError,
    link_to_existing_patient,
    record_clinician_referral,
    register_from_referral,
    sender_key,
    submit_self_referral,
    triage_referral,
)


def _contact(data: dict[str, object]) -> ContactDetails:
    return ContactDetails(
        given_name=str(data["given_name"]),
        family_name=str(data["family_name"]),
        birth_date=data.get("birth_date"),  # type: ignore[arg-type]
        phone=str(data.get("phone") or ""),
        email=str(data.get("email") or ""),
        contact_preference=str(data["contact_preference"]),
        message=str(data.get("message") or ""),
    )


@require_http_methods(["GET", "POST"])
@login_not_required
def self_check(request: ClinicRequest) -> HttpResponse:
    """Public page: a plain-language self-check that never diagnoses, then an optional
    appointment request. Only what the person agrees to share is stored.

    An invalid submission answers 422 with the page again: every answer and detail kept, a
    message at each field and a summary at the top. It stores nothing and does not count
    toward the rate limit (only stored requests do); a sender already at the limit is told so
    whether or not the rest of the submission is valid.
    """
    today = timezone.localdate()
    if request.method == "GET":
        return _self_check_page(request, SelfCheckForm(), AppointmentRequestForm(today=today))
    requesting = request.POST.get("action", "") == "request"
    check = SelfCheckForm(request.POST)
    # Not asking yet (only "see what my answers mean"): the contact details typed so far
    # come back as they were, unchecked.
    form = (
        AppointmentRequestForm(request.POST, today=today)
        if requesting
        else AppointmentRequestForm(initial=request.POST.dict(), today=today)
    )
    checked = check.is_valid()
    result = assess(check.answers()) if checked else None
    if not requesting:
        return _self_check_page(request, check, form, result, status=200 if checked else 422)
    context = current_request_context()
    sender = sender_key(context.ip_address if context else None)
    if checked and form.is_valid():
        data = form.cleaned_data
        clinic: Clinic = data["clinic"]
        try:
            submit_self_referral(
                clinic=clinic,
                contact=_contact(data),
                answers=check.answers() if data["share_answers"] else None,
                sender=sender,
                now=timezone.now(),
            )
        except TooManyRequestsError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "referrals/thanks.html", {"clinic": clinic})
    elif sender_is_limited(sender, timezone.now()):
        form.add_error(None, TOO_MANY_REQUESTS)
    return _self_check_page(request, check, form, result, status=422)


def _self_check_page(
    request: ClinicRequest,
    check: SelfCheckForm,
    form: AppointmentRequestForm,
    result: SelfCheckResult | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"check": check, "form": form, "result": result}
    return render(request, "referrals/self_check.html", context, status=status)


def _triage_clinic_ids(request: ClinicRequest) -> set[int]:
    return {
        m.clinic_id
        for m in request.actor.memberships
        if allows({m.role}, Capability.TRIAGE_REFERRALS)
    }


@require_GET
@requires(Capability.TRIAGE_REFERRALS)
def queue(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    show_all = request.GET.get("all") == "1"
    page = page_of_queue(clinic, request.GET.get("page"), show_all=show_all)
    return render(request, "referrals/queue.html", {"page": page, "show_all": show_all})


@require_http_methods(["GET", "POST"])
@requires(Capability.TRIAGE_REFERRALS)
def new_clinician_referral(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = ClinicianReferralForm(
        request.POST or None, today=clinic.local_today(), initial={"clinic": clinic}
    )
    form.fields["clinic"].queryset = clinics_with_ids(  # type: ignore[attr-defined]
        _triage_clinic_ids(request)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        referral = record_clinician_referral(
            actor=request.actor,
            clinic=data["clinic"],
            contact=_contact(data),
            clinician=data["referring_clinician"],
            organisation=data["referring_organisation"],
            clinician_contact=data["referring_contact"],
        )
        messages.success(request, "Referral recorded.")
        return redirect("referrals:detail", public_id=referral.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "referrals/clinician_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@requires(Capability.TRIAGE_REFERRALS)
def detail(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    referral = access_referral(_triage_clinic_ids(request), public_id)
    triage = TriageForm(request.POST or None)
    if request.method == "POST" and triage.is_valid():
        try:
            triage_referral(
                actor=request.actor,
                referral=referral,
                status=triage.cleaned_data["status"],
                note=triage.cleaned_data["note"],
            )
        except DomainError as error:
            triage.add_error(None, error.message)
        else:
            messages.success(request, "Referral updated.")
            return redirect("referrals:queue")
    status = 422 if request.method == "POST" else 200
    answers = assess(referral.prescreen_answers) if referral.prescreen_answers else None
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "triage": triage,
            "answers": answers,
            "patient_form": _patient_form(referral, None),
        },
        status=status,
    )


def _patient_form(referral: Referral, data: QueryDict | None) -> PatientForm:
    initial = {
        "given_name": referral.given_name,
        "family_name": referral.family_name,
        "birth_date": referral.birth_date,
        "phone": referral.phone,
        "email": referral.email,
    }
    return PatientForm(data, initial=initial, today=referral.clinic.local_today())


@require_POST
@requires(Capability.EDIT_PATIENT)
def register(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Register the referred person (the usual duplicate check applies)."""
    referral = access_referral(_triage_clinic_ids(request), public_id)
    form = _patient_form(referral, request.POST)
    duplicates: list[object] = []
    if form.is_valid():
        try:
            patient = register_from_referral(
                actor=request.actor,
                referral=referral,
                details=form.details(),
                confirmed_different_person=request.POST.get("confirm_different_person") == "on",
            )
        except PossibleDuplicateError as error:
            duplicates = error.candidates
            form.add_error(None, error.message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Registered {patient.full_name} as {patient.mrn}.")
            return redirect("patients:chart", public_id=patient.public_id)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "duplicates": duplicates,
            "creating": True,
            "referral": referral,
        },
        status=422,
    )


@require_POST
@requires(Capability.EDIT_PATIENT)
def link(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The duplicate check found the referred person's record: link the referral to it."""
    referral = access_referral(_triage_clinic_ids(request), public_id)
    try:
        patient_id = UUID(request.POST.get("patient", ""))
    except ValueError:
        patient_id = None
    patient = find_current_patient(referral.clinic, patient_id) if patient_id else None
    if patient is None:
        messages.error(request, "Choose one of the existing records listed to link the referral.")
        return redirect("referrals:detail", public_id=referral.public_id)
    try:
        link_to_existing_patient(actor=request.actor, referral=referral, patient=patient)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("referrals:detail", public_id=referral.public_id)
    messages.success(request, f"The referral is linked to the existing record {patient.mrn}.")
    return redirect("patients:chart", public_id=patient.public_id)
