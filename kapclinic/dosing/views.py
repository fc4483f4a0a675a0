"""The dosing session pages (issue 15.1, 15.4, 15.7): the clinic's dosing day, one session
with its moves, the dose and discharge. Each action is a form posting to a view that calls one
dosing service; a refusal comes back on the session page (status 422) with the service's words
and everything typed kept. Patients appear in URLs by public id only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.exceptions import DomainError
from kapclinic.dosing import selectors, services
from kapclinic.dosing.forms import DoseForm, EscortForm, IntegrationForm, MoveForm
from kapclinic.dosing.models import DosingSession
from kapclinic.dosing.models.sessions import Drug
from kapclinic.dosing.rules import dose as dose_rules
from kapclinic.dosing.rules.dose import Verdict
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.services.doses import check_dose
from kapclinic.dosing.services.integration import book_integration
from kapclinic.ledger.models import Lot, StockAccount
from kapclinic.patients.selectors import latest_weight_kg
from kapclinic.scheduling.exceptions import BookingError
from kapclinic.scheduling.models import Appointment

SHOWS_DOSE_FORM = frozenset({State.DOSING})
SHOWS_DISCHARGE = frozenset({State.OBSERVATION, State.READY_FOR_DISCHARGE, State.ABORTED})


@never_cache
@require_GET
@requires(Capability.RUN_DOSING_SESSIONS)
def today(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    now = timezone.now()
    appointments = selectors.day_sessions(clinic, now)
    rows = []
    for appointment in appointments:
        session: DosingSession | None = getattr(appointment, "dosing_session", None)
        rows.append({"appointment": appointment, "session": session})
    context = {
        "rows": rows,
        "day": timezone.localtime(now, clinic.tzinfo).date(),
        "state_label": selectors.state_label,
        "attended": Appointment.Status.ATTENDED,
    }
    return render(request, "dosing/today.html", context)


@never_cache
@require_POST
@requires(Capability.RUN_DOSING_SESSIONS)
def check_in(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Check-in opens the session and moves it to checked in (``services.check_in``)."""
    clinic = current_clinic(request)
    appointment = selectors.access_appointment(clinic, public_id)
    try:
        session = services.check_in(
            actor=request.actor, appointment=appointment, now=timezone.now()
        )
    except DomainError as error:
        messages.error(request, f"Not checked in: {error.message}")
        return redirect("dosing:today")
    messages.success(request, "Checked in.")
    return redirect("dosing:session", public_id=session.public_id)


def _dose_form(request: ClinicRequest, session: DosingSession, data: Any = None) -> DoseForm:
    now = timezone.now()
    local = timezone.localtime(now, session.clinic.tzinfo).replace(second=0, microsecond=0)
    return DoseForm(
        data,
        stock=selectors.dose_stock(session, now),
        drug=session.drug,
        initial={"started_at": local, "ended_at": local, "containers_emptied": 0},
    )


def _integration_form(session: DosingSession, data: Any = None) -> IntegrationForm:
    clinic = session.clinic
    window = selectors.integration_window(session)
    initial: dict[str, Any] = {}
    if window is not None:
        start = timezone.localtime(session.appointment.starts_at, clinic.tzinfo)
        initial["starts_at"] = (start + timedelta(days=max(window[0], 1))).replace(
            second=0, microsecond=0
        )
    return IntegrationForm(
        data,
        rooms=selectors.integration_rooms(clinic),
        therapists=selectors.clinic_therapists(clinic),
        initial=initial,
    )


def _page(
    request: ClinicRequest,
    session: DosingSession,
    *,
    status: int = 200,
    **forms_: forms.Form,
) -> HttpResponse:
    now = timezone.now()
    view = selectors.session_view(session, now)
    current = session.current
    context: dict[str, Any] = {
        "view": view,
        "session": session,
        "patient": session.patient,
        "state_label": selectors.state_label(session.state),
        "move_form": forms_.get("move_form") or MoveForm(),
        "escort_form": forms_.get("escort_form")
        or EscortForm(initial={"escort_name": session.escort_name or session.patient.escort_name}),
        "shows_dose": current in SHOWS_DOSE_FORM,
        "shows_discharge": current in SHOWS_DISCHARGE,
        "is_ready": current == State.READY_FOR_DISCHARGE,
        "esketamine": session.drug == Drug.ESKETAMINE,
        "can_override": request.actor.can(Capability.CLEAR_SAFETY_HOLD),
        "weight": latest_weight_kg(session.patient),
    }
    if current in SHOWS_DOSE_FORM:
        dose_form = forms_.get("dose_form") or _dose_form(request, session)
        context["dose_form"] = dose_form
        mg = dose_form.cleaned_data.get("dose_mg") if dose_form.is_bound else None
        if mg is not None:  # a refused dose shows its check again, with the arithmetic
            check = check_dose(session, mg, on=now)
            context["dose_check"] = {
                "check": check,
                "warned": check.verdict == Verdict.WARN,
                "blocked": check.verdict == Verdict.BLOCK,
            }
    if current == State.DISCHARGED:
        summary = getattr(session, "discharge_summary", None)
        context["summary"] = summary
        integration_type, booked = selectors.integration_for(session, now)
        context["integration_type"] = integration_type
        context["integration_booked"] = booked
        if integration_type is not None and booked is None:
            context["integration_form"] = forms_.get("integration_form") or _integration_form(
                session
            )
    return render(request, "dosing/session.html", context, status=status)


