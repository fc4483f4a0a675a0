"""The clinic admin's audit report: filter, page through, export CSV. Viewing and exporting
are themselves audited."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from urllib.parse import urlencode
from uuid import UUID

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kapclinic.accounts.models import Clinic
from kapclinic.accounts.permissions import Capability, current_clinic, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.audit.models import AuditEvent
from kapclinic.oversight.catalogue import ACTION_LABELS
from kapclinic.oversight.forms import AuditFilterForm
from kapclinic.oversight.selectors import (
    AuditFilters,
    export_audit_events,
    mrns_by_public_id,
    view_audit_report,
)

CSV_HEADER = [
    "chain",  # "clinic:<clinic id>" or "global": verify_audit names an entry by both
    "position",
    "occurred_at",
    "actor",
    "actor_roles",
    "operation",
    "action",
    "patient_mrn",
    "patient_id",
    "target",
    "changes",
    "detail",
    "purpose",
    "request_id",
    "ip_address",
    "entry_hash",
]


def _query_string(filters: AuditFilters) -> str:
    params = {
        "user": filters.user,
        "patient": filters.patient,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "operation": filters.operation,
        "action": filters.action,
    }
    return urlencode({key: str(value) for key, value in params.items() if value})


@require_http_methods(["GET", "POST"])
@requires(Capability.VIEW_AUDIT)
def report(request: ClinicRequest) -> HttpResponse:
    clinic = current_clinic(request)
    form = AuditFilterForm(request.POST if request.method == "POST" else request.GET, clinic=clinic)
    if not form.is_valid():
        return render(
            request,
            "oversight/audit_report.html",
            {"form": form, "page": None, "mrns": {}},
            status=422,
        )
    filters = form.filters()
    if request.method == "POST":
        # Post/redirect/get: the typed MRN becomes the patient's opaque id in the URL.
        query = _query_string(filters)
        return redirect(f"{request.path}?{query}" if query else request.path)
    report = view_audit_report(
        actor=request.actor,
        clinic=clinic,
        filters=filters,
        page_number=request.GET.get("page"),
    )
    entries = report.entries
    return render(
        request,
        "oversight/audit_report.html",
        {
            "form": form,
            "page": report.page,
            "query": _query_string(filters),
            "entries": entries,
            "action_labels": ACTION_LABELS,
            "mrns": mrns_by_public_id(clinic, [e.patient_public_id for e in entries]),
        },
    )


def _csv_rows(
    clinic: Clinic, events: Iterator[AuditEvent], mrns: dict[UUID, str]
) -> Iterator[list[str]]:
    yield CSV_HEADER
    for event in events:
        yield [
            event.chain,
            str(event.position),
            timezone.localtime(event.occurred_at, clinic.tzinfo).isoformat(),
            event.actor_label,
            event.actor_roles,
            event.operation,
            event.action,
            mrns.get(event.patient_public_id, "") if event.patient_public_id else "",
            str(event.patient_public_id or ""),
            event.target,
            json.dumps(event.changes, sort_keys=True),
            json.dumps(event.detail, sort_keys=True),
            event.purpose,
            event.request_id,
            event.ip_address or "",
            event.entry_hash,
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@requires(Capability.VIEW_AUDIT)
def export_csv(request: ClinicRequest) -> HttpResponse | StreamingHttpResponse:
    clinic = current_clinic(request)
    form = AuditFilterForm(request.GET, clinic=clinic)
    if not form.is_valid():
        return render(
            request,
            "oversight/audit_report.html",
            {"form": form, "page": None, "mrns": {}},
            status=422,
        )
    filters = form.filters()
    events = export_audit_events(actor=request.actor, clinic=clinic, filters=filters)
    mrns = mrns_by_public_id(clinic, events.values_list("patient_public_id", flat=True))
    writer = csv.writer(_Echo())
    rows = _csv_rows(clinic, events.iterator(chunk_size=2000), mrns)
    stamp = timezone.localtime(timezone.now(), clinic.tzinfo).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{clinic.code}-{stamp}.csv"'
    return response
