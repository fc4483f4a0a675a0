"""The patient portal: a patient sees only their own record."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.selectors import get_own_record


@require_GET
@requires(Capability.VIEW_OWN_RECORD)
def home(request: ClinicRequest) -> HttpResponse:
    patient = get_own_record(request.user)
    return render(request, "portal/home.html", {"patient": patient})
