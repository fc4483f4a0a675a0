"""The clinic's closures (public holidays and one-off closures): the clinic admin's page
(MANAGE_STAFF, next to the staff's hours) to record one, load a year's US federal holidays,
and remove one still to come. Each closure lists the appointments still booked inside it, for
the front desk to move: a closure cancels nothing."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.scheduling.closures.forms import ClosureForm, HolidaysForm
from kapclinic.scheduling.closures.holidays import source
from kapclinic.scheduling.closures.selectors import access_closure, list_closures
from kapclinic.scheduling.closures.services import (
    YEARS_AHEAD,
    add_closure,
    load_holidays,
    remove_closure,
)
from kapclinic.scheduling.exceptions import SchedulingError


def _years(clinic: Clinic) -> list[int]:
    year = clinic.local_today().year
    return list(range(year, year + YEARS_AHEAD + 1))


def _page(
    request: ClinicRequest,
    clinic: Clinic,
    *,
    form: ClosureForm | None = None,
    holidays_form: HolidaysForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = clinic.local_today()
    rows = list_closures(clinic, today)
    return render(
        request,
        "scheduling/calendars/closures.html",
        {
            "clinic": clinic,
            "upcoming": [row for row in rows if row.can_remove],
            "past": [row for row in rows if not row.can_remove],
            "form": form or ClosureForm(),
            "holidays_form": holidays_form
            or HolidaysForm(years=_years(clinic), initial={"year": today.year}),
            "holidays_source": source(),
        },
        status=status,
    )


@never_cache
@require_GET
@requires(Capability.MANAGE_STAFF)
def closures(request: ClinicRequest) -> HttpResponse:
    return _page(request, current_clinic(request))


@never_cache
@require_POST
@requires(Capability.MANAGE_STAFF)
def closure_add(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = ClosureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            closure = add_closure(
                actor=request.actor,
                clinic=clinic,
                first_day=data["first_day"],
                last_day=data["last_day"],
                label=data["label"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                today=clinic.local_today(),
            )
        except SchedulingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Closure recorded: {closure.label}.")
            return redirect("calendar:closures")
    return _page(request, clinic, form=form, status=422)


@never_cache
@require_POST
@requires(Capability.MANAGE_STAFF)
def holidays_load(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = HolidaysForm(request.POST, years=_years(clinic))
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            added = load_holidays(
                actor=request.actor, clinic=clinic, year=year, today=clinic.local_today()
            )
        except SchedulingError as error:
            form.add_error("year", error.message)
        else:
            count = len(added)
            messages.success(
                request,
                f"{count} US federal holiday{'s' if count != 1 else ''} of {year} added."
                if count
                else f"The US federal holidays of {year} still to come were already there.",
            )
            return redirect("calendar:closures")
    return _page(request, clinic, holidays_form=form, status=422)


@never_cache
@require_POST
@requires(Capability.MANAGE_STAFF)
def closure_remove(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    closure = access_closure(clinic, public_id)
    try:
        remove_closure(
            actor=request.actor, clinic=clinic, closure=closure, today=clinic.local_today()
        )
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Closure removed: {closure.label}. The clinic opens as usual.")
    return redirect("calendar:closures")
