"""The course planner's form (issue 13.3): the protocol, the earliest start, the patient's
weekdays and hours, the days they cannot come, and optionally the rooms to use."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, Final

from django import forms

from kapclinic.scheduling.planner.values import WEEKDAY_NAMES, PatientAvailability

MAX_BLACKOUT_DAYS: Final = 200
LATEST_START_DAYS: Final = 365


def parse_blackout(text: str) -> frozenset[date]:
    """Dates (YYYY-MM-DD) and ranges ("2027-01-04 to 2027-01-08"), one a line or separated by
    commas; ValueError names the first item that is not one."""
    days: set[date] = set()
    for raw in text.replace(",", "\n").splitlines():
        item = raw.strip()
        if not item:
            continue
        first_text, _, last_text = item.partition(" to ")
        try:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip()) if last_text else first
        except ValueError:
            msg = f"“{item[:40]}” is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD to YYYY-MM-DD)."
            raise ValueError(msg) from None
        if last < first:
            msg = f"“{item[:40]}”: the range ends before it starts."
            raise ValueError(msg)
        if (last - first).days + len(days) >= MAX_BLACKOUT_DAYS:
            msg = f"At most {MAX_BLACKOUT_DAYS} days can be blacked out."
            raise ValueError(msg)
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


class PlanCourseForm(forms.Form):
    protocol = forms.ChoiceField(
        label="Protocol",
        error_messages={"required": "Choose the protocol of the course."},
    )
    earliest_start = forms.DateField(
        label="Earliest start",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the first day the course may start.",
            "invalid": "Give a date as YYYY-MM-DD.",
        },
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days the patient can come",
        choices=[(str(n), name) for n, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one day the patient can come."},
    )
    earliest_time = forms.TimeField(
        label="From",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Give the earliest time the patient can arrive.",
            "invalid": "Give a time as HH:MM.",
        },
    )
    latest_time = forms.TimeField(
        label="Until",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Give the time the patient must leave by.",
            "invalid": "Give a time as HH:MM.",
        },
    )
    blackout = forms.CharField(
        label="Days the patient cannot come (optional)",
        required=False,
        max_length=4000,
        help_text="Dates as YYYY-MM-DD, or ranges as YYYY-MM-DD to YYYY-MM-DD; one a line or "
        "separated by commas.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    rooms = forms.TypedMultipleChoiceField(
        label="Only these rooms (optional)",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        protocols: list[tuple[str, str]],
        rooms: list[tuple[str, str]],
        today: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["protocol"].choices = [("", "Choose…"), *protocols]  # type: ignore[attr-defined]
        self.fields["rooms"].choices = rooms  # type: ignore[attr-defined]
        self.fields["rooms"].error_messages["invalid_choice"] = (
            "That room is not one of the clinic's."
        )
        self.fields["protocol"].error_messages["invalid_choice"] = (
            "That protocol is not one the clinic offers now."
        )

    @staticmethod
    def initial_for(today: date) -> dict[str, Any]:
        return {
            "earliest_start": today + timedelta(days=1),
            "weekdays": [str(n) for n in range(5)],
            "earliest_time": time(8),
            "latest_time": time(18),
        }

    def clean_earliest_start(self) -> date:
        start: date = self.cleaned_data["earliest_start"]
        if start < self.today:
            msg = "The earliest start cannot be in the past."
            raise forms.ValidationError(msg)
        if start > self.today + timedelta(days=LATEST_START_DAYS):
            msg = f"The earliest start must be within {LATEST_START_DAYS} days."
            raise forms.ValidationError(msg)
        return start

    def clean_blackout(self) -> frozenset[date]:
        try:
            return parse_blackout(self.cleaned_data.get("blackout") or "")
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        earliest, latest = cleaned.get("earliest_time"), cleaned.get("latest_time")
        if earliest is not None and latest is not None and latest <= earliest:
            self.add_error("latest_time", "The patient must be able to stay after they arrive.")
        return cleaned

    def availability(self) -> PatientAvailability:
        data = self.cleaned_data
        return PatientAvailability(
            weekdays=frozenset(data["weekdays"]),
            earliest_time=data["earliest_time"],
            latest_time=data["latest_time"],
            blackout=data["blackout"],
        )

    def room_ids(self) -> frozenset[int] | None:
        chosen = self.cleaned_data.get("rooms") or []
        return frozenset(chosen) if chosen else None
