from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.consent.audit_actions import ConsentAuditAction
from kapclinic.consent.exceptions import ConsentError
from kapclinic.consent.forms import PublishDocumentForm, SignatureForm, WithdrawForm
from kapclinic.consent.models import ConsentRecord, TreatmentType
from kapclinic.consent.selectors import (
    access_consent_record,
    consent_overview,
    current_document,
    current_documents,
    list_documents,
    list_records,
)
from kapclinic.consent.services import (
    countersign,
    publish_document,
    record_patient_signature,
    withdraw,
)
from kapclinic.patients.access import access_patient, access_record
from kapclinic.patients.models import Patient


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_CONSENT_DOCUMENTS)
def documents(request: ClinicRequest) -> HttpResponse:
    """Every version of the clinic's consent documents, and the form to publish a new one."""
    clinic = current_clinic(request)
    form = PublishDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = publish_document(
                actor=request.actor,
                clinic=clinic,
                treatment_type=TreatmentType(data["treatment_type"]),
                title=data["title"],
                body=data["body"],
                now=timezone.now(),
            )
        except ConsentError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, f"Published {document}.")
            return redirect("consent:documents")
    current = {d.pk for d in current_documents(clinic).values()}
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "consent/documents.html",
        {"form": form, "documents": list_documents(clinic), "current_ids": current},
        status=status,
    )


COUNTERSIGN_STALE_AFTER = timedelta(days=30)


def _patient_page(
    request: ClinicRequest,
    patient: Patient,
    *,
    withdraw_form: WithdrawForm | None = None,
    withdraw_record: ConsentRecord | None = None,
    status: int = 200,
) -> HttpResponse:
    records = list_records(patient)
    now = timezone.now()
    overview = consent_overview(patient, records, now=now)
    latest = {s.treatment_type: s.document.version if s.document else None for s in overview}
    rows = [
        (r, r.status_against(latest[TreatmentType(r.document.treatment_type)])) for r in records
    ]
    # A signature waiting long for its countersignature says so: the patient may have changed
    # their mind since (issue 11.8; the reference gives no limit, so this only warns).
    stale = {
        r.pk
        for r in records
        if r.countersigned_at is None and now - r.patient_signed_at > COUNTERSIGN_STALE_AFTER
    }
    return render(
        request,
        "consent/patient.html",
        {
            "patient": patient,
            "overview": overview,
            "rows": rows,
            "stale": stale,
            "stale_days": COUNTERSIGN_STALE_AFTER.days,
            "withdraw_form": withdraw_form,
            "withdraw_record": withdraw_record,
        },
        status=status,
    )


@require_http_methods(["GET"])
@requires(Capability.RECORD_CONSENT)
def patient_consent(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=ConsentAuditAction.PATIENT_OPENED)
    return _patient_page(request, access.patient)


@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_CONSENT)
def sign(request: ClinicRequest, public_id: UUID, treatment_type: str) -> HttpResponse:
    """The tablet form the staff member hands to the patient: the document, typed name, box."""
    if treatment_type not in TreatmentType.values:
        raise Http404
    kind = TreatmentType(treatment_type)
    access = access_patient(request, public_id, action=ConsentAuditAction.SIGNATURE_FORM_OPENED)
    patient = access.patient
    document = current_document(patient.clinic, kind)
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if document is None:
            form.add_error(None, "No consent document is published for this treatment yet.")
        else:
            try:
                record_patient_signature(
                    actor=access.actor,
                    patient=patient,
                    document=document,
                    typed_name=form.cleaned_data["typed_name"],
                    agreed=form.cleaned_data["agreed"],
                    now=timezone.now(),
                )
            except ConsentError as error:
                form.add_error(error.field, error.message)
            else:
                messages.success(
                    request, "Signed by the patient. A staff member must now countersign."
                )
                return redirect("consent:patient", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "consent/sign.html",
        {"patient": patient, "document": document, "kind": kind, "form": form},
        status=status,
    )


@require_POST
@requires(Capability.RECORD_CONSENT)
def countersign_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    record, access = access_record(
        request, access_consent_record, public_id, action=ConsentAuditAction.COUNTERSIGN_OPENED
    )
    if request.POST.get("confirm") != "on":
        messages.error(
            request,
            "Tick the confirmation to countersign: you checked the signature with the patient.",
        )
        return _patient_page(request, record.patient, status=422)
    try:
        countersign(actor=access.actor, record=record, now=timezone.now())
    except ConsentError as error:
        messages.error(request, error.message)
        return _patient_page(request, record.patient, status=422)
    messages.success(request, "Consent countersigned.")
    return redirect("consent:patient", public_id=record.patient.public_id)


@require_POST
@requires(Capability.RECORD_CONSENT)
def withdraw_view(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    record, access = access_record(
        request, access_consent_record, public_id, action=ConsentAuditAction.WITHDRAWAL_OPENED
    )
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            withdraw(
                actor=access.actor,
                record=record,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ConsentError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Withdrawal of consent recorded.")
            return redirect("consent:patient", public_id=record.patient.public_id)
    return _patient_page(
        request, record.patient, withdraw_form=form, withdraw_record=record, status=422
    )
