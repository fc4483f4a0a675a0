"""The patient's own intention for a coming dosing session (issue 15.2, §12.5): written in the
portal before the session, read by the care team on the session's preparation page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.dosing.preparation.forms import IntentionForm
from kapclinic.dosing.preparation.selectors import intention_of, own_coming_dosing_session
from kapclinic.dosing.services.preparation import PreparationError, write_patient_intention
from kapclinic.patients.selectors import get_own_record


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.WRITE_OWN_INTENTION)
def intention(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    patient = get_own_record(request.user)
    now = timezone.now()
    appointment = own_coming_dosing_session(patient, public_id, now)
    written = intention_of(appointment)
    form = IntentionForm(
        request.POST if request.method == "POST" else None,
        initial={"text": written.text if written else ""},
    )
    if form.is_bound and form.is_valid():
        try:
            write_patient_intention(
                actor=request.actor,
                patient=patient,
                appointment=appointment,
                text=form.cleaned_data["text"],
                now=now,
            )
        except PreparationError as error:
            form.add_error("text" if error.field == "text" else None, error.message)
        else:
            messages.success(
                request, "Thank you: your care team will read your intention with you."
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/intention.html",
        {"patient": patient, "appointment": appointment, "written": written, "form": form},
        status=422 if form.is_bound else 200,
    )
