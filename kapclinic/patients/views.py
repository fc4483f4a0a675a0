from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.selectors import page_of_patients


@require_GET
def patient_list(request: ClinicRequest) -> HttpResponse:
    if request.clinic is None:
        return render(request, "no_clinic.html", status=403)
    page = page_of_patients(request.clinic, request.GET.get("page"))
    return render(
        request, "patients/patient_list.html", {"page": page, "today": request.clinic.local_today()}
    )
