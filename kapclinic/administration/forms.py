"""Input shapes of the clinic administration pages; the rules are in accounts.services (and
measurement.licensing for the instruments' licensed wording)."""

from __future__ import annotations

import zoneinfo
from datetime import time
from functools import cache
from typing import Any

from django import forms

from kapclinic.accounts.credentials import normalise_email
from kapclinic.accounts.models import Clinic, Role, Room, Weekday
from kapclinic.accounts.services.clinic_setup import CLINIC_FIELDS, ROOM_FIELDS
from kapclinic.core.reasons import clean_reason
from kapclinic.measurement.licensing.services import MAX_LICENCE_LENGTH
from kapclinic.measurement.licensing.wording import MAX_FILE_BYTES

# Two opening intervals a day (e.g. a lunch break) cover every clinic seen so far.
INTERVALS_PER_DAY = 2


class GrantRoleForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="Their work address. Someone new gets an e-mail to choose a password.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        help_text="Needed only for someone who has no kapclinic account yet.",
    )
    credentials = forms.CharField(
        label="Credentials",
        max_length=40,
        required=False,
        help_text="Shown after the name, e.g. MD, NP, RN, LCSW.",
    )
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [(value, label) for value, label in Role.choices if value in roles]

    def clean_email(self) -> str:
        return normalise_email(str(self.cleaned_data["email"]))


class EndRoleForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="For example: left the clinic, changed job. Kept in the audit trail.",
        widget=forms.TextInput(),
    )

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"], error=forms.ValidationError)


class RoomForm(forms.ModelForm[Room]):
    class Meta:
        model = Room
        fields = ROOM_FIELDS
        widgets = {"notes": forms.TextInput()}
        labels = {
            "has_recliner": "Recliner",
            "has_eye_masks_and_headphones": "Eye masks and headphones",
            "has_bp_monitor": "Blood-pressure monitor",
            "has_pulse_oximeter": "Pulse oximeter",
            "has_cardiac_monitor": "Cardiac monitor",
            "has_oxygen": "Oxygen supply",
            "is_active": "In use (untick to retire the room)",
        }
        help_texts = {
            "capacity": "Patients at once (1 to 20); a treatment room is usually one recliner.",
            "has_pulse_oximeter": "A dosing room needs a blood-pressure monitor and a pulse "
            "oximeter (REMS; kapclinic marks rooms without them as not for dosing).",
        }

    def clean_capacity(self) -> int:
        capacity = int(self.cleaned_data["capacity"])
        if not 1 <= capacity <= 20:
            msg = "A room holds 1 to 20 patients."
            raise forms.ValidationError(msg)
        return capacity


@cache
def _time_zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(zoneinfo.available_timezones()) if "/" in zone]


