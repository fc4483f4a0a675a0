"""The patient's next appointments on their chart (the chart's view has already checked and
audited the access): one query."""

from __future__ import annotations

from typing import Any, Final

from django import template
from django.utils import timezone

from kapclinic.patients.models import Patient
from kapclinic.scheduling.calendars.selectors import upcoming_appointments

register = template.Library()
CHART_LIMIT: Final = 5


@register.inclusion_tag("scheduling/calendars/_chart_section.html", takes_context=True)
def chart_appointments(context: template.Context, patient: Patient) -> dict[str, Any]:
    can = context.get("can") or {}
    access = context.get("access")
    return {
        "patient": patient,
        "upcoming": upcoming_appointments(
            patient, patient.clinic.tzinfo, timezone.now(), CHART_LIMIT
        ),
        "limit": CHART_LIMIT,
        "show_links": bool(can.get("view_schedule")) and not getattr(access, "break_glass", None),
        "can_book": bool(can.get("book_appointments")),
    }
