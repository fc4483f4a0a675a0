"""The session pages' forms (issue 15): each checks what a form can and hands the rest to the
dosing services, whose refusals come back on the same form with everything typed kept."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms

from kapclinic.accounts.models import User
from kapclinic.dosing.models.sessions import ROUTES_OF
from kapclinic.dosing.rules.workflow import State
from kapclinic.dosing.selectors import StockChoice

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_MG = Decimal(10_000)


def reason_field(label: str, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MoveForm(forms.Form):
    """One move of the session (``services.move``); hold, abort and entered in error need a
    reason, and so does a prescriber's override of the discharge criteria."""

    target = forms.ChoiceField(choices=[(s.value, s.value) for s in State])
    reason = reason_field("Reason")
    override_discharge = forms.BooleanField(required=False)


class EscortForm(forms.Form):
    """R-DC-1, R-REMS-6: who takes the patient home, and the no-driving instruction."""

    escort_name = forms.CharField(
        label="Escort (the adult who takes the patient home)", max_length=120
    )
    no_driving_acknowledged = forms.BooleanField(
        label="The patient acknowledges: no driving until the next day, after a restful sleep",
        required=False,
    )


class DoseForm(forms.Form):
    """The dose given (issue 15.4): from which stock, how much, by which route, when."""

    stock = forms.ChoiceField(label="Lot and storage account (the clinic's ledger)")
    dose_mg = forms.CharField(
        label="Dose (mg)", max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    route = forms.ChoiceField(label="Route")
    started_at = forms.DateTimeField(label="Started (first device)", widget=DATETIME)
    ended_at = forms.DateTimeField(label="Ended (last device)", widget=DATETIME)
    containers_emptied = forms.IntegerField(
        label="Containers emptied (vials, devices)", min_value=0, max_value=1000, initial=0
    )
    confirm_warning = reason_field(
        "Prescriber's confirmation of a warned dose (in words; needed only when warned)"
    )

    def __init__(self, *args: Any, stock: list[StockChoice], drug: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stock_field = cast("forms.ChoiceField", self.fields["stock"])
        route_field = cast("forms.ChoiceField", self.fields["route"])
        stock_field.choices = [("", "Choose a lot"), *((c.value, c.label) for c in stock)]
        route_field.choices = [(r.value, r.label) for r in ROUTES_OF[drug]]

    def clean_dose_mg(self) -> Decimal:
        text = self.cleaned_data["dose_mg"].strip()
        try:
            mg = Decimal(text)
        except InvalidOperation as error:
            msg = f"'{text}' is not a dose in milligrams: type a number such as 35 or 35.5."
            raise forms.ValidationError(msg) from error
        if not mg.is_finite() or mg <= 0 or mg > MAX_MG:
            msg = f"Give the dose in milligrams, above 0 and at most {MAX_MG}."
            raise forms.ValidationError(msg)
        if mg != mg.quantize(Decimal("0.001")):
            msg = "Give the dose to at most three decimal places."
            raise forms.ValidationError(msg)
        return mg

    def stock_ids(self) -> tuple[str, str]:
        account, _, lot = self.cleaned_data["stock"].partition(":")
        return account, lot


def _staff_name(user: User) -> str:
    return user.display_name


class IntegrationForm(forms.Form):
    """R-INT-1: the integration session, booked through scheduling's booking service."""

    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME)
    override_reason = reason_field("Reason to book anyway (only if the booking is refused)")

    def __init__(self, *args: Any, rooms: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The clinic's rooms and therapists (``dosing.selectors``), shown before the reason.
        therapist_field: forms.ModelChoiceField[User] = forms.ModelChoiceField(
            queryset=therapists, label="Therapist", required=False
        )
        therapist_field.label_from_instance = _staff_name  # type: ignore[method-assign,assignment]
        reason = self.fields.pop("override_reason")
        self.fields["room"] = forms.ModelChoiceField(queryset=rooms, label="Room")
        self.fields["therapist"] = therapist_field
        self.fields["override_reason"] = reason