class ClinicForm(forms.ModelForm[Clinic]):
    time_zone = forms.ChoiceField(label="Time zone", choices=_time_zones)

    class Meta:
        model = Clinic
        fields = CLINIC_FIELDS
        labels = {"address_line": "Address", "idle_timeout_minutes": "Idle sign-out (minutes)"}
        help_texts = {
            "idle_timeout_minutes": "Staff are signed out after this many minutes without "
            "activity (1 to 240; HIPAA automatic logoff).",
            "break_glass_minutes": "How long a prescriber's emergency access lasts (5 to 1440).",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limits = {
            "idle_timeout_minutes": (1, 240),
            "break_glass_minutes": (5, 24 * 60),
            "safety_escalation_minutes": (5, 24 * 60),
            "questionnaire_missed_after_days": (1, 90),
        }
        for field, (low, high) in limits.items():
            value = cleaned.get(field)
            if value is not None and not low <= value <= high:
                self.add_error(field, f"Enter a number from {low} to {high}.")
        return cleaned


class OpeningHoursForm(forms.Form):
    """A week of opening times: up to two intervals a day, in the clinic's local time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for number in range(1, INTERVALS_PER_DAY + 1):
                for edge, label in (("opens", "Opens"), ("closes", "Closes")):
                    self.fields[f"{edge}_{day.value}_{number}"] = forms.TimeField(
                        label=f"{day.label}: {label.lower()}"
                        + (" (second opening)" if number > 1 else ""),
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    def days(self) -> list[tuple[str, list[tuple[forms.BoundField, forms.BoundField]]]]:
        """For the template: each weekday with its (opens, closes) field pairs."""
        return [
            (
                day.label,
                [
                    (self[f"opens_{day.value}_{n}"], self[f"closes_{day.value}_{n}"])
                    for n in range(1, INTERVALS_PER_DAY + 1)
                ],
            )
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours: list[tuple[int, time, time]] = []
        for day in Weekday:
            for number in range(1, INTERVALS_PER_DAY + 1):
                opens_key, closes_key = (
                    f"opens_{day.value}_{number}",
                    f"closes_{day.value}_{number}",
                )
                if opens_key in self.errors or closes_key in self.errors:
                    continue
                opens, closes = cleaned.get(opens_key), cleaned.get(closes_key)
                if opens is None and closes is None:
                    continue
                if opens is None or closes is None:
                    missing = opens_key if opens is None else closes_key
                    self.add_error(missing, "Give both the opening and the closing time.")
                elif closes <= opens:
                    self.add_error(closes_key, "Closing time must be after the opening time.")
                else:
                    hours.append((day.value, opens, closes))
        cleaned["hours"] = hours
        return cleaned

    @classmethod
    def initial_from(cls, hours: list[tuple[int, time, time]]) -> dict[str, time]:
        initial: dict[str, time] = {}
        count: dict[int, int] = {}
        for weekday, opens, closes in hours:
            count[weekday] = count.get(weekday, 0) + 1
            if count[weekday] <= INTERVALS_PER_DAY:
                initial[f"opens_{weekday}_{count[weekday]}"] = opens
                initial[f"closes_{weekday}_{count[weekday]}"] = closes
        return initial


class LoadWordingForm(forms.Form):
    """A licensed wording, uploaded as a JSON file or pasted, and the licence it is loaded
    under. The file's content is checked by measurement.licensing (item by item)."""

    wording_file = forms.FileField(
        label="Wording file (JSON)",
        required=False,
        help_text="The file your licence provides, in the shape shown above.",
    )
    wording_text = forms.CharField(
        label="Or paste the wording (JSON)",
        required=False,
        max_length=MAX_FILE_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    licence_holder = forms.CharField(
        label="Licence holder",
        max_length=MAX_LICENCE_LENGTH,
        help_text="Who holds the licence, as the agreement names them (the clinic or its "
        "organisation).",
        error_messages={"required": "Give the licence holder."},
    )
    licence_reference = forms.CharField(
        label="Licence or agreement reference",
        max_length=MAX_LICENCE_LENGTH,
        help_text="The agreement's number, date or other reference, to find it again.",
        error_messages={"required": "Give the licence or agreement reference."},
    )
    licence_confirmed = forms.BooleanField(
        error_messages={
            "required": "Confirm the clinic's licence: the wording is loaded only under it."
        },
    )

    def __init__(self, *args: Any, confirmation: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence_confirmed"].label = confirmation

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("wording_file")
        text = str(data.get("wording_text") or "")
        if upload and text.strip():
            msg = "Upload the wording file or paste it, not both."
            raise forms.ValidationError(msg)
        if upload:
            if upload.size > MAX_FILE_BYTES:
                self.add_error(
                    "wording_file", f"The file is larger than {MAX_FILE_BYTES // 1024} KB."
                )
                return data
            try:
                data["raw"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("wording_file", "The file is not UTF-8 text: save it as UTF-8.")
        elif text.strip():
            data["raw"] = text
        elif "wording_text" not in self.errors:
            msg = "Upload the wording file or paste its JSON."
            raise forms.ValidationError(msg)
        return data


class RetireWordingForm(forms.Form):
    reason = forms.CharField(
        label="Why is this wording no longer to be used?",
        max_length=500,
        help_text="For example: the licence ended; the wrong file was loaded. Kept in the "
        "audit trail.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason."},
    )

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"], error=forms.ValidationError)
