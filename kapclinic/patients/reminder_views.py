"""Staff record the patient's answer on appointment reminders by e-mail, from the chart
(EDIT_PATIENT, like the patient's contact details). The patient changes it in the portal."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.patients.access import access_patient
from kapclinic.patients.exceptions import ReminderConsentError
from kapclinic.patients.models import ReminderConsent
from kapclinic.patients.services.reminders import set_email_reminders


class EmailRemindersForm(forms.Form):
    email_reminders = forms.ChoiceField(
        label="Appointment reminders by e-mail",
        choices=[(c.value, c.label) for c in (ReminderConsent.YES, ReminderConsent.NO)],
        widget=forms.RadioSelect,
    )


@require_POST
@requires(Capability.EDIT_PATIENT)
def email_reminders(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=None)
    form = EmailRemindersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose yes or no for e-mail reminders.")
    else:
        try:
            set_email_reminders(
                actor=access.actor,
                patient=access.patient,
                consent=form.cleaned_data["email_reminders"],
                now=timezone.now(),
            )
        except ReminderConsentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "E-mail reminders recorded.")
    return redirect("patients:chart", public_id=access.patient.public_id)
