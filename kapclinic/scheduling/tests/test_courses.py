"""A course through its life (issue 13.2): planned, started (enrolled in the protocol's
measurement plan), paused, resumed, completed or stopped; each step audited, refusals write
nothing, and measurement's hooks really create and cancel assignments."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from kapclinic.accounts.models import Clinic
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.assignments.rules import DEFAULT_PLAN
from kapclinic.measurement.models import Assignment, MeasurementPlan, PlanEnrolment
from kapclinic.measurement.plans.services import create_plan, enrol, ensure_default_plan
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, Course, ResourceHold, WaitlistEntry
from kapclinic.scheduling.readiness import course_readiness
from kapclinic.scheduling.services import (
    book_appointment,
    complete_course,
    pause_course,
    plan_course,
    publish_protocol_version,
    resume_course,
    retire_protocol,
    start_course,
    stop_course,
)
from kapclinic.scheduling.services.courses import NEW_COURSE_ENDS_FOLLOW_UP
from kapclinic.scheduling.tests.booking_setup import REASON, Scene, make_scene, protocol_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Scene:
    return make_scene(clinics[0], new_patient)


def _entries(action: SchedulingAuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _dose(scene: Scene, day: int = 1, hour: int = 9) -> Appointment:
    return book_appointment(
        actor=scene.actor,
        course=scene.course,
        session_type="kap-dose",
        starts_at=scene.at(day, hour),
        room=scene.treatment,
        therapist=scene.therapist,
        nurse=scene.nurse,
        now=scene.now,
    )


def test_planning_a_course_audits_it_and_allows_one_open_course(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    course = scene.course
    assert (course.status, course.modality, course.clinic) == (
        Course.Status.PLANNED,
        "ketamine_assisted_psychotherapy",
        scene.clinic,
    )
    (entry,) = _entries(SchedulingAuditAction.COURSE_PLANNED)
    assert entry.patient_public_id == scene.patient.public_id
    assert entry.detail["code"] == "kap-im-sl"
    with pytest.raises(SchedulingError, match="already has a planned course"):
        plan_course(actor=scene.actor, patient=scene.patient, protocol=scene.protocol)
    assert Course.objects.filter(patient=scene.patient).count() == 1
    # The database backs the rule: a second open course cannot be written at all.
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.create(
            clinic=scene.clinic,
            patient=scene.patient,
            protocol=scene.protocol,
            modality=scene.protocol.modality,
        )
    other = new_patient(scene.clinic)
    assert plan_course(actor=scene.actor, patient=other, protocol=scene.protocol).is_open


def test_a_course_is_planned_only_on_the_current_version_of_the_patients_clinic(
    scene: Scene, clinics: list[Clinic], new_patient: Callable[..., Patient]
) -> None:
    patient = new_patient(scene.clinic)
    elsewhere = protocol_of(clinics[1], "kap-im-sl")
    with pytest.raises(SchedulingError, match="another clinic"):
        plan_course(actor=scene.actor, patient=patient, protocol=elsewhere)
    iv = protocol_of(scene.clinic, "iv-ketamine-induction")
    retire_protocol(actor=scene.actor, version=iv, reason=REASON, now=scene.now)
    with pytest.raises(SchedulingError, match="current, published version"):
        plan_course(actor=scene.actor, patient=patient, protocol=iv)
    document = dict(scene.protocol.document, summary="A changed summary for version two.")
    publish_protocol_version(
        actor=scene.actor, clinic=scene.clinic, document=document, reason=REASON, now=scene.now
    )
    with pytest.raises(SchedulingError, match="current, published version"):
        plan_course(actor=scene.actor, patient=patient, protocol=scene.protocol)
    Patient.objects.filter(pk=patient.pk).update(
        merged_into=scene.patient, merged_at=scene.now, merge_reason=REASON
    )
    patient.refresh_from_db()
    with pytest.raises(SchedulingError, match="merged"):
        plan_course(
            actor=scene.actor, patient=patient, protocol=protocol_of(scene.clinic, "kap-im-sl")
        )
    assert not Course.objects.filter(patient=patient).exists()


def test_starting_enrols_the_patient_and_assigns_booked_dosing_sessions(scene: Scene) -> None:
    dose = _dose(scene)
    # A planned course is not measured yet: booking assigns nothing.
    assert not Assignment.objects.filter(patient=scene.patient).exists()
    course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    assert (course.status, course.started_at) == (Course.Status.ACTIVE, scene.now)
    enrolment = PlanEnrolment.objects.get(patient=scene.patient)
    assert (enrolment.plan.code, enrolment.status) == ("default", PlanEnrolment.Status.ACTIVE)
    assert enrolment.starts_on == scene.now.date()
    baseline = Assignment.objects.filter(enrolment=enrolment, session_ref__isnull=True)
    assert sorted(baseline.values_list("instrument_code", flat=True)) == ["gad7", "phq9"]
    before = Assignment.objects.filter(enrolment=enrolment, session_ref=dose.public_id)
    assert sorted(before.values_list("instrument_code", flat=True)) == [
        "gad7",
        "mood_0_10",
        "phq9",
    ]
    (entry,) = _entries(SchedulingAuditAction.COURSE_STARTED)
    assert entry.detail["enrolled"] is True
    with pytest.raises(SchedulingError, match="is active: it cannot be started"):
        start_course(actor=scene.actor, course=course, now=scene.now)


def test_starting_keeps_an_active_enrolment_of_the_plan_and_refuses_another_plan(
    scene: Scene,
) -> None:
    plan = ensure_default_plan(clinic=scene.clinic)
    kept = enrol(actor=scene.actor, patient=scene.patient, plan=plan, starts_on=scene.now.date())
    start_course(actor=scene.actor, course=scene.course, now=scene.now)
    assert list(PlanEnrolment.objects.filter(patient=scene.patient)) == [kept]
    (entry,) = _entries(SchedulingAuditAction.COURSE_STARTED)
    assert entry.detail == {
        "course": str(scene.course.public_id),
        "enrolment": str(kept.public_id),
        "enrolled": False,
    }
    # Another plan, still active: the start is refused and nothing changes.
    stop_course(actor=scene.actor, course=scene.course, reason=REASON, now=scene.now)
    PlanEnrolment.objects.filter(pk=kept.pk).update(status=PlanEnrolment.Status.ACTIVE)
    MeasurementPlan.objects.filter(pk=plan.pk).update(code="research")
    again = plan_course(actor=scene.actor, patient=scene.patient, protocol=scene.protocol)
    with pytest.raises(SchedulingError, match="end that enrolment"):
        start_course(actor=scene.actor, course=again, now=scene.now)
    again.refresh_from_db()
    assert again.status == Course.Status.PLANNED


def test_a_new_course_ends_the_follow_up_of_the_last(scene: Scene) -> None:
    start_course(actor=scene.actor, course=scene.course, now=scene.now)
    complete_course(actor=scene.actor, course=scene.course, now=scene.now + timedelta(days=40))
    first = PlanEnrolment.objects.get(patient=scene.patient)
    assert first.status == PlanEnrolment.Status.FOLLOW_UP
    second = plan_course(actor=scene.actor, patient=scene.patient, protocol=scene.protocol)
    start_course(actor=scene.actor, course=second, now=scene.now + timedelta(days=50))
    first.refresh_from_db()
    assert (first.status, first.end_reason) == (
        PlanEnrolment.Status.ENDED,
        NEW_COURSE_ENDS_FOLLOW_UP,
    )
    assert PlanEnrolment.objects.get(patient=scene.patient, status="active").pk != first.pk


def test_a_protocol_naming_a_plan_the_clinic_no_longer_offers_cannot_start(
    scene: Scene,
) -> None:
    research = create_plan(
        actor=scene.actor,
        clinic=scene.clinic,
        spec=dataclasses.replace(DEFAULT_PLAN, code="research", name="Research plan"),
    )
    version = publish_protocol_version(
        actor=scene.actor,
        clinic=scene.clinic,
        document=dict(scene.protocol.document, measurement_plan="research"),
        reason=REASON,
        now=scene.now,
    )
    stop_course(actor=scene.actor, course=scene.course, reason=REASON, now=scene.now)
    course = plan_course(actor=scene.actor, patient=scene.patient, protocol=version)
    MeasurementPlan.objects.filter(pk=research.pk).update(is_active=False)
    with pytest.raises(SchedulingError, match="no longer offers"):
        start_course(actor=scene.actor, course=course, now=scene.now)
    assert not PlanEnrolment.objects.filter(patient=scene.patient).exists()
    MeasurementPlan.objects.filter(pk=research.pk).update(is_active=True)
    start_course(actor=scene.actor, course=course, now=scene.now)
    assert PlanEnrolment.objects.get(patient=scene.patient).plan == research


def test_pausing_and_resuming_need_reasons_and_the_right_status(scene: Scene) -> None:
    with pytest.raises(SchedulingError, match="is planned: it cannot be paused"):
        pause_course(actor=scene.actor, course=scene.course, reason=REASON)
    course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    with pytest.raises(SchedulingError, match="reason in words") as refused:
        pause_course(actor=scene.actor, course=course, reason="..........")
    assert refused.value.field == "reason"
    assert not _entries(SchedulingAuditAction.COURSE_PAUSED)
    with pytest.raises(SchedulingError, match="is active: it cannot be resumed"):
        resume_course(actor=scene.actor, course=course, reason=REASON)
    course = pause_course(actor=scene.actor, course=course, reason=REASON)
    assert (course.status, course.status_reason) == (Course.Status.PAUSED, REASON)
    (paused,) = _entries(SchedulingAuditAction.COURSE_PAUSED)
    assert paused.detail["reason"] == REASON
    assert paused.changes == {"status": ["active", "paused"]}
    course = resume_course(actor=scene.actor, course=course, reason="Back from travelling now.")
    assert (course.status, course.status_reason) == (Course.Status.ACTIVE, "")
    (resumed,) = _entries(SchedulingAuditAction.COURSE_RESUMED)
    assert resumed.detail["reason"] == "Back from travelling now."


def test_completing_ends_the_course_for_measurement(scene: Scene) -> None:
    with pytest.raises(SchedulingError, match="is planned: it cannot be completed"):
        complete_course(actor=scene.actor, course=scene.course, now=scene.now)
    course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    _dose(scene, day=8)
    with pytest.raises(SchedulingError, match="1 appointment booked ahead"):
        complete_course(actor=scene.actor, course=course, now=scene.now)
    assert Course.objects.get(pk=course.pk).status == Course.Status.ACTIVE
    ended = scene.at(9, 12)
    course = complete_course(actor=scene.actor, course=course, now=ended)
    assert (course.status, course.ended_at) == (Course.Status.COMPLETED, ended)
    enrolment = PlanEnrolment.objects.get(patient=scene.patient)
    assert (enrolment.status, enrolment.course_ended_at) == (
        PlanEnrolment.Status.FOLLOW_UP,
        ended,
    )
    assert Assignment.objects.filter(enrolment=enrolment, occasion="end_of_course").count() == 2
    assert _entries(SchedulingAuditAction.COURSE_COMPLETED)
    with pytest.raises(SchedulingError, match="is completed: it cannot be stopped"):
        stop_course(actor=scene.actor, course=course, reason=REASON, now=ended)


def test_stopping_cancels_what_is_ahead_and_offers_the_slots(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    start_course(actor=scene.actor, course=scene.course, now=scene.now)
    past = _dose(scene, day=1)
    ahead = _dose(scene, day=4)
    waiting = WaitlistEntry.objects.create(
        clinic=scene.clinic, patient=new_patient(scene.clinic), earliest_day=scene.now.date()
    )
    before = Assignment.objects.filter(session_ref=ahead.public_id, status="open")
    assert before.count() == 3
    stopped_at = scene.at(2, 12)
    with pytest.raises(SchedulingError, match="reason in words"):
        stop_course(actor=scene.actor, course=scene.course, reason="no", now=stopped_at)
    result = stop_course(actor=scene.actor, course=scene.course, reason=REASON, now=stopped_at)
    course = result.course
    assert (course.status, course.status_reason, course.ended_at) == (
        Course.Status.STOPPED,
        REASON,
        stopped_at,
    )
    assert [c.appointment.pk for c in result.cancelled] == [ahead.pk]
    assert [entry.pk for entry in result.cancelled[0].offered] == [waiting.pk]
    ahead.refresh_from_db()
    assert (ahead.status, ahead.cancel_reason) == (Appointment.Status.CANCELLED, REASON)
    assert not ResourceHold.objects.filter(appointment=ahead).exists()
    assert ResourceHold.objects.filter(appointment=past).exists()  # before the stop: kept
    assert Appointment.objects.get(pk=past.pk).status == Appointment.Status.BOOKED
    assert not Assignment.objects.filter(session_ref=ahead.public_id, status="open").exists()
    enrolment = PlanEnrolment.objects.get(patient=scene.patient)
    assert enrolment.status == PlanEnrolment.Status.FOLLOW_UP
    (entry,) = _entries(SchedulingAuditAction.COURSE_STOPPED)
    assert entry.detail["cancelled"] == [str(ahead.public_id)]


def test_stopping_a_planned_course_leaves_measurement_alone(scene: Scene) -> None:
    plan = ensure_default_plan(clinic=scene.clinic)
    enrolment = enrol(
        actor=scene.actor, patient=scene.patient, plan=plan, starts_on=scene.now.date()
    )
    stop_course(actor=scene.actor, course=scene.course, reason=REASON, now=scene.now)
    enrolment.refresh_from_db()
    assert enrolment.status == PlanEnrolment.Status.ACTIVE


def test_readiness_wraps_can_start_dosing_for_the_courses_treatment(scene: Scene) -> None:
    readiness = course_readiness(scene.patient, scene.course, now=scene.now)
    assert not readiness.ready
    assert any(reason.startswith("Consent:") for reason in readiness.blocking_reasons)
    assert any("Eligibility" in reason for reason in readiness.blocking_reasons)
    esketamine = protocol_of(scene.clinic, "esketamine-rems")
    planned = course_readiness(scene.patient, esketamine, now=scene.now)
    assert any(reason.startswith("REMS") for reason in planned.blocking_reasons)
    assert not any(r.startswith("REMS") for r in readiness.blocking_reasons)
