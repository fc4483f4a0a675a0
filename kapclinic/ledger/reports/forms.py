"""What a ledger report is asked for: an account, a product or all, a date range (issue 14.5).

Travels in the URL as opaque public ids and dates (GET: the report is bookmarkable and its CSV
link repeats the same query); no patient or name reaches a URL.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django import forms

from kapclinic.ledger.models import Product, StockAccount
from kapclinic.ledger.reports.selectors import ReportQuery

REPORT_YEARS: Final = 2  # the inspector's usual question: the last two years (R-CS-6)
EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(9998, 12, 31)


def two_years_to(today: date) -> date:
    try:
        return today.replace(year=today.year - REPORT_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - REPORT_YEARS, day=28)


class LedgerReportForm(forms.Form):
    account = forms.ChoiceField(label="Storage account")
    product = forms.ChoiceField(label="Product", required=False)
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        *args: Any,
        accounts: list[StockAccount],
        products: list[Product],
        today: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {str(a.public_id): a for a in accounts}
        self.products = {str(p.public_id): p for p in products}
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            (key, a.name if a.is_active else f"{a.name} (closed)")
            for key, a in self.accounts.items()
        ]
        self.fields["product"].choices = [("", "All products")] + [  # type: ignore[attr-defined]
            (key, p.name) for key, p in self.products.items()
        ]
        self.fields["start"].initial = two_years_to(today)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        for name, value in (("start", start), ("end", end)):
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(name, f"Give a date from {EARLIEST.year} on.")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        return data

    def query(self) -> ReportQuery:
        data = self.cleaned_data
        return ReportQuery(
            account=self.accounts[data["account"]],
            product=self.products.get(data.get("product") or ""),
            start=data["start"],
            end=data["end"],
        )
