"""Input shape of the calendar-feed and reminder pages."""

from __future__ import annotations

import re
from typing import Final

from django import forms

from kapclinic.scheduling.notify.services import MAX_LEAD_HOURS, lead_time_problems

NONE: Final = "none"
ACTIONS: Final = [("create", "Make a new address"), ("revoke", "Revoke")]


class FeedActionForm(forms.Form):
    """Make a new feed address (replacing the live one) or revoke it; ``room`` names the room
    on the clinic's room-feeds page."""

    action = forms.ChoiceField(choices=ACTIONS)
    room = forms.UUIDField(required=False)


class ReminderHoursForm(forms.Form):
    hours = forms.CharField(
        label="Send reminders this many hours before each appointment",
        max_length=60,
        help_text=f"Up to four numbers from 1 to {MAX_LEAD_HOURS} (two weeks), separated by "
        "commas, for example 72, 24; or none, to send no reminders.",
        error_messages={
            "required": "Enter the lead times in hours, for example 72, 24; or none, to send "
            "no reminders."
        },
    )

    def clean_hours(self) -> list[int]:
        text: str = self.cleaned_data["hours"]
        if text.strip().casefold() == NONE:
            return []
        parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
        numbers = []
        for part in parts:
            if not part.isascii() or not part.isdigit() or len(part) > 6:
                msg = f"'{part[:20]}' is not a whole number of hours."
                raise forms.ValidationError(msg)
            numbers.append(int(part))
        problems = lead_time_problems(numbers)
        if problems:
            raise forms.ValidationError(" ".join(problems))
        return numbers
