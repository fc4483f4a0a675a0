"""Input shapes of the consent pages. Rules that need the database live in services."""

from __future__ import annotations

from django import forms

from kapclinic.consent.models import TreatmentType
from kapclinic.consent.services import MIN_WITHDRAWAL_REASON_LENGTH


class PublishDocumentForm(forms.Form):
    treatment_type = forms.ChoiceField(choices=TreatmentType.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text",
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Plain text. Blank lines separate paragraphs.",
    )


class SignatureForm(forms.Form):
    typed_name = forms.CharField(
        label="Your full name",
        max_length=210,
        help_text="Type your first and last name as your signature.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )
    agreed = forms.BooleanField(
        label="I have read and understood this document, and I agree to it.",
        error_messages={"required": "Tick this box to consent."},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal",
        min_length=MIN_WITHDRAWAL_REASON_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
