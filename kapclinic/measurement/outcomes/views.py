"""The patient's outcome chart page (issue 6): one chart per instrument, the mood pairs, and a
table of every score under each chart for screen readers and paper."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.outcomes.graph import build_outcome_chart
from kapclinic.measurement.outcomes.graph_json import chart_json
from kapclinic.measurement.outcomes.summary import summary_rows
from kapclinic.patients.access import access_patient


@require_GET
@requires(Capability.VIEW_OUTCOMES)
def outcome_chart(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=MeasurementAuditAction.OUTCOME_CHART_VIEWED)
    patient = access.patient
    chart = build_outcome_chart(patient)
    zone = patient.clinic.tzinfo
    panels = [
        (series, summary_rows(series.outcome, zone) if series.outcome else [])
        for series in chart.series
    ]
    return render(
        request,
        "measurement/chart/outcome_chart.html",
        {
            "patient": patient,
            "access": access,
            "chart": chart,
            "panels": panels,
            "chart_data": chart_json(chart),
        },
    )