@never_cache
@require_GET
@requires(Capability.RUN_DOSING_SESSIONS)
def session(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = selectors.audited_session(request.actor, public_id)
    return _page(request, found)


def _refused(form: forms.Form, error: DomainError, field: str | None = None) -> None:
    form.add_error(field, error.message)


@never_cache
@require_POST
@requires(Capability.RUN_DOSING_SESSIONS)
def move(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """One move through ``services.move`` (the one transition function)."""
    found = selectors.access_session(current_clinic(request), public_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        target = State(form.cleaned_data["target"])
        try:
            services.move(
                actor=request.actor,
                session=found,
                target=target,
                now=timezone.now(),
                reason=form.cleaned_data["reason"],
                override_discharge=form.cleaned_data["override_discharge"],
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, f"The session is now {selectors.state_label(target)}.")
            return redirect("dosing:session", public_id=found.public_id)
    found.refresh_from_db()
    return _page(request, found, status=422, move_form=form)


@never_cache
@require_POST
@requires(Capability.RUN_DOSING_SESSIONS)
def escort(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = selectors.access_session(current_clinic(request), public_id)
    form = EscortForm(request.POST)
    if form.is_valid():
        try:
            services.record_escort(
                actor=request.actor,
                session=found,
                escort_name=form.cleaned_data["escort_name"],
                no_driving_acknowledged=form.cleaned_data["no_driving_acknowledged"],
                now=timezone.now(),
            )
        except DomainError as error:
            _refused(form, error, "escort_name")
        else:
            messages.success(request, "Escort recorded.")
            return redirect("dosing:session", public_id=found.public_id)
    found.refresh_from_db()
    return _page(request, found, status=422, escort_form=form)


@never_cache
@require_POST
@requires(Capability.RUN_DOSING_SESSIONS)
def attest(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-REMS-4: the clinician's attestation that sedation, dissociation and breathing
    changes have resolved."""
    found = selectors.access_session(current_clinic(request), public_id)
    try:
        services.attest_stable(actor=request.actor, session=found, now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Stability attested (R-REMS-4).")
    return redirect("dosing:session", public_id=found.public_id)


def _stock(form: DoseForm, session: DosingSession) -> tuple[StockAccount, Lot] | None:
    account_id, lot_id = form.stock_ids()
    picked = selectors.picked_stock(session.clinic, account_id, lot_id)
    if picked is None:
        form.add_error("stock", "Choose a lot the clinic's ledger holds.")
    return picked


@never_cache
@require_POST
@requires(Capability.RECORD_STOCK_USE)
def dose(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The dose given (issue 15.4) through ``services.record_dose``: the ledger's
    administration is debited in the same transaction; a repeated submit returns the dose
    already recorded (retry-safe), never a second debit."""
    found = selectors.access_session(current_clinic(request), public_id)
    form = _dose_form(request, found, request.POST)
    if form.is_valid() and (picked := _stock(form, found)) is not None:
        account, lot = picked
        data = form.cleaned_data
        try:
            given = services.record_dose(
                actor=request.actor,
                session=found,
                lot=lot,
                account=account,
                dose_mg=data["dose_mg"],
                route=data["route"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                now=timezone.now(),
                containers_emptied=data["containers_emptied"],
                confirm_warning=data["confirm_warning"],
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                f"Dose of {given.dose_mg.normalize():f} mg recorded; the ledger shows the "
                "administration.",
            )
            return redirect("dosing:session", public_id=found.public_id)
    found.refresh_from_db()
    return _page(request, found, status=422, dose_form=form)


@never_cache
@require_POST
@requires(Capability.RECORD_STOCK_USE)
def dose_preview(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The dose check with its arithmetic, before submitting (htmx): R-IV-1's mg/kg bands from
    the latest weight, or R-ESK-5's devices and their 5-minute spacing."""
    found = selectors.access_session(current_clinic(request), public_id)
    form = _dose_form(request, found, request.POST)
    form.is_valid()
    context: dict[str, Any] = {"session": found}
    mg = form.cleaned_data.get("dose_mg")
    if mg is None:
        errors = [str(e) for e in form.errors.get("dose_mg", [])]
        context["problem"] = " ".join(errors) or "Type the dose in mg."
    else:
        check = check_dose(found, mg, on=timezone.now())
        context["check"] = check
        context["warned"] = check.verdict == Verdict.WARN
        context["blocked"] = check.verdict == Verdict.BLOCK
        started = form.cleaned_data.get("started_at")
        if found.drug == Drug.ESKETAMINE and check.verdict != Verdict.BLOCK and started:
            devices = int(mg) // dose_rules.DEVICE_MG
            tz = found.clinic.tzinfo
            context["device_times"] = [
                timezone.localtime(started + dose_rules.DEVICE_SPACING * n, tz)
                for n in range(devices)
            ]
    return render(request, "dosing/_dose_check.html", context)


@never_cache
@require_POST
@requires(Capability.RUN_DOSING_SESSIONS)
def integration(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-INT-1: book the integration session offered at discharge (scheduling's service)."""
    found = selectors.access_session(current_clinic(request), public_id)
    form = _integration_form(found, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            booked = book_integration(
                actor=request.actor,
                session=found,
                starts_at=data["starts_at"],
                room=data["room"],
                therapist=data["therapist"],
                override_reason=data["override_reason"],
                now=timezone.now(),
            )
        except BookingError as error:
            for problem in error.problems:
                form.add_error(None, problem.message)
            if error.needs_override:
                form.add_error("override_reason", "Give a reason to book anyway, or change it.")
        except DomainError as error:
            _refused(form, error)
        else:
            local = timezone.localtime(booked.starts_at, found.clinic.tzinfo)
            messages.success(request, f"Integration session booked for {local:%a %d %b, %H:%M}.")
            return redirect("dosing:session", public_id=found.public_id)
    return _page(request, found, status=422, integration_form=form)
