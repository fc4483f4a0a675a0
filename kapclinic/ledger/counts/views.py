"""The count pages (issue 14.4): counts per account, a blind count at the safe (phone-sized),
its result, discrepancies, DEA tasks, the expiry report.

Blind: while a count is in progress its page shows the lots and what was counted, never the
expected balance (the selectors hand none before submission; the htmx row answers the same).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.core.request_context import current_request_context
from kapclinic.ledger import services as ledger
from kapclinic.ledger.counts import selectors, services
from kapclinic.ledger.counts.forms import (
    CloseDiscrepancyForm,
    ExpiryForm,
    LineForm,
    SecondCounterForm,
    StartCountForm,
)
from kapclinic.ledger.counts.forms import TaskDoneForm as DoneForm
from kapclinic.ledger.exceptions import LedgerError
from kapclinic.ledger.models import ComplianceTask, Discrepancy, StockCount


def _add_problems(form: object, error: LedgerError) -> None:
    for problem in error.problems:
        form.add_error(None, problem)  # type: ignore[attr-defined]


@require_GET
@requires(Capability.VIEW_LEDGER)
def index(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    context = {
        "accounts": selectors.active_accounts(clinic),
        "open_discrepancies": selectors.open_discrepancies(clinic).count(),
    }
    return render(request, "ledger/counts/index.html", context)


def _account_page(
    request: ClinicRequest, account_id: UUID, form: StartCountForm, status: int = 200
) -> HttpResponse:
    account = selectors.account_of(current_clinic(request), account_id)
    context = {"account": account, "counts": selectors.counts_of(account)[:50], "form": form}
    return render(request, "ledger/counts/account.html", context, status=status)


@require_GET
@requires(Capability.VIEW_LEDGER)
def account_counts(request: ClinicRequest, account_id: UUID) -> HttpResponse:
    return _account_page(request, account_id, StartCountForm())


@require_POST
@requires(Capability.COUNT_STOCK)
def start(request: ClinicRequest, account_id: UUID) -> HttpResponse:
    account = selectors.account_of(current_clinic(request), account_id)
    form = StartCountForm(request.POST)
    if form.is_valid():
        try:
            count = services.start_count(
                actor=request.actor,
                account=account,
                kind=StockCount.Kind(form.cleaned_data["kind"]),
                moment=StockCount.Moment(form.cleaned_data["moment"]),
                now=timezone.now(),
            )
        except LedgerError as error:
            _add_problems(form, error)
        else:
            return redirect("ledger:count", count.public_id)
    return _account_page(request, account_id, form, status=422)


def _count_page(
    request: ClinicRequest,
    count: StockCount,
    *,
    line_form: LineForm | None = None,
    submit_form: SecondCounterForm | None = None,
    status: int = 200,
) -> HttpResponse:
    clinic = current_clinic(request)
    in_progress = count.status == StockCount.Status.IN_PROGRESS
    context = {
        "count": count,
        "in_progress": in_progress,
        "rows": selectors.lots_to_count(count) if in_progress else [],
        "other_lots": selectors.countable_lots(clinic) if in_progress else [],
        "lines": selectors.result_lines(count),
        "line_form": line_form or LineForm(),
        "submit_form": submit_form or SecondCounterForm(),
    }
    return render(request, "ledger/counts/count.html", context, status=status)


@require_GET
@requires(Capability.VIEW_LEDGER)
def count_page(request: ClinicRequest, count_id: UUID) -> HttpResponse:
    return _count_page(request, selectors.count_of(current_clinic(request), count_id))


@require_POST
@requires(Capability.COUNT_STOCK)
def line(request: ClinicRequest, count_id: UUID) -> HttpResponse:
    """One lot's count. From htmx: the row again (saved or with its error); else the page."""
    clinic = current_clinic(request)
    count = selectors.count_of(clinic, count_id)
    form = LineForm(request.POST)
    saved = None
    lot = None
    if form.is_valid():
        lot = selectors.lot_of(clinic, form.cleaned_data["lot"])
        try:
            saved = services.record_line(
                actor=request.actor,
                count=count,
                lot=lot,
                counted_mg=form.cleaned_data["counted_mg"],
                counted_units=form.cleaned_data["counted_units"],
                estimated=form.cleaned_data["estimated"],
                now=timezone.now(),
            )
        except LedgerError as error:
            _add_problems(form, error)
    if request.headers.get("HX-Request") == "true" and lot is not None:
        row = selectors.LotToCount(lot, saved)
        context = {"count": count, "row": row, "form": form if saved is None else None}
        # 200 either way: htmx swaps only successful answers, and the row carries its error.
        return render(request, "ledger/counts/_row.html", context)
    if saved is not None:
        messages.success(request, f"Counted: {saved.lot}.")
        return redirect("ledger:count", count.public_id)
    return _count_page(request, count, line_form=form, status=422)


