"""Forms of the count pages. Quantities stay text until the ledger parses them exactly
(``quantities.parse_mg``: never a float)."""

from __future__ import annotations

from django import forms

from kapclinic.ledger.models import Discrepancy, StockCount

MAX_DAYS = 730


class StartCountForm(forms.Form):
    kind = forms.ChoiceField(label="What count", choices=StockCount.Kind.choices)
    moment = forms.ChoiceField(label="When", choices=StockCount.Moment.choices)


class LineForm(forms.Form):
    lot = forms.UUIDField(widget=forms.HiddenInput)
    counted_units = forms.IntegerField(
        label="Containers or units counted",
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    counted_mg = forms.CharField(
        label="Milligrams in them",
        required=False,
        max_length=20,
        help_text="Leave empty when every container counted is full.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    estimated = forms.BooleanField(label="Estimated (an opened container, R-CS-5)", required=False)


class SecondCounterForm(forms.Form):
    """The second counter signs with their own credentials, on the counter's device."""

    email = forms.EmailField(
        label="Second counter's e-mail", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    password = forms.CharField(
        label="Second counter's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        max_length=200,
    )


class CloseDiscrepancyForm(forms.Form):
    finding = forms.ChoiceField(
        label="Finding of the investigation", choices=Discrepancy.Finding.choices
    )
    investigation = forms.CharField(
        label="What was investigated and found",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class TaskDoneForm(forms.Form):
    reference = forms.CharField(
        label="Reference",
        max_length=100,
        help_text="The Form 106 confirmation number, or the notice's date and recipient.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExpiryForm(forms.Form):
    days = forms.IntegerField(label="Expiring within (days)", min_value=0, max_value=MAX_DAYS)
