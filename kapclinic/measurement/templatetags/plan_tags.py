"""Measurement-plan fragments for pages of other apps (the chart, Today), which include the
templates and so never import this app."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils import timezone

from kapclinic.accounts.models import Clinic
from kapclinic.measurement.models import PlanEnrolment
from kapclinic.measurement.plans.selectors import (
    DueCounts,
    Row,
    count_due,
    get_open_enrolment,
    list_patient_due,
)
from kapclinic.patients.models import Patient

register = template.Library()


@dataclass(frozen=True)
class ChartQuestionnaires:
    enrolment: PlanEnrolment | None
    due: list[Row]


@register.simple_tag
def chart_questionnaires(patient: Patient) -> ChartQuestionnaires:
    """The patient's plan and the questionnaires due or overdue now (two queries)."""
    now = timezone.now()
    return ChartQuestionnaires(
        enrolment=get_open_enrolment(patient.pk), due=list_patient_due(patient.pk, now)
    )


@register.simple_tag
def clinic_due_counts(clinic: Clinic) -> DueCounts:
    """Due and overdue questionnaires of the clinic now (one query)."""
    return count_due(clinic, timezone.now())
