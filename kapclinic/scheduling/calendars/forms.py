"""Input shape of the calendar, appointment, waitlist and staff availability pages. The
services check everything again (the one path that writes); these give each field its error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any, Final, cast

from django import forms

from kapclinic.accounts.models import Weekday
from kapclinic.core.reasons import clean_reason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
INTERVALS_PER_DAY: Final = 2
VIEWS: Final = (("week", "Week"), ("day", "Day"))


class CalendarQueryForm(forms.Form):
    """The calendar's day, view and filters (a GET form: nothing is written)."""

    day = forms.DateField(label="Day", required=False, widget=DATE)
    view = forms.ChoiceField(label="View", choices=VIEWS, required=False)
    room = forms.ChoiceField(label="Room", required=False)
    staff = forms.ChoiceField(label="Staff member", required=False)

    def __init__(
        self,
        data: Any,
        *,
        rooms: Sequence[tuple[str, str]] = (),
        staff: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(data)
        _choices(self, "room", [("", "All rooms"), *rooms])
        _choices(self, "staff", [("", "All staff"), *staff])


def _choices(form: forms.Form, name: str, choices: Sequence[tuple[str, str]]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)


def _reason(text: str) -> str:
    return clean_reason(text, error=forms.ValidationError)


class MoveForm(forms.Form):
    """Where and when the appointment goes; a reason when staff override the rules."""

    day = forms.DateField(label="Day", widget=DATE)
    starts = forms.TimeField(label="Starts at", widget=TIME)
    room = forms.ChoiceField(label="Room")
    therapist = forms.ChoiceField(label="Therapist", required=False)
    nurse = forms.ChoiceField(label="Nurse", required=False)
    override_reason = forms.CharField(
        label="Reason to book despite the rules",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the checks below allow an override. Kept with the appointment "
        "and in the audit trail.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, Any] | None = None,
        rooms: Sequence[tuple[str, str]],
        therapists: Sequence[tuple[str, str]],
        nurses: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(data, initial=initial)
        _choices(self, "room", rooms)
        _choices(self, "therapist", [("", "None"), *therapists])
        _choices(self, "nurse", [("", "None"), *nurses])

    def clean_override_reason(self) -> str:
        text: str = self.cleaned_data.get("override_reason", "")
        return _reason(text) if text.strip() else ""


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: patient called, unwell; rebooked for next week.",
        error_messages={"required": "Give the reason for cancelling."},
    )

    def clean_reason(self) -> str:
        return _reason(self.cleaned_data["reason"])


class WithdrawForm(CancelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why does the patient leave the waitlist?"
        self.fields["reason"].help_text = "For example: booked another time by phone."


class FindPatientForm(forms.Form):
    mrn = forms.CharField(
        label="Patient's MRN",
        max_length=20,
        error_messages={"required": "Give the patient's MRN."},
    )


class WaitlistForm(forms.Form):
    course = forms.ChoiceField(label="Course", required=False)
    session_type = forms.ChoiceField(label="Session", required=False)
    earliest_day = forms.DateField(label="Earliest day", widget=DATE)
    latest_day = forms.DateField(label="Latest day", required=False, widget=DATE)
    weekdays = forms.MultipleChoiceField(
        label="Days the patient can come",
        required=False,
        choices=[(str(d.value), d.label) for d in Weekday],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day.",
    )
    not_before = forms.TimeField(label="Not before", required=False, widget=TIME)
    not_after = forms.TimeField(label="Not after", required=False, widget=TIME)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=200,
        help_text="Logistics only (for example: needs an escort on Fridays); nothing clinical.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, Any] | None = None,
        courses: Sequence[tuple[str, str]],
        session_types: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(data, initial=initial)
        _choices(self, "course", [("", "No course yet (a first appointment)"), *courses])
        _choices(self, "session_type", [("", "Any session"), *session_types])

    def clean_weekdays(self) -> list[int]:
        return [int(d) for d in self.cleaned_data.get("weekdays", [])]


class LeaveForm(forms.Form):
    first_day = forms.DateField(label="First day away", widget=DATE)
    last_day = forms.DateField(label="Last day away", widget=DATE)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=200,
        help_text="For example: annual leave, training. Never a health reason.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if isinstance(first, date) and isinstance(last, date) and last < first:
            self.add_error("last_day", "The last day cannot be before the first.")
        return cleaned


class WorkingHoursForm(forms.Form):
    """A week of working intervals in one clinic: up to two a day, each on site or remote."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for n in range(1, INTERVALS_PER_DAY + 1):
                second = " (second interval)" if n > 1 else ""
                self.fields[f"starts_{day.value}_{n}"] = forms.TimeField(
                    label=f"{day.label}: starts{second}", required=False, widget=TIME
                )
                self.fields[f"ends_{day.value}_{n}"] = forms.TimeField(
                    label=f"{day.label}: ends{second}", required=False, widget=TIME
                )
                self.fields[f"remote_{day.value}_{n}"] = forms.BooleanField(
                    label=f"{day.label}: remote{second}", required=False
                )

    def days(self) -> list[tuple[str, list[tuple[forms.BoundField, ...]]]]:
        """For the template: each weekday with its (starts, ends, remote) fields."""
        return [
            (
                day.label,
                [
                    (
                        self[f"starts_{day.value}_{n}"],
                        self[f"ends_{day.value}_{n}"],
                        self[f"remote_{day.value}_{n}"],
                    )
                    for n in range(1, INTERVALS_PER_DAY + 1)
                ],
            )
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours: list[tuple[int, time, time, bool]] = []
        for day in Weekday:
            for n in range(1, INTERVALS_PER_DAY + 1):
                s_key, e_key = f"starts_{day.value}_{n}", f"ends_{day.value}_{n}"
                if s_key in self.errors or e_key in self.errors:
                    continue
                starts, ends = cleaned.get(s_key), cleaned.get(e_key)
                if starts is None and ends is None:
                    continue
                if starts is None or ends is None:
                    self.add_error(s_key if starts is None else e_key, "Give both times.")
                elif ends <= starts:
                    self.add_error(e_key, "The end must be after the start.")
                else:
                    remote = bool(cleaned.get(f"remote_{day.value}_{n}"))
                    hours.append((day.value, starts, ends, not remote))
        cleaned["hours"] = hours
        return cleaned

    @classmethod
    def initial_from(cls, hours: Sequence[tuple[int, time, time, bool]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        count: dict[int, int] = {}
        for weekday, starts, ends, on_site in hours:
            count[weekday] = count.get(weekday, 0) + 1
            n = count[weekday]
            if n <= INTERVALS_PER_DAY:
                initial[f"starts_{weekday}_{n}"] = starts
                initial[f"ends_{weekday}_{n}"] = ends
                initial[f"remote_{weekday}_{n}"] = not on_site
        return initial
