"""The staff workspace: the Today dashboard and the entry pages of areas still to come."""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.permissions import PATIENT, Capability, current_clinic, requires
from kapclinic.accounts.selectors import get_clinic_day, get_own_notice
from kapclinic.accounts.services import mark_notice_read
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.redirects import local_url
from kapclinic.measurement.outcomes.listing import list_recent_outcomes
from kapclinic.today.aggregates import SMALL_CELL, clinic_aggregates
from kapclinic.today.context_processors import remember_todo_count
from kapclinic.today.todo import list_todo

OUTCOMES_WINDOW: Final = timedelta(days=90)


@require_GET
@requires(Capability.MANAGE_OWN_ACCOUNT)
def home(request: ClinicRequest) -> HttpResponse:
    """Where "/" and sign-in lead: the portal for patients, Today for staff."""
    if PATIENT in request.actor.roles:
        return redirect("portal:home")
    return redirect("today:today")


@require_GET
@requires(Capability.VIEW_TODAY)
def today(request: ClinicRequest) -> HttpResponse:
    """The to-do lists of the user's roles, then the clinic's rooms and staff."""
    clinic = current_clinic(request)
    clinic_day = get_clinic_day(clinic, clinic.local_today())
    lists = list_todo(clinic, request.actor.roles, timezone.now(), user=request.user)
    # The navigation badge reads this instead of counting again (context_processors.layout).
    remember_todo_count(request, sum(t.total for t in lists))
    return render(
        request,
        "today/today.html",
        {
            "clinic_day": clinic_day,
            "todo_lists": lists,
            "shows_questionnaires": any(t.key == "questionnaires" for t in lists),
        },
    )


@require_GET
@requires(Capability.VIEW_AGGREGATES)
def aggregates(request: ClinicRequest) -> HttpResponse:
    """De-identified counts of the clinic: no name, MRN or date; small counts suppressed."""
    clinic = current_clinic(request)
    return render(
        request,
        "today/aggregates.html",
        {"tables": clinic_aggregates(clinic), "small_cell": SMALL_CELL},
    )


@require_GET
@requires(Capability.VIEW_OUTCOMES)
def outcomes(request: ClinicRequest) -> HttpResponse:
    """Patients of the clinic with questionnaires completed in the last OUTCOMES_WINDOW, each
    linked to their outcome graph."""
    clinic = current_clinic(request)
    recent = list_recent_outcomes(clinic, since=timezone.now() - OUTCOMES_WINDOW)
    return render(
        request,
        "today/outcomes.html",
        {"recent": recent, "window_days": OUTCOMES_WINDOW.days},
    )


@require_POST
@requires(Capability.MANAGE_OWN_ACCOUNT)
def dismiss_notice(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Mark one of the user's own notices as read (another user's notice: 404)."""
    notice = get_own_notice(request.user, public_id)
    if notice is None:
        raise Http404
    mark_notice_read(actor=request.actor, notice=notice, now=timezone.now())
    return redirect(local_url(request, request.headers.get("Referer")) or "today:home")
