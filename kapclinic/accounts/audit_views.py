"""The clinic admin's audit report (the trail itself lives in kapclinic.audit, which knows no
clinic or role; the report sits here, where clinics and the permission matrix are known)."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest


@require_GET
@requires(Capability.VIEW_AUDIT)
def report(request: ClinicRequest) -> HttpResponse:
    return HttpResponse("audit report")


@require_GET
@requires(Capability.VIEW_AUDIT)
def export_csv(request: ClinicRequest) -> HttpResponse:
    return HttpResponse("csv")
