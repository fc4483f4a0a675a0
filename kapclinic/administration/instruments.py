"""Clinic → Instruments: every questionnaire's licence in plain words, and the licensed wording
the clinic admin loads (or retires) for those kapclinic ships without it (C-SSRS screener,
MADRS, QIDS-SR16, CADSS; issue 11.2). The rules are in measurement.licensing.

Everything acts on the admin's current clinic; another clinic's wording answers 404 like a
missing one.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.administration.forms import LoadWordingForm, RetireWordingForm
from kapclinic.measurement.instruments import get_instrument
from kapclinic.measurement.licensing.exceptions import LicensedWordingError, Problem
from kapclinic.measurement.licensing.selectors import (
    access_wording,
    get_instrument_licence,
    list_instrument_licences,
)
from kapclinic.measurement.licensing.services import load_wording, retire_wording
from kapclinic.measurement.licensing.wording import confirmation_words, short_name
from kapclinic.measurement.responses.selectors import count_in_progress

# The shape of a wording file, shown on the page (placeholders, never licensed text).
EXAMPLE = """{
  "stem": "The instruction shown before the questions (optional)",
  "items": {"%(first)s": "The wording of the first question", "...": "..."},
  "options": {"%(first)s": {"%(value)s": "The label of that answer", "...": "..."}}
}"""


@never_cache
@require_GET
@requires(Capability.MANAGE_INSTRUMENTS)
def instruments(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    return render(
        request,
        "administration/instruments.html",
        {"clinic": clinic, "rows": list_instrument_licences(clinic)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_INSTRUMENTS)
def instrument(request: ClinicRequest, code: str) -> HttpResponse:
    """One instrument: its licence, the wording in use here (a preview), earlier loads, and the
    form that loads a wording (file or pasted JSON) under the licence the admin declares."""
    clinic = current_clinic(request)
    page = get_instrument_licence(clinic, code)
    definition = page.row.instrument
    form = LoadWordingForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        confirmation=confirmation_words(definition),
    )
    problems: tuple[Problem, ...] = ()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            load_wording(
                actor=request.actor,
                clinic=clinic,
                instrument_code=definition.code,
                raw=data["raw"],
                licence_holder=data["licence_holder"],
                licence_reference=data["licence_reference"],
                licence_confirmed=data["licence_confirmed"],
                now=timezone.now(),
            )
        except LicensedWordingError as error:
            problems = error.problems
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            messages.success(
                request,
                f"The wording of {short_name(definition)} is loaded: staff can now give it "
                "in this clinic.",
            )
            return redirect("administration:instrument", code=definition.code)
    first = definition.items[0]
    example = EXAMPLE % {"first": first.id, "value": min(first.values)}
    context = {
        "clinic": clinic,
        "page": page,
        "row": page.row,
        "form": form,
        "problems": problems,
        "example": example,
    }
    return render(
        request,
        "administration/instrument.html",
        context,
        status=422 if form.is_bound else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_INSTRUMENTS)
def retire(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """Stop using a loaded wording, with a reason (it is kept, no longer shown)."""
    clinic = current_clinic(request)
    wording = access_wording(clinic, public_id)
    form = RetireWordingForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            retire_wording(
                actor=request.actor,
                wording=wording,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except LicensedWordingError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(
                request,
                "The wording is retired: staff can no longer give this instrument here until "
                "a wording is loaded again.",
            )
            return redirect("administration:instrument", code=wording.instrument_code)
    context = {
        "clinic": clinic,
        "wording": wording,
        "name": short_name(get_instrument(wording.instrument_code, wording.instrument_version)),
        "form": form,
        "in_progress": count_in_progress(wording),
    }
    return render(
        request,
        "administration/wording_retire.html",
        context,
        status=422 if form.is_bound else 200,
    )
