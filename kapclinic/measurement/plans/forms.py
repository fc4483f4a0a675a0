"""Input shapes for the measurement-plan pages."""

from __future__ import annotations

from django import forms

from kapclinic.measurement.assignments.rules import DEFAULT_PLAN
from kapclinic.measurement.models import MeasurementPlan

# The choice that stands for the shipped default plan, copied into the clinic when chosen.
DEFAULT_CHOICE = "default"


class EnrolForm(forms.Form):
    plan = forms.ChoiceField(
        label="Measurement plan",
        error_messages={
            "required": "Choose a measurement plan.",
            "invalid_choice": "Choose one of the plans offered.",
        },
    )
    starts_on = forms.DateField(
        label="Course starts on",
        help_text="The baseline questionnaires are due from a week before this day (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the day the course starts.",
            "invalid": "Give the day as YYYY-MM-DD.",
        },
    )

    def __init__(self, *args: object, plans: list[MeasurementPlan], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        default = (
            f"{DEFAULT_PLAN.name} (version {DEFAULT_PLAN.version}): {DEFAULT_PLAN.description}"
        )
        choices = [(DEFAULT_CHOICE, default)] + [
            (str(p.public_id), f"{p.name} (version {p.version})")
            for p in plans
            if p.code != DEFAULT_PLAN.code
        ]
        self.fields["plan"].choices = choices  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is this questionnaire no longer needed?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give the reason for cancelling."},
    )
