"""Staff availability (issue 13.5): the clinic admin's page of everyone's weekly working hours
(on site or remote) and leave, each person's page to change them, and every staff member's own
hours and leave (read only). The clinic's on-site prescriber coverage follows from them and is
shown here and on the calendar."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.models import Clinic, User, Weekday
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.selectors import access_clinic_staff_member
from kapclinic.accounts.types import ClinicRequest
from kapclinic.scheduling.calendars.forms import LeaveForm, WorkingHoursForm
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.staffing.selectors import (
    access_leave,
    list_staff_availability,
    prescriber_coverage,
    staff_availability,
)
from kapclinic.scheduling.staffing.services import record_leave, remove_leave, set_working_hours

WEEK = 7


def _coverage(clinic: Clinic) -> list[tuple[object, list[object]]]:
    today = clinic.local_today()
    cover = prescriber_coverage(clinic, today, today + timedelta(days=WEEK - 1))
    return [(day, list(spans)) for day, spans in cover.items()]


@never_cache
@require_GET
@requires(Capability.MANAGE_STAFF)
def availability(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request,
        "scheduling/calendars/availability.html",
        {
            "clinic": clinic,
            "rows": list_staff_availability(clinic, clinic.local_today()),
            "weekdays": list(Weekday),
            "coverage": _coverage(clinic),
        },
    )


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def my_availability(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request,
        "scheduling/calendars/my_availability.html",
        {
            "clinic": clinic,
            "row": staff_availability(clinic, request.user, clinic.local_today()),
            "weekdays": list(Weekday),
            "coverage": _coverage(clinic),
        },
    )


def _person_page(
    request: ClinicRequest,
    clinic: Clinic,
    person: User,
    *,
    hours_form: WorkingHoursForm | None = None,
    leave_form: LeaveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    row = staff_availability(clinic, person, clinic.local_today())
    current = [(h.weekday, h.starts_at, h.ends_at, h.on_site) for h in row.hours]
    return render(
        request,
        "scheduling/calendars/availability_edit.html",
        {
            "clinic": clinic,
            "person": person,
            "row": row,
            "hours_form": hours_form
            or WorkingHoursForm(initial=WorkingHoursForm.initial_from(current)),
            "leave_form": leave_form or LeaveForm(),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STAFF)
def availability_edit(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """One person's weekly working hours in this clinic (POST saves them)."""
    clinic = current_clinic(request)
    person = access_clinic_staff_member(clinic, public_id)
    if request.method != "POST":
        return _person_page(request, clinic, person)
    form = WorkingHoursForm(request.POST)
    if form.is_valid():
        try:
            changed = set_working_hours(
                actor=request.actor, clinic=clinic, user=person, hours=form.cleaned_data["hours"]
            )
        except SchedulingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"Working hours of {person.display_name} saved."
                if changed
                else "Nothing changed: the hours were already these.",
            )
            return redirect("calendar:availability-edit", public_id=person.public_id)
    return _person_page(request, clinic, person, hours_form=form, status=422)


@never_cache
@require_POST
@requires(Capability.MANAGE_STAFF)
def leave_add(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    person = access_clinic_staff_member(clinic, public_id)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            record_leave(
                actor=request.actor,
                clinic=clinic,
                user=person,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                note=form.cleaned_data["note"],
                today=clinic.local_today(),
            )
        except SchedulingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Leave of {person.display_name} recorded.")
            return redirect("calendar:availability-edit", public_id=person.public_id)
    return _person_page(request, clinic, person, leave_form=form, status=422)


@never_cache
@require_POST
@requires(Capability.MANAGE_STAFF)
def leave_remove(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    leave = access_leave(clinic, public_id)
    try:
        remove_leave(actor=request.actor, clinic=clinic, leave=leave)
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Leave of {leave.user.display_name} removed.")
    return redirect("calendar:availability-edit", public_id=leave.user.public_id)
