"""The stock set-up forms (issue 14.1): products, lots, storage accounts, ledger settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from kapclinic.ledger.books.forms import DATE, MilligramsField
from kapclinic.ledger.models import DosageForm, LedgerSettings, Product, Substance, UnitKind
from kapclinic.ledger.services.setup import MAX_RETENTION_YEARS, MIN_RETENTION_YEARS


class ProductForm(forms.Form):
    name = forms.CharField(
        label="Name as on the label",
        max_length=200,
        help_text="E.g. Ketamine HCl injection 50 mg/mL, 10 mL vial.",
    )
    substance = forms.ChoiceField(choices=Substance.choices)
    form = forms.ChoiceField(label="Dosage form", choices=DosageForm.choices)
    unit_kind = forms.ChoiceField(
        label="Counted in",
        choices=UnitKind.choices,
        help_text="Devices and lozenges are used whole; vials and bottles in milligrams.",
    )
    mg_per_unit = MilligramsField(label="Milligrams in one unit (a whole vial, one device)")
    concentration_mg_per_ml = MilligramsField(label="Concentration (mg/mL)", required=False)
    ml_per_unit = MilligramsField(label="Volume of one container (mL)", required=False)
    ndc = forms.CharField(
        label="NDC",
        max_length=13,
        required=False,
        help_text="As printed, e.g. 0409-2051-05 (where known).",
    )
    rxnorm = forms.CharField(label="RxNorm RxCUI", max_length=12, required=False)
    rxnorm_verified = forms.BooleanField(
        label="The RxCUI was checked against RxNorm", required=False
    )


class ProductChoiceField(forms.ModelChoiceField[Product]):
    def label_from_instance(self, obj: Product) -> str:
        return obj.name


class LotForm(forms.Form):
    product = ProductChoiceField(queryset=None, to_field_name="public_id", empty_label="Choose…")
    number = forms.CharField(label="Lot number", max_length=40)
    expires_on = forms.DateField(label="Expires on", widget=DATE)

    def __init__(self, *args: Any, products: QuerySet[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]


class AccountForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, help_text="E.g. Main safe.")
    location = forms.CharField(
        label="Where it is", max_length=200, required=False, help_text="E.g. room 2, locked."
    )


class SettingsForm(forms.Form):
    retention_years = forms.IntegerField(
        label="Keep records for (years)",
        min_value=MIN_RETENTION_YEARS,
        max_value=MAX_RETENTION_YEARS,
        help_text="At least two years (21 CFR 1304.04(a)); your state may require longer.",
    )
    waste_needs_witness = forms.BooleanField(
        label="A waste needs a witness who signs (recommended)", required=False
    )
    count_cadence = forms.ChoiceField(
        label="Count the stock", choices=LedgerSettings.CountCadence.choices
    )
