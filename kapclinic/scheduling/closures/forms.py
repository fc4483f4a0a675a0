"""Input shape of the closures page; the services check everything again."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ClosureForm(forms.Form):
    first_day = forms.DateField(label="First closed day", widget=DATE)
    last_day = forms.DateField(
        label="Last closed day",
        required=False,
        widget=DATE,
        help_text="Leave empty for one day.",
    )
    label = forms.CharField(
        label="What it is",
        max_length=120,
        help_text="For example: Staff training day. Shown on the calendars.",
    )
    starts_at = forms.TimeField(
        label="Closed from",
        required=False,
        widget=TIME,
        help_text="Only for part of the day; leave both times empty to close the whole day.",
    )
    ends_at = forms.TimeField(label="Closed until", required=False, widget=TIME)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if isinstance(first, date) and last is None:
            cleaned["last_day"] = first
        elif isinstance(first, date) and isinstance(last, date) and last < first:
            self.add_error("last_day", "The last day cannot be before the first.")
        return cleaned


class HolidaysForm(forms.Form):
    year = forms.TypedChoiceField(label="Year", coerce=int)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]
