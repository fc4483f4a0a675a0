"""The monitoring forms (issue 15.5): a set of readings with its ratings, an alert's
acknowledgement, an adverse event. Forms parse what was typed and keep it on error; the rules
(plausibility R-COD-1, alerts R-ALR-*) are the services' (``services.monitoring``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from kapclinic.dosing.console.selectors import UNIT_SHOWN
from kapclinic.dosing.rules.adverse import KIND_LABELS, OUTCOME_LABELS
from kapclinic.dosing.rules.vitals import VITALS, VitalKind

FIELDS = (
    VitalKind.SYSTOLIC,
    VitalKind.DIASTOLIC,
    VitalKind.HEART_RATE,
    VitalKind.SPO2,
    VitalKind.RESPIRATORY_RATE,
    VitalKind.TEMPERATURE,
)
MOAAS_CHOICES = [
    ("", "Not rated"),
    ("5", "5: responds readily to name in a normal tone"),
    ("4", "4: lethargic response to name in a normal tone"),
    ("3", "3: responds only when the name is called loudly or repeatedly"),
    ("2", "2: responds only after mild prodding or shaking"),
    ("1", "1: responds only after a painful trapezius squeeze"),
    ("0", "0: no response after a painful trapezius squeeze"),
]


def _reading_field(kind: VitalKind) -> forms.CharField:
    spec = VITALS[kind]
    return forms.CharField(
        label=f"{spec.label} ({UNIT_SHOWN[kind]})",
        required=False,
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "title": f"LOINC {spec.loinc}"}
        ),
    )


class VitalsForm(forms.Form):
    systolic = _reading_field(VitalKind.SYSTOLIC)
    diastolic = _reading_field(VitalKind.DIASTOLIC)
    heart_rate = _reading_field(VitalKind.HEART_RATE)
    spo2 = _reading_field(VitalKind.SPO2)
    respiratory_rate = _reading_field(VitalKind.RESPIRATORY_RATE)
    temperature = _reading_field(VitalKind.TEMPERATURE)
    moaas = forms.ChoiceField(label="Sedation (MOAA/S)", choices=MOAAS_CHOICES, required=False)
    cadss_total = forms.CharField(
        label="Dissociation (CADSS total)",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text="Above 4 means dissociation is present (R-ALR-6).",
    )

    def readings(self) -> dict[VitalKind, Decimal]:
        return self.cleaned_data["readings"]  # type: ignore[no-any-return]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        readings: dict[VitalKind, Decimal] = {}
        for kind in FIELDS:
            raw = (data.get(kind.value) or "").strip().replace(",", ".")
            if not raw:
                continue
            try:
                value = Decimal(raw)
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():
                spec = VITALS[kind]
                self.add_error(
                    kind.value, f"'{raw}' is not a number of {UNIT_SHOWN[kind]} ({spec.label})."
                )
                continue
            readings[kind] = value
        data["readings"] = readings
        cadss = (data.get("cadss_total") or "").strip()
        data["cadss"] = None
        if cadss:
            if not cadss.isdigit():
                self.add_error("cadss_total", f"'{cadss}' is not a whole-number CADSS total.")
            else:
                data["cadss"] = int(cadss)
        moaas = data.get("moaas") or ""
        data["moaas_score"] = int(moaas) if moaas else None
        return data


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Say what was done about this alert."},
    )


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened",
        choices=[("", "Choose")] + [(k.value, v) for k, v in KIND_LABELS.items()],
    )
    onset = forms.TimeField(
        label="Started at (clinic time)",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={
            "required": "Give the time it started.",
            "invalid": "Give a time such as 14:35.",
        },
    )
    description = forms.CharField(
        label="What was seen", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    interventions = forms.CharField(
        label="What was done (interventions)",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what was done (write 'none' if nothing was needed)."},
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose")] + [(o.value, v) for o, v in OUTCOME_LABELS.items()],
    )
    serious = forms.BooleanField(
        label="Serious adverse event (reported on the REMS form)", required=False
    )
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)
