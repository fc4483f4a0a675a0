"""Reads of the safety tasks a response raised, for the pages that finish or show it."""

from __future__ import annotations

from django.db.models import Exists

from kapclinic.accounts.models import Clinic
from kapclinic.measurement.instruments.definition import AlertSeverity
from kapclinic.measurement.models import Assessment, SafetyTask


def has_urgent_task(assessment: Assessment) -> bool:
    """Whether the response raised an urgent safety task (the patient is then told that the
    care team was alerted, and where to get help now). One query."""
    return SafetyTask.objects.filter(
        assessment=assessment, severity=AlertSeverity.URGENT.value
    ).exists()


def any_open_task(clinic: Clinic) -> Exists:
    """Whether ``clinic`` has an open (not yet acknowledged) safety task, as an expression to
    ask in one query with others: the page layout reads the banner (services.safety_banner)
    only when there is one."""
    return Exists(SafetyTask.objects.filter(clinic=clinic, status=SafetyTask.Status.OPEN))


def list_assessment_tasks(assessment: Assessment) -> list[SafetyTask]:
    """The safety tasks the response raised, newest first. One query."""
    return list(SafetyTask.objects.filter(assessment=assessment))
