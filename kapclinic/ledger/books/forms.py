"""The entry forms of the books (issue 14.2). They check what a form can (a number of
milligrams, a DEA number's shape and check digit, a reason in words) with the ledger's own rules
(``quantities.parse_mg``, ``rules.dea_number_problem``, ``core.reasons``) and hand the rest to
the services, whose refusals come back on the same form with everything typed kept."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from kapclinic.core.reasons import clean_reason
from kapclinic.ledger.models import DispensingUse, Lot, Product, StockAccount
from kapclinic.ledger.quantities import QuantityError, parse_mg
from kapclinic.ledger.rules import dea_number_problem

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The witness types their own credentials on the recorder's screen: never autofilled with the
# recorder's saved sign-in.
WITNESS_EMAIL = forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"})
WITNESS_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False)
EARLIEST_YEAR = 2000
NEW_LOT = "new"
MAX_CONTAINERS = 100_000


class MilligramsField(forms.CharField):
    """Exact milligrams, at most three decimal places, more than zero (never a float)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Milligrams")
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(max_length=20, **kwargs)

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            mg = parse_mg(text)
        except QuantityError as error:
            raise forms.ValidationError(str(error)) from error
        if mg <= 0:
            msg = "Give the milligrams as a number above 0."
            raise forms.ValidationError(msg)
        return mg


