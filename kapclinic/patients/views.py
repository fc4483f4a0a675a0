from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients import icd10
from kapclinic.patients.access import access_patient
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import (
    BreakGlassRefusedError,
    DiagnosisError,
    PossibleDuplicateError,
)
from kapclinic.patients.forms import (
    AllergyForm,
    BreakGlassForm,
    ContactsForm,
    DiagnosisChange,
    DiagnosisChangeForm,
    DiagnosisForm,
    HistoryStatusForm,
    MeasurementForm,
    MedicationForm,
    PatientForm,
)
from kapclinic.patients.models import Diagnosis, Patient, RecordStatus
from kapclinic.patients.search import MAX_QUERY_LENGTH, read_query
from kapclinic.patients.selectors import (
    PatientAccess,
    break_glass_clinics,
    get_diagnosis,
    get_history_record,
    list_allergies,
    list_diagnoses,
    list_measurements,
    list_medications,
    page_of_patients,
    page_of_search,
)
from kapclinic.patients.services import (
    CONTACT_FIELDS,
    DEMOGRAPHIC_FIELDS,
    add_allergy,
    add_diagnosis,
    add_medication,
    change_history_status,
    enter_diagnosis_in_error,
    open_break_glass,
    record_measurement,
    record_search,
    register_patient,
    resolve_diagnosis,
    set_primary_diagnosis,
    update_contacts,
    update_demographics,
)
from kapclinic.patients.timeline import (
    CHART_LIMIT,
    FULL_LIMIT,
    build_timeline,
    without_forbidden_links,
)


@require_GET
@requires(Capability.VIEW_PATIENTS)
def patient_list(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    page = page_of_patients(clinic, request.GET.get("page"))
    return render(
        request,
        "patients/patient_list.html",
        {"page": page, "today": clinic.local_today(), "q": "", "searching": False},
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def search(request: ClinicRequest) -> HttpResponse:
    """Search the current clinic's patients. POST, so that names never appear in URLs or
    access logs; htmx swaps the results in place, and without JavaScript the whole page
    renders. Every search that returns patients is audited with their ids."""
    clinic = current_clinic(request)
    text = request.POST.get("q", "")[:MAX_QUERY_LENGTH]
    query = read_query(text)
    if query.is_empty:
        page = page_of_patients(clinic, request.POST.get("page"))
        searching = False
    else:
        page = page_of_search(clinic, query, request.POST.get("page"))
        searching = True
        record_search(
            actor=request.actor,
            clinic=clinic,
            patients=list(page.object_list),
            page_number=page.number,
            total=page.paginator.count,
        )
    return render(
        request,
        "patients/patient_list.html",
        {
            "page": page,
            "today": clinic.local_today(),
            "q": text.strip(),
            "searching": searching,
        },
    )


@require_GET
@requires(Capability.VIEW_CHART)
def chart(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=PatientAuditAction.CHART_VIEWED)
    patient = access.patient
    if patient.is_merged:
        return render(
            request,
            "patients/merged.html",
            {"patient": patient, "survivor": patient.merged_into, "access": access},
        )
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "access": access,
            "diagnoses": list_diagnoses(patient),
            "medications": list_medications(patient),
            "allergies": list_allergies(patient),
            "today": patient.clinic.local_today(),
            "timeline": _timeline(access, CHART_LIMIT),
        },
    )


def _timeline(access: PatientAccess, limit: int) -> dict[str, object]:
    timeline = build_timeline(access.patient, limit=limit)
    entries = without_forbidden_links(
        timeline.entries,
        actor=access.actor,
        read_only=access.break_glass is not None,
    )
    return {"entries": entries, "truncated": timeline.truncated, "limit": limit}


