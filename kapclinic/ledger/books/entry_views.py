"""The entry forms (issue 14.2): each calls its ledger service and never writes a model. A
refusal (the service's or a witness's) comes back on the same form with every reason and
everything typed kept, except a password, which the witness types again. Administration is
not typed here: the dosing workflow posts it (issue 15)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.request_context import current_request_context
from kapclinic.ledger import services
from kapclinic.ledger.books.forms import (
    AdjustForm,
    DestroyForm,
    DispenseForm,
    ReceiptForm,
    ReturnForm,
    TransferForm,
    WasteForm,
)
from kapclinic.ledger.books.selectors import (
    access_account,
    access_entry,
    find_patient,
    held_lots,
    list_accounts,
    list_lots,
    list_products,
    settings_for,
)
from kapclinic.ledger.books.views import refuse
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import DispensingUse, Entry, EntryKind, StockAccount
from kapclinic.ledger.services import WitnessSignature

WITNESS_FIELDS = ("witness_password", "second_witness_password")


def _data(request: ClinicRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _page(
    request: ClinicRequest,
    form: forms.BaseForm,
    account: StockAccount,
    kind: EntryKind,
    **extra: Any,
) -> HttpResponse:
    context = {"form": form, "account": account, "kind": kind, **extra}
    status = 422 if form.is_bound else 200
    return render(request, f"ledger/books/{kind.value}.html", context, status=status)


def _done(request: ClinicRequest, entry: Entry) -> HttpResponse:
    messages.success(
        request,
        f"{entry.get_kind_display()} recorded as entry #{entry.position} of {entry.account}.",
    )
    return redirect("ledger:account", public_id=entry.account.public_id)


def _witness(
    request: ClinicRequest, form: forms.BaseForm, prefix: str = ""
) -> WitnessSignature | None:
    """The witness's signature from their own e-mail and password on the form; None when the
    form has none to give (then the rules decide whether one was needed) or they were refused
    (the refusal is on the form, under the witness's password)."""
    email = form.cleaned_data.get(f"{prefix}witness_email")
    password = form.cleaned_data.get(f"{prefix}witness_password")
    if not email and not password:
        return None
    context = current_request_context()
    try:
        return services.sign_as_witness(
            actor=request.actor,
            email=email or "",
            password=password or "",
            ip_address=context.ip_address if context else None,
            now=timezone.now(),
        )
    except LedgerError as error:
        for problem in error.problems:
            form.add_error(f"{prefix}witness_password", problem)
        return None


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.RECEIVE_STOCK)
def receive(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    account = access_account(clinic, public_id)
    form = ReceiptForm(
        _data(request),
        lots=list_lots(clinic),
        products=list_products(clinic, active_only=True),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        receipt = {
            "actor": request.actor,
            "account": account,
            "containers": data["containers"],
            "supplier_name": data["supplier_name"],
            "supplier_address": data["supplier_address"],
            "supplier_dea": data["supplier_dea"],
            "invoice_number": data["invoice_number"],
            "occurred_at": data["occurred_at"],
            "now": timezone.now(),
        }
        try:
            if form.new_lot:
                entry = services.receive_new_lot(
                    product=data["product"],
                    lot_number=data["new_lot_number"],
                    expires_on=data["new_lot_expires_on"],
                    **receipt,
                )
            else:
                entry = services.receive(lot=data["lot"], **receipt)
        except LedgerError as error:
            refuse(form, error)
        else:
            return _done(request, entry)
    return _page(request, form, account, EntryKind.RECEIPT)


@never_cache
@sensitive_post_parameters(*WITNESS_FIELDS)
@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_STOCK_USE)
def waste(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-CS-3: the nurse records the waste and the witness signs on the same screen."""
    account = access_account(current_clinic(request), public_id)
    needs_witness = settings_for(account.clinic).waste_needs_witness
    form = WasteForm(_data(request), lots=held_lots(account), witness_required=needs_witness)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        witness = _witness(request, form)
        if not form.errors:
            try:
                entry = services.waste(
                    actor=request.actor,
                    account=account,
                    lot=data["lot"],
                    mg=data["mg"],
                    containers_emptied=data["containers_emptied"],
                    reason=data["reason"],
                    witness=witness,
                    occurred_at=data["occurred_at"],
                    now=timezone.now(),
                )
            except LedgerError as error:
                refuse(form, error)
            else:
                return _done(request, entry)
    return _page(request, form, account, EntryKind.WASTE, needs_witness=needs_witness)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_STOCK_USE)
def dispense(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-CS-2, R-LT-3: lozenges handed to a patient for a supervised or at-home session."""
    clinic = current_clinic(request)
    account = access_account(clinic, public_id)
    form = DispenseForm(_data(request), lots=held_lots(account))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        patient = find_patient(clinic, data["patient_mrn"])
        if patient is None:
            form.add_error("patient_mrn", "No patient of this clinic has that MRN.")
        else:
            try:
                entry = services.dispense(
                    actor=request.actor,
                    account=account,
                    lot=data["lot"],
                    patient=patient,
                    units=data["units"],
                    use=DispensingUse(data["use"]),
                    occurred_at=data["occurred_at"],
                    now=timezone.now(),
                )
            except LedgerError as error:
                refuse(form, error)
            else:
                return _done(request, entry)
    return _page(request, form, account, EntryKind.DISPENSING)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.RECORD_STOCK_USE)
def record_return(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-LT-3: what the patient brings back, took and lost, against one dispensing."""
    dispensing = access_entry(current_clinic(request), public_id)
    form = ReturnForm(_data(request))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.record_return(
                actor=request.actor,
                dispensing=dispensing,
                units_returned=data["units_returned"],
                units_taken=data["units_taken"],
                units_lost=data["units_lost"],
                occurred_at=data["occurred_at"],
                now=timezone.now(),
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            return _done(request, entry)
    return _page(request, form, dispensing.account, EntryKind.RETURN, dispensing=dispensing)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.TRANSFER_STOCK)
def transfer(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    account = access_account(clinic, public_id)
    destinations = list_accounts(clinic).exclude(pk=account.pk)
    form = TransferForm(_data(request), lots=held_lots(account), destinations=destinations)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            sent, _ = services.transfer(
                actor=request.actor,
                source=account,
                destination=data["destination"],
                lot=data["lot"],
                mg=data["mg"],
                units=data["units"],
                occurred_at=data["occurred_at"],
                now=timezone.now(),
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            return _done(request, sent)
    return _page(request, form, account, EntryKind.TRANSFER_OUT)


@never_cache
@sensitive_post_parameters(*WITNESS_FIELDS)
@require_http_methods(["GET", "POST"])
@requires(Capability.CORRECT_LEDGER)
def destroy(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """R-CS-4: the DEA Form 41 record, signed by two witnesses on the same screen."""
    account = access_account(current_clinic(request), public_id)
    form = DestroyForm(_data(request), lots=held_lots(account))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        first = _witness(request, form)
        second = _witness(request, form, "second_")
        if first is not None and second is not None:
            try:
                entry = services.destroy(
                    actor=request.actor,
                    account=account,
                    lot=data["lot"],
                    mg=data["mg"],
                    units=data["units"],
                    reason=data["reason"],
                    method=data["method"],
                    witnesses=(first, second),
                    occurred_at=data["occurred_at"],
                    now=timezone.now(),
                )
            except LedgerError as error:
                refuse(form, error)
            else:
                return _done(request, entry)
    return _page(request, form, account, EntryKind.DESTRUCTION)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.CORRECT_LEDGER)
def adjust(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    clinic = current_clinic(request)
    account = access_account(clinic, public_id)
    form = AdjustForm(_data(request), lots=list_lots(clinic))
    if form.is_bound and form.is_valid():
        mg, units = form.signed()
        try:
            entry = services.adjust(
                actor=request.actor,
                account=account,
                lot=form.cleaned_data["lot"],
                mg=mg,
                units=units,
                reason=form.cleaned_data["reason"],
                occurred_at=form.cleaned_data["occurred_at"],
                now=timezone.now(),
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            return _done(request, entry)
    return _page(request, form, account, EntryKind.ADJUSTMENT)
