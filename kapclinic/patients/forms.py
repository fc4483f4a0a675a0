from __future__ import annotations

from django import forms

from kapclinic.accounts.models import Clinic


class BreakGlassForm(forms.Form):
    clinic = forms.ModelChoiceField(
        queryset=Clinic.objects.none(), label="Clinic", empty_label="Choose the patient's clinic"
    )
    mrn = forms.CharField(
        label="Patient's MRN",
        max_length=20,
        help_text="The record number from the other clinic, e.g. CHI-000123.",
    )
    reason = forms.CharField(
        label="Emergency reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="What is happening and why you need this chart now. The clinic's admins "
        "are alerted and the reason is kept in the audit trail.",
    )

    def __init__(self, *args: object, clinics: list[Clinic], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["clinic"].queryset = Clinic.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in clinics]
        )
