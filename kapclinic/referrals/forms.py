from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from kapclinic.accounts.selectors import list_active_clinics
from kapclinic.referrals.models import Referral
from kapclinic.referrals.prescreen import QUESTIONS

YES_NO = [("yes", "Yes"), ("no", "No"), ("skip", "I'd rather not say")]


class SelfCheckForm(forms.Form):
    """The self-check questions (all optional: skipping is fine)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[f"q_{question.key}"] = forms.ChoiceField(
                label=question.text, choices=YES_NO, required=False, widget=forms.RadioSelect
            )

    def answers(self) -> dict[str, bool | None]:
        mapping = {"yes": True, "no": False}
        return {q.key: mapping.get(self.cleaned_data.get(f"q_{q.key}") or "") for q in QUESTIONS}


class _ContactFields(forms.Form):
    clinic = forms.ModelChoiceField(
        queryset=list_active_clinics(),
        empty_label="Choose a clinic",
        label="Clinic",
    )
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    birth_date = forms.DateField(
        label="Date of birth (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="E-mail", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    contact_preference = forms.ChoiceField(
        label="How should the clinic contact you?", choices=Referral.ContactPreference.choices
    )
    message = forms.CharField(
        label="Anything you want the clinic to know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_birth_date(self) -> date | None:
        value: date | None = self.cleaned_data.get("birth_date")
        if value and value > self.today:
            msg = "The date of birth cannot be in the future."
            raise forms.ValidationError(msg)
        if value and value.year < self.today.year - 120:
            msg = "Please check the year of birth."
            raise forms.ValidationError(msg)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preference = data.get("contact_preference")
        if preference == Referral.ContactPreference.PHONE and not data.get("phone"):
            self.add_error("phone", "Give a phone number so the clinic can call you.")
        if preference == Referral.ContactPreference.EMAIL and not data.get("email"):
            self.add_error("email", "Give an e-mail address so the clinic can write to you.")
        return data


class AppointmentRequestForm(_ContactFields):
    share_answers = forms.BooleanField(
        required=False, label="Share my self-check answers with the clinic"
    )
    consent_to_contact = forms.BooleanField(
        label="I agree that the clinic stores these details and contacts me about an appointment",
        error_messages={"required": "Tick this box so the clinic may contact you."},
    )


class ClinicianReferralForm(_ContactFields):
    referring_clinician = forms.CharField(label="Referring clinician", max_length=200)
    referring_organisation = forms.CharField(
        label="Practice / organisation", max_length=200, required=False
    )
    referring_contact = forms.CharField(label="Clinician's phone or e-mail", max_length=200)


class TriageForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Referral.Status.CONTACTED, "Contacted"),
            (Referral.Status.DECLINED, "Declined / not suitable"),
            (Referral.Status.ENTERED_IN_ERROR, "Entered in error"),
        ]
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
