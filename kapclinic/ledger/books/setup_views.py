"""Stock set-up (issue 14.1): products, lots, storage accounts and the clinic's ledger
settings. Every change goes through a ledger service and is audited; nothing is deleted (a
product is retired, an account is closed once it holds nothing)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.ledger import services
from kapclinic.ledger.books.selectors import (
    access_account,
    access_product,
    list_accounts,
    list_lots,
    list_products,
    settings_for,
)
from kapclinic.ledger.books.setup_forms import AccountForm, LotForm, ProductForm, SettingsForm
from kapclinic.ledger.books.views import refuse
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DosageForm, LedgerSettings, Substance, UnitKind


def _status(bound: bool) -> int:
    return 422 if bound else 200


@never_cache
@require_GET
@requires(Capability.MANAGE_STOCK)
def setup(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    context = {
        "products": list_products(clinic),
        "lots": list_lots(clinic),
        "accounts": list_accounts(clinic, open_only=False),
        "settings": settings_for(clinic),
    }
    return render(request, "ledger/books/setup.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STOCK)
def add_product(request: ClinicRequest) -> HttpResponse:
    form = ProductForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            product = services.add_product(
                actor=request.actor,
                name=data["name"],
                substance=Substance(data["substance"]),
                form=DosageForm(data["form"]),
                unit_kind=UnitKind(data["unit_kind"]),
                mg_per_unit=data["mg_per_unit"],
                concentration_mg_per_ml=data["concentration_mg_per_ml"],
                ml_per_unit=data["ml_per_unit"],
                ndc=data["ndc"],
                rxnorm=data["rxnorm"],
                rxnorm_verified=data["rxnorm_verified"],
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            messages.success(request, f"{product} added. Record its lots next.")
            return redirect("ledger:setup")
    context = {"form": form, "title": "Add a product", "submit": "Add the product"}
    return render(request, "ledger/books/setup_form.html", context, status=_status(form.is_bound))


@never_cache
@require_POST
@requires(Capability.MANAGE_STOCK)
def retire_product(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    product = access_product(current_clinic(request), public_id)
    try:
        services.retire_product(actor=request.actor, product=product)
    except LedgerError as error:
        messages.error(request, " ".join(error.problems))
    else:
        messages.success(request, f"{product} retired: it is no longer offered for receipts.")
    return redirect("ledger:setup")


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STOCK)
def add_lot(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = LotForm(
        request.POST if request.method == "POST" else None,
        products=list_products(clinic, active_only=True),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            lot = services.add_lot(
                actor=request.actor,
                product=data["product"],
                number=data["number"],
                expires_on=data["expires_on"],
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            messages.success(request, f"{lot} recorded.")
            return redirect("ledger:setup")
    context = {"form": form, "title": "Record a lot", "submit": "Record the lot"}
    return render(request, "ledger/books/setup_form.html", context, status=_status(form.is_bound))


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STOCK)
def open_account(request: ClinicRequest) -> HttpResponse:
    form = AccountForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            account = services.open_account(
                actor=request.actor,
                name=form.cleaned_data["name"],
                location=form.cleaned_data["location"],
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            messages.success(request, f"{account} opened.")
            return redirect("ledger:setup")
    context = {"form": form, "title": "Open a storage account", "submit": "Open the account"}
    return render(request, "ledger/books/setup_form.html", context, status=_status(form.is_bound))


@never_cache
@require_POST
@requires(Capability.MANAGE_STOCK)
def close_account(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    account = access_account(current_clinic(request), public_id)
    try:
        services.close_account(actor=request.actor, account=account)
    except LedgerError as error:
        messages.error(request, " ".join(error.problems))
    else:
        messages.success(request, f"{account} closed. Its entries stay on the ledger.")
    return redirect("ledger:setup")


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_STOCK)
def ledger_settings(request: ClinicRequest) -> HttpResponse:
    current = settings_for(current_clinic(request))
    initial = {
        "retention_years": current.retention_years,
        "waste_needs_witness": current.waste_needs_witness,
        "count_cadence": current.count_cadence,
    }
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_settings(
                actor=request.actor,
                retention_years=data["retention_years"],
                waste_needs_witness=data["waste_needs_witness"],
                count_cadence=LedgerSettings.CountCadence(data["count_cadence"]),
            )
        except LedgerError as error:  # pragma: no cover - the form checks the same bounds
            refuse(form, error)
        else:
            messages.success(request, "Ledger settings saved.")
            return redirect("ledger:setup")
    context = {"form": form, "title": "Ledger settings", "submit": "Save the settings"}
    return render(request, "ledger/books/setup_form.html", context, status=_status(form.is_bound))