@require_POST
@requires(Capability.COUNT_STOCK)
def submit(request: ClinicRequest, count_id: UUID) -> HttpResponse:
    count = selectors.count_of(current_clinic(request), count_id)
    form = SecondCounterForm(request.POST)
    if form.is_valid():
        context = current_request_context()
        now = timezone.now()
        try:
            signature = ledger.sign_as_witness(
                actor=request.actor,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip_address=context.ip_address if context else None,
                now=now,
            )
            done = services.submit_count(
                actor=request.actor, count=count, second_counter=signature, now=now
            )
        except LedgerError as error:
            _add_problems(form, error)
        else:
            opened = selectors.discrepancies_opened_by(done)
            if opened:
                messages.warning(request, f"Submitted: {opened} discrepancy(ies) opened.")
            else:
                messages.success(request, "Submitted: the count matches the ledger.")
            return redirect("ledger:count", count.public_id)
    return _count_page(request, count, submit_form=form, status=422)


@require_GET
@requires(Capability.VIEW_LEDGER)
def discrepancy_list(request: ClinicRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    rows = selectors.discrepancies(current_clinic(request), open_only=not show_all)
    context = {"discrepancies": rows[:200], "show_all": show_all}
    return render(request, "ledger/counts/discrepancies.html", context)


def _discrepancy_page(
    request: ClinicRequest,
    discrepancy: Discrepancy,
    form: CloseDiscrepancyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "d": discrepancy,
        "form": form or CloseDiscrepancyForm(),
        "OPEN": Discrepancy.Status.OPEN,
    }
    return render(request, "ledger/counts/discrepancy.html", context, status=status)


@require_GET
@requires(Capability.VIEW_LEDGER)
def discrepancy(request: ClinicRequest, discrepancy_id: UUID) -> HttpResponse:
    found = selectors.discrepancy_of(current_clinic(request), discrepancy_id)
    return _discrepancy_page(request, found)


@require_POST
@requires(Capability.CORRECT_LEDGER)
def close(request: ClinicRequest, discrepancy_id: UUID) -> HttpResponse:
    found = selectors.discrepancy_of(current_clinic(request), discrepancy_id)
    form = CloseDiscrepancyForm(request.POST)
    if form.is_valid():
        try:
            services.close_discrepancy(
                actor=request.actor,
                discrepancy=found,
                finding=Discrepancy.Finding(form.cleaned_data["finding"]),
                investigation=form.cleaned_data["investigation"],
                now=timezone.now(),
            )
        except LedgerError as error:
            _add_problems(form, error)
        else:
            messages.success(request, "The discrepancy is closed.")
            return redirect("ledger:discrepancy", found.public_id)
    return _discrepancy_page(request, found, form, status=422)


@require_GET
@requires(Capability.REPORT_LEDGER)
def task_list(request: ClinicRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    rows = selectors.tasks(current_clinic(request), open_only=not show_all)
    context = {
        "tasks": rows[:200],
        "show_all": show_all,
        "now": timezone.now(),
        "OPEN": ComplianceTask.Status.OPEN,
    }
    return render(request, "ledger/counts/tasks.html", context)


@require_http_methods(["GET", "POST"])
@requires(Capability.REPORT_LEDGER)
def task(request: ClinicRequest, task_id: UUID) -> HttpResponse:
    found = selectors.task_of(current_clinic(request), task_id)
    form = DoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_task(
                actor=request.actor,
                task=found,
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except LedgerError as error:
            _add_problems(form, error)
        else:
            messages.success(request, "Marked as done.")
            return redirect("ledger:task", found.public_id)
    status = 422 if request.method == "POST" else 200
    context = {"t": found, "form": form, "OPEN": ComplianceTask.Status.OPEN}
    return render(request, "ledger/counts/task.html", context, status=status)


@require_GET
@requires(Capability.VIEW_LEDGER)
def expiry(request: ClinicRequest) -> HttpResponse:
    """Lots with stock expiring within N days (or expired), per account; printable."""
    clinic = current_clinic(request)
    form = ExpiryForm(request.GET or {"days": selectors.EXPIRY_SOON_DAYS})
    days = form.cleaned_data["days"] if form.is_valid() else selectors.EXPIRY_SOON_DAYS
    now = timezone.now()
    context = {
        "form": form,
        "days": days,
        "today": now.astimezone(clinic.tzinfo).date(),
        "holdings": selectors.expiring_holdings(clinic, now, days=days),
    }
    return render(request, "ledger/counts/expiry.html", context, status=200)
