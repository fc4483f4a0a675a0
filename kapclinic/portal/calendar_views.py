"""The patient's own calendar feed in the portal: their appointments in their calendar app,
with the time, the clinic's address and how to prepare, and nothing clinical."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.selectors import get_own_record
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.notify.forms import FeedActionForm
from kapclinic.scheduling.notify.selectors import patient_feed, upcoming_for_patient
from kapclinic.scheduling.notify.services import issue_patient_feed, revoke_feed
from kapclinic.scheduling.notify.views import feed_context


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_OWN_RECORD)
def calendar(request: ClinicRequest) -> HttpResponse:
    patient = get_own_record(request.user)
    form = FeedActionForm(request.POST if request.method == "POST" else None)
    issued = None
    if form.is_bound and form.is_valid():
        now = timezone.now()
        try:
            if form.cleaned_data["action"] == "create":
                issued = issue_patient_feed(actor=request.actor, patient=patient, now=now)
            else:
                revoke_feed(actor=request.actor, feed=patient_feed(patient), now=now)
                messages.success(request, "Calendar address revoked: it no longer works.")
                return redirect("portal:calendar")
        except SchedulingError as error:
            form.add_error(None, error.message)
    context = {
        "patient": patient,
        "form": form,
        "feed": patient_feed(patient),
        "upcoming": upcoming_for_patient(patient, now=timezone.now()),
        **feed_context(request, issued),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "portal/calendar.html", context, status=status)