def reason_field(label: str = "Reason") -> forms.CharField:
    return forms.CharField(label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def lot_label(lot: Lot) -> str:
    return f"{lot.product.name} — lot {lot.number}, expires {lot.expires_on:%Y-%m-%d}"


class LotChoiceField(forms.ModelChoiceField[Lot]):
    def label_from_instance(self, obj: Lot) -> str:
        return lot_label(obj)


class EntryForm(forms.Form):
    """What every entry form asks: the actual date of the transaction (21 CFR 1304.21(d))."""

    occurred_at = forms.DateTimeField(
        label="Date and time of the transaction",
        widget=DATETIME,
        help_text="When it happened, which may be earlier than now (e.g. a delivery yesterday).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean_occurred_at(self) -> datetime:
        value: datetime = self.cleaned_data["occurred_at"]
        if not EARLIEST_YEAR <= value.year <= timezone.now().year + 1:
            msg = "Give the date the transaction happened."
            raise forms.ValidationError(msg)
        return value

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data.get("reason"), error=forms.ValidationError)


def _lot_field() -> LotChoiceField:
    return LotChoiceField(
        queryset=None, to_field_name="public_id", label="Product and lot", empty_label="Choose…"
    )


def _choose_lot(form: forms.Form, lots: QuerySet[Lot]) -> None:
    form.fields["lot"].queryset = lots  # type: ignore[attr-defined]


class ReceiptForm(EntryForm):
    """R-CS-1: sealed containers received, copied from the invoice or packing slip."""

    lot = forms.ChoiceField(label="Lot received")
    product = forms.ModelChoiceField[Product](
        queryset=None,
        to_field_name="public_id",
        required=False,
        label="Product of the new lot",
        empty_label="Choose…",
    )
    new_lot_number = forms.CharField(label="New lot number", max_length=40, required=False)
    new_lot_expires_on = forms.DateField(label="New lot expires on", widget=DATE, required=False)
    containers = forms.IntegerField(
        label="Containers received", min_value=1, max_value=MAX_CONTAINERS
    )
    supplier_name = forms.CharField(label="Supplier's name", max_length=200)
    supplier_address = forms.CharField(label="Supplier's address", max_length=300)
    supplier_dea = forms.CharField(
        label="Supplier's DEA number",
        max_length=20,
        help_text="Two letters and seven digits, as printed on the invoice.",
    )
    invoice_number = forms.CharField(label="Invoice or packing-slip number", max_length=60)
    field_order = [
        "lot",
        "product",
        "new_lot_number",
        "new_lot_expires_on",
        "containers",
        "supplier_name",
        "supplier_address",
        "supplier_dea",
        "invoice_number",
        "occurred_at",
    ]

    def __init__(
        self, *args: Any, lots: QuerySet[Lot], products: QuerySet[Product], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lots = {str(lot.public_id): lot for lot in lots}
        self.fields["lot"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *((key, lot_label(lot)) for key, lot in self.lots.items()),
            (NEW_LOT, "A new lot (give its product, number and expiry below)"),
        ]
        self.fields["product"].queryset = products  # type: ignore[attr-defined]

    def clean_supplier_dea(self) -> str:
        number = str(self.cleaned_data["supplier_dea"]).strip().upper()
        problem = dea_number_problem(number)
        if problem:
            raise forms.ValidationError(problem)
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lot") == NEW_LOT:
            for name, message in (
                ("product", "Choose the product of the new lot."),
                ("new_lot_number", "Give the lot number printed on the container."),
                ("new_lot_expires_on", "Give the new lot's expiry date."),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        elif data.get("lot"):
            data["lot"] = self.lots[data["lot"]]
        return data

    @property
    def new_lot(self) -> bool:
        return self.cleaned_data.get("lot") == NEW_LOT


class WitnessFields(forms.Form):
    """The witness's own e-mail and password, typed by the witness (R-CS-3, R-CS-4)."""

    witness_email = forms.EmailField(
        label="Witness: your e-mail", max_length=254, widget=WITNESS_EMAIL, required=False
    )
    witness_password = forms.CharField(
        label="Witness: your password",
        max_length=4096,
        widget=WITNESS_PASSWORD,
        required=False,
        strip=False,
    )


class WasteForm(EntryForm, WitnessFields):
    """R-CS-3: what was left after a partial dose, with its reason and a witness."""

    lot = _lot_field()
    mg = MilligramsField(label="Milligrams wasted")
    containers_emptied = forms.IntegerField(
        label="Containers emptied and discarded",
        min_value=0,
        max_value=MAX_CONTAINERS,
        initial=0,
        help_text="Vials: how many are now empty and thrown away (0 when the vial stays in "
        "use). Devices and lozenges count themselves.",
    )
    reason = reason_field()
    field_order = ["lot", "mg", "containers_emptied", "reason", "occurred_at"]

    def __init__(self, *args: Any, lots: QuerySet[Lot], witness_required: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choose_lot(self, lots)
        self.fields["witness_email"].required = witness_required
        self.fields["witness_password"].required = witness_required


class DispenseForm(EntryForm):
    """R-CS-2, R-LT-3: whole dosage units handed to a patient for a supervised or an at-home
    session; the patient's later return reconciles it."""

    lot = _lot_field()
    patient_mrn = forms.CharField(label="Patient's MRN", max_length=20)
    units = forms.IntegerField(label="Units dispensed", min_value=1, max_value=1000)
    use = forms.ChoiceField(label="For", choices=DispensingUse.choices, widget=forms.RadioSelect)
    field_order = ["lot", "patient_mrn", "units", "use", "occurred_at"]

    def __init__(self, *args: Any, lots: QuerySet[Lot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose_lot(self, lots)


class ReturnForm(EntryForm):
    """R-LT-3: the reconciliation of a dispensing."""

    units_returned = forms.IntegerField(
        label="Units the patient brought back", min_value=0, max_value=1000, initial=0
    )
    units_taken = forms.IntegerField(
        label="Units the patient reports taking", min_value=0, max_value=1000, initial=0
    )
    units_lost = forms.IntegerField(
        label="Units reported lost", min_value=0, max_value=1000, initial=0
    )


class TransferForm(EntryForm):
    lot = _lot_field()
    destination = forms.ModelChoiceField[StockAccount](
        queryset=None,
        to_field_name="public_id",
        label="To account",
        empty_label="Choose…",
    )
    mg = MilligramsField(label="Milligrams moved")
    units = forms.IntegerField(
        label="Containers or units moved", min_value=0, max_value=MAX_CONTAINERS
    )
    field_order = ["lot", "destination", "mg", "units", "occurred_at"]

    def __init__(
        self,
        *args: Any,
        lots: QuerySet[Lot],
        destinations: QuerySet[StockAccount],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choose_lot(self, lots)
        self.fields["destination"].queryset = destinations  # type: ignore[attr-defined]


class DestroyForm(EntryForm, WitnessFields):
    """R-CS-4: the DEA Form 41 record: what, how much, how, why, and two witnesses."""

    lot = _lot_field()
    mg = MilligramsField(label="Milligrams destroyed")
    units = forms.IntegerField(
        label="Containers or units destroyed", min_value=0, max_value=MAX_CONTAINERS
    )
    method = forms.CharField(
        label="Method of destruction",
        max_length=200,
        help_text="E.g. chemical digestion kit rendering it non-retrievable (21 CFR 1317.90).",
    )
    reason = reason_field("Why it is destroyed (expired, damaged, returned)")
    second_witness_email = forms.EmailField(
        label="Second witness: your e-mail", max_length=254, widget=WITNESS_EMAIL
    )
    second_witness_password = forms.CharField(
        label="Second witness: your password",
        max_length=4096,
        widget=WITNESS_PASSWORD,
        strip=False,
    )
    field_order = ["lot", "mg", "units", "method", "reason", "occurred_at"]

    def __init__(self, *args: Any, lots: QuerySet[Lot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose_lot(self, lots)
        self.fields["witness_email"].required = True
        self.fields["witness_password"].required = True
        self.fields["witness_email"].label = "First witness: your e-mail"
        self.fields["witness_password"].label = "First witness: your password"


class AdjustForm(EntryForm):
    """A correction of a balance with a written reason (a count's finding, stock held before
    the ledger)."""

    lot = _lot_field()
    direction = forms.ChoiceField(
        label="The adjustment",
        choices=[("add", "Adds stock"), ("remove", "Removes stock")],
        widget=forms.RadioSelect,
    )
    mg = MilligramsField(label="Milligrams")
    units = forms.IntegerField(label="Containers or units", min_value=0, max_value=MAX_CONTAINERS)
    reason = reason_field()
    field_order = ["lot", "direction", "mg", "units", "reason", "occurred_at"]

    def __init__(self, *args: Any, lots: QuerySet[Lot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose_lot(self, lots)

    def signed(self) -> tuple[Decimal, int]:
        sign = -1 if self.cleaned_data["direction"] == "remove" else 1
        return sign * self.cleaned_data["mg"], sign * self.cleaned_data["units"]


class ReverseForm(forms.Form):
    reason = reason_field("Why this entry is reversed")

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data.get("reason"), error=forms.ValidationError)
