"""The pre-dose checklist's forms (issue 15.3): what a nurse records for one item, and a
prescriber's override. The services decide; the forms only read what was typed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms

from kapclinic.scheduling.protocols.definition import CheckItem


class CheckForm(forms.Form):
    item = forms.ChoiceField(choices=[(i.value, i.value) for i in CheckItem])
    answer = forms.CharField(required=False, max_length=20)
    last_food = forms.TimeField(required=False, label="Last ate at")
    last_liquid = forms.TimeField(required=False, label="Last drank at")
    escort_name = forms.CharField(required=False, max_length=120, label="Adult taking them home")
    no_driving = forms.BooleanField(required=False)
    systolic = forms.DecimalField(required=False, max_digits=5, decimal_places=1)
    diastolic = forms.DecimalField(required=False, max_digits=5, decimal_places=1)
    heart_rate = forms.DecimalField(required=False, max_digits=5, decimal_places=1)
    spo2 = forms.DecimalField(required=False, max_digits=5, decimal_places=1)


def at_or_before(local_time: time | None, now: datetime) -> datetime | None:
    """A clock time typed today, as the latest moment at or before ``now`` (a meal at 22:00
    typed at 09:00 was last night). ``now`` carries the clinic's time zone."""
    if local_time is None:
        return None
    moment = now.replace(hour=local_time.hour, minute=local_time.minute, second=0, microsecond=0)
    return moment - timedelta(days=1) if moment > now else moment


class OverrideForm(forms.Form):
    item = forms.ChoiceField(choices=[(i.value, i.value) for i in CheckItem])
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def readings(data: dict[str, Decimal | None]) -> dict[str, Decimal]:
    return {key: value for key, value in data.items() if value is not None}
