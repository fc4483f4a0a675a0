"""The ledger report: per account, product and date range, printable, and as CSV (issue 14.5;
R-CS-6: readily retrievable). Both answer GET with the query in the URL (public ids, dates);
viewing and exporting are audited by their selectors."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.ledger.reports.export import csv_lines
from kapclinic.ledger.reports.forms import LedgerReportForm
from kapclinic.ledger.reports.selectors import (
    ReportQuery,
    export_ledger_report,
    report_choices,
    view_ledger_report,
)

TEMPLATE = "ledger/reports/report.html"


def _form(request: ClinicRequest) -> LedgerReportForm:
    accounts, products = report_choices(actor=request.actor)
    today = timezone.localdate(timezone.now(), current_clinic(request).tzinfo)
    asked = {k: v for k, v in request.GET.items() if k in {"account", "product", "start", "end"}}
    # An account or product that is missing and one of another clinic answer alike: 404.
    for name, known in (("account", accounts), ("product", products)):
        if asked.get(name) and asked[name] not in {str(item.public_id) for item in known}:
            raise Http404
    return LedgerReportForm(asked or None, accounts=accounts, products=products, today=today)


def _query_string(query: ReportQuery) -> str:
    params = {
        "account": str(query.account.public_id),
        "product": str(query.product.public_id) if query.product else "",
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
    }
    return urlencode({k: v for k, v in params.items() if v})


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 8 else 1


@require_GET
@requires(Capability.REPORT_LEDGER)
def report(request: ClinicRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_bound:
        return render(request, TEMPLATE, {"form": form, "report": None})
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form, "report": None}, status=422)
    query = form.query()
    report = view_ledger_report(
        actor=request.actor, query=query, page_number=_page_number(request.GET.get("page"))
    )
    return render(
        request, TEMPLATE, {"form": form, "report": report, "query": _query_string(query)}
    )


@require_GET
@requires(Capability.REPORT_LEDGER)
def export_csv(request: ClinicRequest) -> HttpResponse | StreamingHttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form, "report": None}, status=422)
    query = form.query()
    clinic = current_clinic(request)
    entries = export_ledger_report(actor=request.actor, query=query)
    response = StreamingHttpResponse(
        csv_lines(entries, clinic.tzinfo), content_type="text/csv; charset=utf-8"
    )
    name = f"ledger-{clinic.code}-{query.start:%Y%m%d}-{query.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
