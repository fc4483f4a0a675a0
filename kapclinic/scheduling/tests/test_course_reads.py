"""The course and appointment reads the API uses (scheduling.selectors): through the patient's
access check, audited; emergency access does not open them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role, StaffMembership
from kapclinic.accounts.permissions import Capability
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import BreakGlassGrant
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.models import Appointment, Course
from kapclinic.scheduling.selectors import (
    APPOINTMENT_PAGE_SIZE,
    access_appointment,
    access_course,
    audited_page_of_appointments,
)

pytestmark = pytest.mark.django_db


def _prescriber_of(home: Clinic, away: Clinic) -> Actor:
    membership = (
        StaffMembership.objects.filter(clinic=home, role=Role.PRESCRIBER)
        .exclude(user__memberships__clinic=away)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert membership is not None
    return Actor.for_user(membership.user, home)


def test_emergency_access_to_a_patient_does_not_open_their_courses(
    clinics: list[Clinic],
) -> None:
    home, away = clinics
    actor = _prescriber_of(home, away)
    course = Course.objects.filter(clinic=away).order_by("id").first()
    appointment = Appointment.objects.filter(course=course).order_by("id").first()
    assert course is not None
    assert appointment is not None
    now = timezone.now()
    BreakGlassGrant.objects.create(
        user=actor.user,
        patient=course.patient,
        reason="Unconscious patient brought in; checking for recent treatment.",
        granted_at=now - timedelta(minutes=1),
        expires_at=now + timedelta(hours=1),
    )
    for read, public_id, action in (
        (access_course, course.public_id, SchedulingAuditAction.COURSE_READ_BY_API),
        (access_appointment, appointment.public_id, SchedulingAuditAction.APPOINTMENT_READ_BY_API),
    ):
        with pytest.raises(Http404):
            read(actor=actor, public_id=public_id, capability=Capability.VIEW_CHART, action=action)


def test_a_page_of_appointments_keeps_to_the_asked_times(clinics: list[Clinic]) -> None:
    home = clinics[0]
    actor = _prescriber_of(home, clinics[1])
    rows = Appointment.objects.filter(clinic=home).order_by("starts_at", "id")
    middle = rows[rows.count() // 2].starts_at
    before = AuditEvent.objects.filter(
        action=SchedulingAuditAction.APPOINTMENTS_LISTED_BY_API
    ).count()

    page = audited_page_of_appointments(
        actor=actor,
        clinic=home,
        page_number=1,
        starts_from=None,
        starts_before=middle,
        status=None,
        action=SchedulingAuditAction.APPOINTMENTS_LISTED_BY_API,
    )

    wanted = rows.filter(starts_at__lt=middle)
    assert page.paginator.count == wanted.count() > 0
    assert list(page.object_list) == list(wanted[:APPOINTMENT_PAGE_SIZE])
    assert (
        AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENTS_LISTED_BY_API).count()
        == before + 1
    )
