"""Measurement-plan enrolments for the demo: patients whose course is about to start are
enrolled in their clinic's default plan (kapclinic.measurement.plans.services), so the
worklist and the chart show their baseline questionnaires due, as a clinic would see them on
the day.

Only courses with nothing recorded yet are enrolled (their baseline is still to come:
``TrajectoryCounts.upcoming``), so the plan asks exactly what the history lacks. At most
``PER_CLINIC`` a clinic, through the audited service, one patient at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from kapclinic.accounts.models import Role, StaffMembership, User
from kapclinic.measurement.models import MeasurementPlan
from kapclinic.measurement.plans.selectors import get_open_enrolment
from kapclinic.measurement.plans.services import enrol, ensure_default_plan
from kapclinic.patients.models import Patient

PER_CLINIC: Final = 20


def enrol_upcoming_courses(
    upcoming: Iterable[tuple[int, date]], *, nurse_of: dict[int, User]
) -> int:
    """Enrol each (patient id, course start) in the default plan of the patient's clinic, at
    most PER_CLINIC a clinic, by that clinic's nurse. Returns how many were enrolled."""
    starts = dict(upcoming)
    plans: dict[int, MeasurementPlan] = {}
    per_clinic: dict[int, int] = {}
    patients = Patient.objects.filter(pk__in=starts, merged_into=None).select_related("clinic")
    for patient in patients.order_by("id"):
        if per_clinic.get(patient.clinic_id, 0) >= PER_CLINIC:
            continue
        per_clinic[patient.clinic_id] = per_clinic.get(patient.clinic_id, 0) + 1
        if patient.clinic_id not in plans:
            plans[patient.clinic_id] = ensure_default_plan(clinic=patient.clinic)
        enrol(
            actor=nurse_of[patient.clinic_id],
            roles=(Role.NURSE,),
            patient=patient,
            plan=plans[patient.clinic_id],
            starts_on=starts[patient.pk],
        )
    return sum(per_clinic.values())


def enrol_portal_patient(*, email: str, today: date) -> bool:
    """Give the portal's demo patient (``email``) something due: their clinic's default plan,
    the course starting two days after ``today``, so its baseline questionnaires are due on the
    portal page. Nothing when they are already enrolled (or there is no such patient). Called
    by ``generate_demo`` (``make run``) only, so the tests' clinic stays as it was."""
    patient = (
        Patient.objects.filter(portal_user__email=email, merged_into=None)
        .select_related("clinic")
        .first()
    )
    if patient is None or get_open_enrolment(patient.pk) is not None:
        return False
    nurse = (
        StaffMembership.objects.filter(clinic=patient.clinic, role=Role.NURSE, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if nurse is None:
        return False
    enrol(
        actor=nurse.user,
        roles=(Role.NURSE,),
        patient=patient,
        plan=ensure_default_plan(clinic=patient.clinic),
        starts_on=today + timedelta(days=2),
    )
    return True
