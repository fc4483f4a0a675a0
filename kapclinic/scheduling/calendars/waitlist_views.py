"""Calendar → Waitlist: patients waiting for a slot, offered ones first with the slot a
cancellation freed and a "book it" action; adding a patient (found by MRN, or from their
appointments page) and withdrawing an entry with a reason."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.access import access_patient
from kapclinic.patients.selectors import find_patient_by_mrn
from kapclinic.scheduling.calendars.forms import FindPatientForm, WaitlistForm, WithdrawForm
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.waitlist.selectors import (
    access_waitlist_entry,
    list_waitlist,
    open_courses,
)
from kapclinic.scheduling.waitlist.services import (
    WaitRequest,
    add_to_waitlist,
    book_from_waitlist,
    withdraw_from_waitlist,
)


def _page(
    request: ClinicRequest,
    *,
    find_form: FindPatientForm | None = None,
    withdraw_forms: dict[UUID, WithdrawForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = current_clinic(request)
    rows = list_waitlist(clinic)
    forms = withdraw_forms or {}
    context = {
        "clinic": clinic,
        "rows": [(row, forms.get(row.entry.public_id) or WithdrawForm()) for row in rows],
        "find_form": find_form or FindPatientForm(),
    }
    return render(request, "scheduling/calendars/waitlist.html", context, status=status)


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def waitlist(request: ClinicRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def waitlist_find(request: ClinicRequest) -> HttpResponse:
    """Find the patient to add by MRN (a POST: an MRN never goes in an address)."""
    clinic = current_clinic(request)
    form = FindPatientForm(request.POST)
    if form.is_valid():
        patient = find_patient_by_mrn(clinic, form.cleaned_data["mrn"].strip())
        if patient is not None:
            return redirect("calendar:waitlist-add", public_id=patient.public_id)
        form.add_error("mrn", "No patient of this clinic has that MRN.")
    return _page(request, find_form=form, status=422)


def _session_types(courses: list[Any]) -> list[tuple[str, str]]:
    choices: dict[str, str] = {}
    for course in courses:
        for session_type in parse_protocol(course.protocol.document).session_types:
            choices.setdefault(session_type.code, session_type.name)
    return list(choices.items())


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.BOOK_APPOINTMENTS)
def waitlist_add(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=None)
    patient = access.patient
    courses = open_courses(patient)
    today = patient.clinic.local_today()
    form = WaitlistForm(
        request.POST if request.method == "POST" else None,
        initial={"earliest_day": today, "course": str(courses[0].public_id) if courses else ""},
        courses=[(str(c.public_id), str(c)) for c in courses],
        session_types=_session_types(courses),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        course = next((c for c in courses if str(c.public_id) == data["course"]), None)
        try:
            add_to_waitlist(
                actor=access.actor,
                patient=patient,
                wait=WaitRequest(
                    earliest_day=data["earliest_day"],
                    course=course,
                    session_type=data["session_type"],
                    latest_day=data["latest_day"],
                    weekdays=data["weekdays"],
                    not_before=data["not_before"],
                    not_after=data["not_after"],
                    note=data["note"],
                ),
                today=today,
            )
        except SchedulingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"{patient.family_name}, {patient.given_name} waits now.")
            return redirect("calendar:waitlist")
    return render(
        request,
        "scheduling/calendars/waitlist_add.html",
        {"patient": patient, "form": form},
        status=422 if form.is_bound else 200,
    )


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def waitlist_withdraw(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    entry = access_waitlist_entry(current_clinic(request), public_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            withdraw_from_waitlist(
                actor=request.actor, entry=entry, reason=form.cleaned_data["reason"]
            )
        except SchedulingError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(request, "The entry is withdrawn from the waitlist.")
            return redirect("calendar:waitlist")
    return _page(request, withdraw_forms={entry.public_id: form}, status=422)


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def waitlist_book(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Book the slot an entry was offered, for the entry's patient and course."""
    entry = access_waitlist_entry(current_clinic(request), public_id)
    try:
        booked = book_from_waitlist(actor=request.actor, entry=entry, now=timezone.now())
    except SchedulingError as error:
        messages.error(request, error.message)
        return redirect("calendar:waitlist")
    messages.success(request, "The freed slot is booked.")
    return redirect("calendar:appointment", public_id=booked.public_id)
