from __future__ import annotations

from datetime import date

from django import template

from kapclinic.patients.models import Patient

register = template.Library()


@register.filter
def age_on(patient: Patient, day: date) -> int:
    return patient.age_on(day)
