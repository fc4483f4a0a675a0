"""The patient's outcome graph page (issue 6): one graph per instrument, the mood pairs, and a
table of every score under each graph for screen readers and paper."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapclinic.accounts.permissions import Capability, requires
from kapclinic.accounts.types import ClinicRequest
from kapclinic.measurement.audit_actions import MeasurementAuditAction
from kapclinic.measurement.outcomes.graph import build_outcome_graph
from kapclinic.measurement.outcomes.graph_json import graph_as_json
from kapclinic.measurement.outcomes.summary import summary_rows
from kapclinic.patients.access import access_patient


@require_GET
@requires(Capability.VIEW_OUTCOMES)
def outcome_graph(request: ClinicRequest, public_id: UUID) -> HttpResponse:
    access = access_patient(request, public_id, action=MeasurementAuditAction.OUTCOME_GRAPH_VIEWED)
    patient = access.patient
    graph = build_outcome_graph(patient)
    zone = patient.clinic.tzinfo
    panels = [
        (series, summary_rows(series.outcome, zone) if series.outcome else [])
        for series in graph.series
    ]
    return render(
        request,
        "measurement/graph/outcome_graph.html",
        {
            "patient": patient,
            "access": access,
            "graph": graph,
            "panels": panels,
            "graph_data": graph_as_json(graph),
        },
    )
