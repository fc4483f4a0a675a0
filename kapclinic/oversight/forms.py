from __future__ import annotations

from typing import Any

from django import forms

from kapclinic.accounts.models import Clinic, User
from kapclinic.audit.models import Operation
from kapclinic.oversight.catalogue import action_choices
from kapclinic.oversight.selectors import (
    AuditFilters,
    find_clinic_patient_by_mrn,
    list_clinic_staff,
)


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.email})"


class AuditFilterForm(forms.Form):
    """Filters of the audit report. The patient is typed as an MRN, but travels in the URL only
    as its opaque public id (the view redirects), so no identifier lands in logs."""

    user = StaffChoiceField(
        queryset=None,  # the clinic's staff, set for the form's clinic
        required=False,
        label="Staff member",
        to_field_name="public_id",
        empty_label="Anyone",
    )
    patient_mrn = forms.CharField(required=False, max_length=20, label="Patient MRN")
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    operation = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "Any"), *Operation.choices]
    )
    action = forms.ChoiceField(
        required=False, label="Action", choices=[("", "Any"), *action_choices()]
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["user"].queryset = list_clinic_staff(clinic)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        mrn = (data.get("patient_mrn") or "").strip()
        if mrn:
            patient = find_clinic_patient_by_mrn(self.clinic, mrn)
            if patient is None:
                self.add_error("patient_mrn", f"No patient with MRN {mrn} at {self.clinic.name}.")
            else:
                data["patient"] = patient.public_id
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        user = data.get("user")
        return AuditFilters(
            user=user.public_id if user else None,
            patient=data.get("patient"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            operation=data.get("operation") or "",
            action=data.get("action") or "",
        )
