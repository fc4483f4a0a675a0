from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from kapclinic.consent.selectors import consent_overview
from kapclinic.patients.models import Patient

register = template.Library()


@register.inclusion_tag("consent/partials/_chart_section_body.html", takes_context=True)
def consent_chart_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    """Consent status per treatment type for the chart: two queries, whatever the history."""
    can = context.get("can") or {}
    access = context.get("access")
    return {
        "patient": patient,
        "overview": consent_overview(patient, now=timezone.now()),
        "show_link": bool(can.get("record_consent")) and not getattr(access, "break_glass", None),
    }
