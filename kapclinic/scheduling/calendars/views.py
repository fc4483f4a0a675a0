"""Calendar → the clinic's day and week (all of it, a room's, a staff member's), the signed-in
person's own calendar, a patient's appointments, and one appointment with its actions: move
(the booking checks shown live, an override with a reason), cancel with a reason, mark attended
or not attended. Times are in the clinic's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.models import Clinic, User
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.access import access_patient, access_record, view_capability
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.calendars import actions
from kapclinic.scheduling.calendars.forms import CalendarQueryForm, CancelForm, MoveForm
from kapclinic.scheduling.calendars.selectors import (
    AppointmentAccess,
    Filters,
    access_appointment,
    calendar_filters,
    clinic_calendar,
    patient_appointments,
)
from kapclinic.scheduling.entries import SessionNames, entry_of
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment

# The calendar shows days this far either side of today (a date beyond is a typing slip).
DAYS_SHOWN: Final = 5 * 366


def _pairs(users: list[User]) -> list[tuple[str, str]]:
    return [(str(u.public_id), u.display_name) for u in users]


def _query_form(request: ClinicRequest, filters: Filters) -> CalendarQueryForm:
    return CalendarQueryForm(
        request.GET or None,
        rooms=[(str(r.public_id), r.name) for r in filters.rooms],
        staff=_pairs(filters.staff),
    )


def _calendar(request: ClinicRequest, *, mine: bool) -> HttpResponse:
    clinic = current_clinic(request)
    filters = calendar_filters(clinic)
    form = _query_form(request, filters)
    today = clinic.local_today()
    day, view, room, person = today, "week", None, request.user if mine else None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        day, view = data["day"] or today, data["view"] or "week"
        if abs((day - today).days) > DAYS_SHOWN:
            form.add_error("day", "Choose a day within five years of today.")
            day = today
        room = filters.room(data["room"]) if not mine else None
        if not mine and data["staff"]:
            person = filters.person(data["staff"])
    first = day if view == "day" else day - timedelta(days=day.weekday())
    span = 1 if view == "day" else 7
    page = clinic_calendar(
        request.actor, clinic, first_day=first, days=span, room=room, person=person
    )
    context = {
        "clinic": clinic,
        "page": page,
        "form": form,
        "view": view,
        "day": day,
        "today": today,
        "mine": mine,
        "earlier": first - timedelta(days=span),
        "later": first + timedelta(days=span),
        "filtered": room is not None or (person is not None and not mine),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "scheduling/calendars/calendar.html", context, status=status)


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def clinic_calendar_view(request: ClinicRequest) -> HttpResponse:
    return _calendar(request, mine=False)


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def my_calendar(request: ClinicRequest) -> HttpResponse:
    return _calendar(request, mine=True)


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def patient_calendar(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=SchedulingAuditAction.APPOINTMENTS_VIEWED)
    patient = access.patient
    entries = patient_appointments(patient, patient.clinic.tzinfo)
    now = timezone.now()
    return render(
        request,
        "scheduling/calendars/patient.html",
        {
            "patient": patient,
            "upcoming": [e for e in entries if e.appointment.ends_at > now],
            "past": list(reversed([e for e in entries if e.appointment.ends_at <= now])),
        },
    )


# --- one appointment -------------------------------------------------------------------------


def _move_form(appointment: Appointment, filters: Filters, data: Any = None) -> MoveForm:
    tz = appointment.clinic.tzinfo
    starts = appointment.starts_at.astimezone(tz)
    return MoveForm(
        data,
        initial={
            "day": starts.date(),
            "starts": starts.time(),
            "room": str(appointment.room.public_id),
            "therapist": str(appointment.therapist.public_id) if appointment.therapist else "",
            "nurse": str(appointment.nurse.public_id) if appointment.nurse else "",
        },
        rooms=[(str(r.public_id), r.name) for r in filters.rooms],
        therapists=_pairs(filters.therapists),
        nurses=_pairs(filters.nurses),
    )


def _for_write(request: ClinicRequest, public_id: UUID) -> AppointmentAccess:
    """The appointment for a request that only writes (the service audits the write)."""
    return access_appointment(
        actor=request.actor,
        public_id=public_id,
        capability=view_capability(request),
        action=None,
    )


def _shown_again(request: ClinicRequest, public_id: UUID) -> AppointmentAccess:
    """A refused write shows the appointment again: that read is audited."""
    return access_appointment(
        actor=request.actor,
        public_id=public_id,
        capability=view_capability(request),
        action=SchedulingAuditAction.APPOINTMENT_VIEWED,
    )


def _detail(
    request: ClinicRequest,
    access: AppointmentAccess,
    *,
    move_form: MoveForm | None = None,
    cancel_form: CancelForm | None = None,
    problems: list[actions.Problem] | None = None,
    status: int = 200,
) -> HttpResponse:
    appointment = access.appointment
    clinic: Clinic = appointment.clinic
    filters = calendar_filters(clinic)
    entry = entry_of(appointment, SessionNames(), clinic.tzinfo)
    live = appointment.status == Appointment.Status.BOOKED
    context = {
        "clinic": clinic,
        "entry": entry,
        "a": appointment,
        "can_act": live and access.actor.can(Capability.BOOK_APPOINTMENTS),
        "move_form": move_form or _move_form(appointment, filters),
        "cancel_form": cancel_form or CancelForm(),
        "problems": problems or [],
        "needs_reason": any(p.overridable for p in problems or []),
        # Attendance is marked from the session's day on (the services refuse a later day).
        "started": entry.starts.date() <= clinic.local_today(),
    }
    return render(request, "scheduling/calendars/appointment.html", context, status=status)


@never_cache
@require_GET
@requires(Capability.VIEW_SCHEDULE)
def appointment(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_record(
        request, access_appointment, public_id, action=SchedulingAuditAction.APPOINTMENT_VIEWED
    )
    return _detail(request, access)


def _slot(appointment: Appointment, form: MoveForm, filters: Filters) -> actions.Slot | None:
    """The slot the move form names, in the clinic's time zone; None for an incomplete form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    room = filters.room(data["room"])
    if room is None:
        return None
    starts = datetime.combine(data["day"], data["starts"], tzinfo=appointment.clinic.tzinfo)
    return actions.Slot(
        starts_at=starts,
        room=room,
        therapist=filters.person(data["therapist"]) if data["therapist"] else None,
        nurse=filters.person(data["nurse"]) if data["nurse"] else None,
    )


