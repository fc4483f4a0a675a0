"""The staff workspace: the Today dashboard and the entry pages of areas still to come."""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.permissions import PATIENT, Capability, allows, current_clinic, requires
from kapclinic.accounts.selectors import count_pending_invitations, get_clinic_day, get_own_notice
from kapclinic.accounts.services import mark_notice_read
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.redirects import local_url
from kapclinic.measurement.outcome_list import list_recent_outcomes

OUTCOMES_WINDOW: Final = timedelta(days=90)


@require_GET
@requires(Capability.MANAGE_OWN_ACCOUNT)
def home(request: ClinicRequest) -> HttpResponse:
    """Where "/" and sign-in lead: the portal for patients, Today for staff."""
    if PATIENT in request.roles:
        return redirect("portal:home")
    return redirect("today:today")


@require_GET
@requires(Capability.VIEW_TODAY)
def today(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    clinic_day = get_clinic_day(clinic, clinic.local_today())
    # A clinic admin's to-do: people invited who have not chosen a password yet.
    pending = (
        count_pending_invitations(clinic) if allows(request.roles, Capability.MANAGE_STAFF) else 0
    )
    return render(
        request, "today/today.html", {"clinic_day": clinic_day, "pending_invitations": pending}
    )


def _upcoming(request: ClinicRequest, title: str, description: str) -> HttpResponse:
    return render(request, "today/upcoming.html", {"title": title, "description": description})


@require_GET
@requires(Capability.VIEW_SCHEDULE)
def schedule(request: ClinicRequest) -> HttpResponse:
    return _upcoming(
        request,
        "Schedule",
        "Course planning and appointments: preparation, dosing, "
        "integration and talk-therapy sessions, room by room.",
    )


@require_GET
@requires(Capability.VIEW_MONITORING)
def monitoring(request: ClinicRequest) -> HttpResponse:
    return _upcoming(
        request,
        "Monitoring",
        "The live console for dosing sessions: vital signs, "
        "sedation and dissociation scores, alerts and discharge readiness.",
    )


@require_GET
@requires(Capability.VIEW_OUTCOMES)
def outcomes(request: ClinicRequest) -> HttpResponse:
    """Patients of the clinic with questionnaires completed in the last OUTCOMES_WINDOW, each
    linked to their outcome chart."""
    clinic = current_clinic(request)
    recent = list_recent_outcomes(clinic, since=timezone.now() - OUTCOMES_WINDOW)
    return render(
        request,
        "today/outcomes.html",
        {"recent": recent, "window_days": OUTCOMES_WINDOW.days},
    )


@require_GET
@requires(Capability.VIEW_LEDGER)
def ledger(request: ClinicRequest) -> HttpResponse:
    return _upcoming(
        request,
        "Ledger",
        "The controlled-substance ledger: receipts, "
        "administrations, waste, inventories and reconciliations.",
    )


@require_POST
@requires(Capability.MANAGE_OWN_ACCOUNT)
def dismiss_notice(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Mark one of the user's own notices as read (another user's notice: 404)."""
    notice = get_own_notice(request.user, public_id)
    if notice is None:
        raise Http404
    mark_notice_read(actor=request.user, notice=notice, now=timezone.now())
    return redirect(local_url(request, request.headers.get("Referer")) or "today:home")
