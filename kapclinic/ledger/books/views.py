"""The ledger's pages staff read: the accounts with their balances and badges, an account's
entries, one entry and its reversal (issue 14). The entry forms are in ``entry_views``, the
stock set-up in ``setup_views``."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.ledger import services
from kapclinic.ledger.books.forms import ReverseForm
from kapclinic.ledger.books.selectors import (
    access_account,
    access_entry,
    audited_account_page,
    audited_entry,
    holdings_of,
    settings_for,
    stock_overview,
)
from kapclinic.ledger.exceptions import LedgerError


def refuse(form: forms.BaseForm, error: LedgerError) -> None:
    """The service's refusal on the form, every reason, the rest of the form kept."""
    for problem in error.problems:
        form.add_error(None, problem)


@never_cache
@require_GET
@requires(Capability.VIEW_LEDGER)
def home(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    context = {"accounts": stock_overview(clinic), "settings": settings_for(clinic)}
    return render(request, "ledger/books/home.html", context)


@never_cache
@require_GET
@requires(Capability.VIEW_LEDGER)
def account(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    found = access_account(current_clinic(request), public_id)
    shown = audited_account_page(
        actor=request.actor, account=found, page_number=request.GET.get("page")
    )
    context = {
        "account": found,
        "holdings": holdings_of(found),
        "page": shown.entries,
        "open_dispensings": shown.open_dispensings,
    }
    return render(request, "ledger/books/account.html", context)


@never_cache
@require_GET
@requires(Capability.VIEW_LEDGER)
def entry(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    shown = audited_entry(actor=request.actor, public_id=public_id)
    context = {"shown": shown, "entry": shown.entry, "form": ReverseForm()}
    return render(request, "ledger/books/entry.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@requires(Capability.CORRECT_LEDGER)
def reverse_entry(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    """The only correction: a new entry moving exactly the opposite, with a reason."""
    found = access_entry(current_clinic(request), public_id)
    form = ReverseForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            reversal = services.reverse(
                actor=request.actor,
                entry=found,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except LedgerError as error:
            refuse(form, error)
        else:
            messages.success(request, f"Entry #{found.position} reversed by #{reversal.position}.")
            return redirect("ledger:entry", public_id=reversal.public_id)
    status = 422 if form.is_bound else 200
    context = {"entry": found, "form": form}
    return render(request, "ledger/books/reverse.html", context, status=status)
