from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from kapclinic.consent.models import TreatmentType
from kapclinic.consent.readiness import can_start_dosing
from kapclinic.consent.selectors import consent_overview
from kapclinic.patients.models import Patient

register = template.Library()


@register.inclusion_tag("consent/partials/_chart_section_body.html", takes_context=True)
def consent_chart_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    """Consent status per treatment type and whether a session of each may start (the same
    check the dosing workflow makes) for the chart: a fixed number of queries, whatever the
    history."""
    can = context.get("can") or {}
    access = context.get("access")
    now = timezone.now()
    return {
        "patient": patient,
        "overview": consent_overview(patient, now=now),
        "readiness": [(t, can_start_dosing(patient, t, now=now)) for t in TreatmentType],
        "show_link": bool(can.get("record_consent")) and not getattr(access, "break_glass", None),
    }
