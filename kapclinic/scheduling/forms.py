"""Input shape of the protocol pages: a new version's JSON document and its reason; a
retirement's reason. The document is checked item by item here so the admin sees every problem
at once; the service checks it again (the one path that writes)."""

from __future__ import annotations

import json
from typing import Any, Final

from django import forms

from kapclinic.core.reasons import clean_reason
from kapclinic.scheduling.exceptions import ProtocolDefinitionError
from kapclinic.scheduling.protocols.parser import parse_protocol

MAX_DOCUMENT_CHARS: Final = 100_000


class PublishVersionForm(forms.Form):
    document = forms.CharField(
        label="The protocol (JSON)",
        max_length=MAX_DOCUMENT_CHARS,
        strip=False,
        help_text="Edit the document of the version this one replaces; docs/scheduling.md "
        "describes every entry.",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
        error_messages={"required": "The protocol document is empty."},
    )
    reason = forms.CharField(
        label="Why this new version?",
        max_length=1000,
        help_text="For example: our nurses now watch three chairs each. Kept with the version "
        "and in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for the new version."},
    )

    def clean_document(self) -> Any:
        text = self.cleaned_data["document"]
        try:
            data = json.loads(text)
        except ValueError as error:
            msg = f"This is not valid JSON: {error}."
            raise forms.ValidationError(msg) from error
        try:
            parse_protocol(data)
        except ProtocolDefinitionError as error:
            raise forms.ValidationError(list(error.problems)) from error
        return data

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"], error=forms.ValidationError)


class RetireProtocolForm(forms.Form):
    reason = forms.CharField(
        label="Why is this protocol no longer offered?",
        max_length=1000,
        help_text="For example: the clinic stopped giving IV ketamine. Kept with the version and "
        "in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason."},
    )

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"], error=forms.ValidationError)