def _far(day: date, clinic: Clinic) -> bool:
    return abs((day - clinic.local_today()).days) > DAYS_SHOWN


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def appointment_check(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """What the move in the form would break (htmx, as the form changes): nothing is written."""
    access = _for_write(request, public_id)
    appointment = access.appointment
    form = _move_form(appointment, calendar_filters(appointment.clinic), request.POST)
    slot = _slot(appointment, form, calendar_filters(appointment.clinic))
    context: dict[str, Any] = {
        "problems": [],
        "incomplete": slot is None,
        "error": "",
        "checked": slot is not None,
    }
    if slot is not None and not _far(slot.starts_at.date(), appointment.clinic):
        try:
            context["problems"] = actions.check_move(
                appointment=appointment, slot=slot, now=timezone.now()
            )
        except SchedulingError as error:
            context["error"] = error.message
    elif slot is not None:
        context["error"] = "Choose a day within five years of today."
    context["needs_reason"] = any(p.overridable for p in context["problems"])
    return render(request, "scheduling/calendars/_checks.html", context)


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def appointment_move(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = _for_write(request, public_id)
    appointment = access.appointment
    filters = calendar_filters(appointment.clinic)
    form = _move_form(appointment, filters, request.POST)
    slot = _slot(appointment, form, filters)
    if form.is_valid() and slot is None:
        form.add_error("room", "Choose one of the clinic's rooms.")
    if slot is not None and _far(slot.starts_at.date(), appointment.clinic):
        form.add_error("day", "Choose a day within five years of today.")
        slot = None
    problems: list[actions.Problem] = []
    if slot is not None:
        try:
            actions.move(
                actor=access.actor,
                appointment=appointment,
                slot=slot,
                override_reason=form.cleaned_data["override_reason"],
            )
        except SchedulingError as error:
            problems = list(actions.problems_of(error))
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            messages.success(request, "The appointment is moved.")
            return redirect("calendar:appointment", public_id=appointment.public_id)
    access = _shown_again(request, public_id)
    return _detail(request, access, move_form=form, problems=problems, status=422)


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def appointment_cancel(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = _for_write(request, public_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            offered = actions.cancel(
                actor=access.actor,
                appointment=access.appointment,
                reason=form.cleaned_data["reason"],
            )
        except SchedulingError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(
                request,
                "The appointment is cancelled."
                + (
                    f" The freed slot is offered to {offered} patient"
                    f"{'s' if offered != 1 else ''} on the waitlist."
                    if offered
                    else ""
                ),
            )
            return redirect("calendar:appointment", public_id=access.appointment.public_id)
    return _detail(request, _shown_again(request, public_id), cancel_form=form, status=422)


def _mark(request: ClinicRequest, public_id: UUID, mark: Any, done: str) -> HttpResponse:
    access = _for_write(request, public_id)
    try:
        mark(actor=access.actor, appointment=access.appointment)
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("calendar:appointment", public_id=access.appointment.public_id)


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def appointment_attended(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    return _mark(request, public_id, actions.attended, "Marked attended.")


@never_cache
@require_POST
@requires(Capability.BOOK_APPOINTMENTS)
def appointment_no_show(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    return _mark(request, public_id, actions.no_show, "Marked as not attended.")
