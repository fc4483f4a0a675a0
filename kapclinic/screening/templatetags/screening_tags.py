from __future__ import annotations

from django import template

from kapclinic.patients.models import Patient
from kapclinic.screening.models import Screening
from kapclinic.screening.selectors import CHART_LIMIT, list_screenings

register = template.Library()


@register.simple_tag
def chart_screenings(patient: Patient) -> list[Screening]:
    """The patient's latest screenings for the chart's timeline (one query)."""
    return list_screenings(patient, limit=CHART_LIMIT)
