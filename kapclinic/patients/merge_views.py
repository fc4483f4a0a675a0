"""Merging a duplicate record into the one the page belongs to (services/merge.py)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.access import access_patient
from kapclinic.patients.audit_actions import PatientAuditAction
from kapclinic.patients.exceptions import MergeError
from kapclinic.patients.forms import MergeForm
from kapclinic.patients.models import Patient
from kapclinic.patients.selectors import find_patient_by_mrn
from kapclinic.patients.services import merge_patients, merge_preview
from kapclinic.patients.services.merge import MIN_MERGE_REASON_LENGTH


@require_http_methods(["GET", "POST"])
@requires(Capability.MERGE_PATIENTS)
def merge(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=PatientAuditAction.MERGE_OPENED)
    survivor = access.patient
    form = MergeForm(request.POST or None)
    duplicate: Patient | None = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            duplicate = find_patient_by_mrn(survivor.clinic, form.cleaned_data["mrn"])
            if duplicate is None:
                form.add_error("mrn", "No record of this clinic has that MRN.")
            elif request.POST.get("step") == "merge":
                if not form.cleaned_data["confirm"]:
                    form.add_error("confirm", "Tick the box once you have compared both records.")
                else:
                    try:
                        merge_patients(
                            actor=access.actor,
                            survivor=survivor,
                            duplicate=duplicate,
                            reason=form.cleaned_data["reason"],
                            now=timezone.now(),
                        )
                    except MergeError as error:
                        form.add_error(error.field, error.message)
                    else:
                        messages.success(
                            request, f"{duplicate.mrn} was merged into {survivor.mrn}."
                        )
                        return redirect("patients:chart", public_id=survivor.public_id)
            else:
                status = 200  # the comparison step
    return render(
        request,
        "patients/merge.html",
        {
            "patient": survivor,
            "access": access,
            "form": form,
            "duplicate": duplicate if duplicate and duplicate.pk != survivor.pk else None,
            "same_record": duplicate is not None and duplicate.pk == survivor.pk,
            "moving": merge_preview(survivor, duplicate) if duplicate else {},
            "min_reason": MIN_MERGE_REASON_LENGTH,
            "today": survivor.clinic.local_today(),
        },
        status=status,
    )