@require_GET
@requires(Capability.VIEW_CHART)
def timeline(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Everything on the patient's timeline (the chart shows the newest entries only)."""
    access = access_patient(request, public_id, action=PatientAuditAction.TIMELINE_VIEWED)
    return render(
        request,
        "patients/timeline.html",
        {
            "patient": access.patient,
            "access": access,
            "today": access.patient.clinic.local_today(),
            "timeline": _timeline(access, FULL_LIMIT),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.BREAK_GLASS)
def break_glass(request: ClinicRequest) -> HttpResponse:
    clinics = break_glass_clinics(request.actor.memberships)
    form = BreakGlassForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        try:
            grant = open_break_glass(
                actor=request.actor,
                clinic=form.cleaned_data["clinic"],
                mrn=form.cleaned_data["mrn"],
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except BreakGlassRefusedError as error:
            form.add_error(None, error.message)
        else:
            messages.warning(
                request,
                "Emergency access opened. The clinic's admins were "
                "alerted; your access ends automatically.",
            )
            return redirect("patients:chart", public_id=grant.patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "patients/break_glass.html", {"form": form, "clinics": clinics}, status=status
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.EDIT_PATIENT)
def register(request: ClinicRequest) -> HttpResponse:
    """Register a patient. A same-name, same-birth-date patient is never created silently: the
    user sees the existing records and must confirm it is a different person."""
    clinic = current_clinic(request)
    form = PatientForm(request.POST or None, today=clinic.local_today())
    duplicates: list[object] = []
    if request.method == "POST" and form.is_valid():
        confirmed = request.POST.get("confirm_different_person") == "on"
        try:
            patient = register_patient(
                actor=request.actor,
                clinic=clinic,
                details=form.details(),
                confirmed_different_person=confirmed,
            )
        except PossibleDuplicateError as error:
            duplicates = error.candidates
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Registered {patient.full_name} as {patient.mrn}.")
            return redirect("patients:chart", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "duplicates": duplicates, "creating": True},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.EDIT_PATIENT)
def edit(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=PatientAuditAction.DEMOGRAPHICS_OPENED)
    patient = access.patient
    initial = {f: getattr(patient, f) for f in DEMOGRAPHIC_FIELDS}
    form = PatientForm(request.POST or None, initial=initial, today=patient.clinic.local_today())
    if request.method == "POST" and form.is_valid():
        update_demographics(actor=access.actor, patient=patient, details=form.details())
        messages.success(request, "Demographics saved.")
        return redirect("patients:chart", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "patient": patient, "creating": False},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_MEASUREMENTS)
def measurements(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=PatientAuditAction.MEASUREMENTS_OPENED)
    patient = access.patient
    today = patient.clinic.local_today()
    form = MeasurementForm(
        request.POST or None,
        initial={"measured_on": today},
        today=today,
        birth_date=patient.birth_date,
    )
    if request.method == "POST" and form.is_valid():
        record_measurement(
            actor=access.actor,
            patient=patient,
            measured_on=form.cleaned_data["measured_on"],
            weight_kg=form.cleaned_data["weight_kg"],
            height_cm=form.cleaned_data["height_cm"],
        )
        messages.success(request, "Measurement recorded.")
        return redirect("patients:measurements", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "patients/measurements.html",
        {
            "form": form,
            "patient": patient,
            "rows": list_measurements(patient),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_HISTORY)
def history(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Medications and allergies: add either, stop/resolve or mark entered in error."""
    access = access_patient(request, public_id, action=PatientAuditAction.HISTORY_OPENED)
    patient = access.patient
    which = request.POST.get("form", "") if request.method == "POST" else ""
    med_form = MedicationForm(request.POST if which == "medication" else None)
    allergy_form = AllergyForm(request.POST if which == "allergy" else None)
    status_form = HistoryStatusForm(request.POST if which == "status" else None)
    if which == "medication" and med_form.is_valid():
        data = med_form.cleaned_data
        add_medication(
            actor=access.actor,
            patient=patient,
            name=data["name"],
            dose=data["dose"],
            interaction_class=data["interaction_class"] or None,
        )
        messages.success(request, "Medication recorded.")
        return redirect("patients:history", public_id=patient.public_id)
    if which == "allergy" and allergy_form.is_valid():
        data = allergy_form.cleaned_data
        add_allergy(
            actor=access.actor,
            patient=patient,
            substance=data["substance"],
            reaction=data["reaction"],
            severity=data["severity"],
        )
        messages.success(request, "Allergy recorded.")
        return redirect("patients:history", public_id=patient.public_id)
    if which == "status" and status_form.is_valid():
        data = status_form.cleaned_data
        record = get_history_record(patient, data["kind"], data["record"])
        if record is None:
            raise Http404
        change_history_status(actor=access.actor, record=record, status=data["status"])
        messages.success(request, "Status changed.")
        return redirect("patients:history", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "patients/history.html",
        {
            "patient": patient,
            "med_form": med_form,
            "allergy_form": allergy_form,
            "medications": list_medications(patient),
            "allergies": list_allergies(patient),
            "statuses": RecordStatus.choices,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.EDIT_PATIENT)
def contacts(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Address, emergency contact, usual escort, pregnancy potential and care team."""
    access = access_patient(request, public_id, action=PatientAuditAction.CONTACTS_OPENED)
    patient = access.patient
    initial = {f: getattr(patient, f) for f in CONTACT_FIELDS}
    form = ContactsForm(request.POST or None, initial=initial, clinic=patient.clinic)
    if request.method == "POST" and form.is_valid():
        update_contacts(actor=access.actor, patient=patient, values=form.cleaned_data)
        messages.success(request, "Contacts and care team saved.")
        return redirect("patients:chart", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "patients/contacts.html", {"form": form, "patient": patient}, status=status
    )


CODE_RESULTS = 25


def _code_search(text: str) -> dict[str, object]:
    """The context of patients/partials/_code_results.html for the search text ``text``."""
    q = " ".join(text.split())[: icd10.MAX_QUERY_LENGTH]
    codes = icd10.search(q, limit=CODE_RESULTS + 1)
    return {"q": q, "codes": codes[:CODE_RESULTS], "more": len(codes) > CODE_RESULTS}


@require_GET
@requires(Capability.RECORD_DIAGNOSES)
def diagnosis_codes(request: ClinicRequest) -> HttpResponse:
    """Code suggestions for the diagnosis form, swapped in by htmx as the user types. The text
    is a code or words of a code's title, not about a patient: GET, and nothing is audited."""
    return render(
        request, "patients/partials/_code_results.html", _code_search(request.GET.get("q", ""))
    )


@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_DIAGNOSES)
def diagnoses(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The problem list: add a coded diagnosis, change the primary, resolve, or mark one
    entered in error (with a reason). Every change is audited by its service."""
    access = access_patient(request, public_id, action=PatientAuditAction.DIAGNOSES_OPENED)
    patient = access.patient
    today = patient.clinic.local_today()
    which = request.POST.get("form", "") if request.method == "POST" else ""
    add_form = DiagnosisForm(
        request.POST if which == "add" else None,
        initial={"noted_on": today},
        today=today,
        birth_date=patient.birth_date,
    )
    change_form = DiagnosisChangeForm(request.POST if which == "change" else None)
    change_error = ""
    if which == "add" and add_form.is_valid():
        data = add_form.cleaned_data
        try:
            diagnosis = add_diagnosis(
                actor=access.actor,
                patient=patient,
                icd10_code=data["icd10_code"],
                noted_on=data["noted_on"],
                is_primary=data["is_primary"],
                today=today,
            )
        except DiagnosisError as error:
            add_form.add_error(None, error.message)
        else:
            messages.success(request, f"{diagnosis.icd10_code} {diagnosis.display} added.")
            return redirect("patients:diagnoses", public_id=patient.public_id)
    if which == "change" and change_form.is_valid():
        try:
            data = change_form.cleaned_data
            message = _change_diagnosis(
                access.actor,
                patient,
                diagnosis_id=data["diagnosis"],
                change=data["change"],
                reason=data["reason"],
            )
        except DiagnosisError as error:
            change_error = error.message
        else:
            messages.success(request, message)
            return redirect("patients:diagnoses", public_id=patient.public_id)
    elif which == "change":
        change_error = "Choose a diagnosis and what to do with it."
    text = request.POST.get("q", "") if which == "add" else request.GET.get("q", "")
    rows = list_diagnoses(patient)
    active = [d for d in rows if d.status == Diagnosis.Status.ACTIVE]
    return render(
        request,
        "patients/diagnoses.html",
        {
            "patient": patient,
            "form": add_form,
            "diagnoses": rows,
            "has_active": bool(active),
            "has_primary": any(d.is_primary for d in active),
            "change_error": change_error,
            "chosen": request.POST.get("icd10_code", "") if which == "add" else "",
            "release": icd10.RELEASE,
            **_code_search(text),
        },
        status=422 if request.method == "POST" else 200,
    )


def _change_diagnosis(
    actor: Actor,
    patient: Patient,
    *,
    diagnosis_id: UUID,
    change: str,
    reason: str,
) -> str:
    """Apply the change chosen on one of the patient's diagnoses (404 for any other); the
    message to show once it is done."""
    diagnosis = get_diagnosis(patient, diagnosis_id)
    if diagnosis is None:
        raise Http404
    if change == DiagnosisChange.PRIMARY:
        set_primary_diagnosis(actor=actor, diagnosis=diagnosis)
        return f"{diagnosis.icd10_code} is now the primary diagnosis."
    if change == DiagnosisChange.RESOLVE:
        resolve_diagnosis(actor=actor, diagnosis=diagnosis)
        return f"{diagnosis.icd10_code} marked resolved."
    enter_diagnosis_in_error(actor=actor, diagnosis=diagnosis, reason=reason)
    return f"{diagnosis.icd10_code} marked entered in error; it no longer shows on the chart."
