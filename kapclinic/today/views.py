"""The staff workspace: the Today dashboard and the entry pages of areas still to come."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.selectors import get_clinic_day
from kapclinic.accounts.types import ClinicRequest

# Areas that later issues fill in; each already has its place in the navigation.
UPCOMING_AREAS: dict[str, tuple[str, str]] = {
    "schedule": (
        "Schedule",
        "Course planning and appointments: preparation, dosing, "
        "integration and talk-therapy sessions, room by room.",
    ),
    "monitoring": (
        "Monitoring",
        "The live console for dosing sessions: vital signs, sedation "
        "and dissociation scores, alerts and discharge readiness.",
    ),
    "outcomes": (
        "Outcomes",
        "Measurement-based care: questionnaires, scores, safety alerts and "
        "each patient's trajectory, and comparisons between ketamine and talk therapy.",
    ),
    "ledger": (
        "Ledger",
        "The controlled-substance ledger: receipts, administrations, waste, "
        "inventories and reconciliations.",
    ),
}


@require_GET
def today(request: ClinicRequest) -> HttpResponse:
    if request.clinic is None:
        return render(request, "no_clinic.html", status=403)
    clinic_day = get_clinic_day(request.clinic, request.clinic.local_today())
    return render(request, "today/today.html", {"clinic_day": clinic_day})


@require_GET
def upcoming_area(request: ClinicRequest, area: str) -> HttpResponse:
    title, description = UPCOMING_AREAS[area]
    return render(
        request, "today/upcoming.html", {"area": area, "title": title, "description": description}
    )
