"""Cancelling an appointment (its slot offered to the waitlist), marking it attended or not
attended (issue 13.4), and what measurement makes of each for a dosing session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest

from kapclinic.accounts.models import Clinic
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assignment
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import SchedulingError
from kapclinic.scheduling.models import Appointment, ResourceHold, WaitlistEntry
from kapclinic.scheduling.services import (
    book_appointment,
    cancel_appointment,
    mark_attended,
    mark_no_show,
    start_course,
)
from kapclinic.scheduling.tests.booking_setup import REASON, Scene, make_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Scene:
    scene = make_scene(clinics[0], new_patient)
    scene.course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    return scene


def _dose(scene: Scene, day: int = 1) -> Appointment:
    return book_appointment(
        actor=scene.actor,
        course=scene.course,
        session_type="kap-dose",
        starts_at=scene.at(day, 9),
        room=scene.treatment,
        therapist=scene.therapist,
        nurse=scene.nurse,
        now=scene.now,
    )


def test_cancelling_frees_the_slot_and_cancels_the_questionnaires(scene: Scene) -> None:
    dose = _dose(scene)
    with pytest.raises(SchedulingError, match="reason in words") as refused:
        cancel_appointment(actor=scene.actor, appointment=dose, reason="sick", now=scene.now)
    assert refused.value.field == "reason"
    assert ResourceHold.objects.filter(appointment=dose).exists()
    result = cancel_appointment(actor=scene.actor, appointment=dose, reason=REASON, now=scene.now)
    cancelled = result.appointment
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_at) == (
        Appointment.Status.CANCELLED,
        REASON,
        scene.now,
    )
    assert cancelled.cancelled_by == scene.actor.user
    assert not ResourceHold.objects.filter(appointment=dose).exists()
    statuses = Assignment.objects.filter(session_ref=dose.public_id).values_list(
        "status", flat=True
    )
    assert set(statuses) == {Assignment.Status.CANCELLED}
    (entry,) = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_CANCELLED)
    assert entry.detail["reason"] == REASON
    assert entry.changes == {"status": ["booked", "cancelled"]}
    with pytest.raises(SchedulingError, match="this one is cancelled"):
        cancel_appointment(actor=scene.actor, appointment=dose, reason=REASON, now=scene.now)
    assert result.problems == ()
    # The slot is free again: another booking takes it.
    assert _dose(scene).chair == 1


def test_a_cancellation_says_which_course_rules_it_leaves_broken(scene: Scene) -> None:
    first, middle, last = (_dose(scene, day) for day in (1, 8, 22))
    assert first.override_reason == middle.override_reason == last.override_reason == ""
    result = cancel_appointment(actor=scene.actor, appointment=middle, reason=REASON, now=scene.now)
    # Three weeks between the doses left: they are at most 14 days apart (R-SL-1).
    assert [(p.kind, p.rule_id, p.overridable) for p in result.problems] == [
        ("too_far", "R-SL-1", True)
    ]
    assert "21 days after the previous one" in result.problems[0].message
    assert Appointment.objects.get(pk=middle.pk).status == Appointment.Status.CANCELLED


def test_a_freed_slot_is_offered_to_the_entries_it_fits(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    dose = _dose(scene, day=1)  # Tuesday 2 March 2027, 09:00-11:40
    tuesday = scene.at(1, 0).date()

    def wait(**wish: object) -> WaitlistEntry:
        values: dict[str, object] = {"earliest_day": tuesday - timedelta(days=1), **wish}
        return WaitlistEntry.objects.create(
            clinic=scene.clinic,
            patient=new_patient(scene.clinic),
            **values,
        )

    anything = wait()
    fitting = wait(
        session_type="kap-dose",
        latest_day=tuesday,
        weekdays=[1, 3],
        not_before=time(8),
        not_after=time(12),
    )
    unfitting = [
        wait(session_type="integration"),
        wait(earliest_day=tuesday + timedelta(days=1)),
        wait(latest_day=tuesday - timedelta(days=1)),
        wait(weekdays=[0, 2]),
        wait(not_before=time(9, 30)),
        wait(not_after=time(11)),
        WaitlistEntry.objects.create(
            clinic=scene.clinic, patient=scene.patient, earliest_day=tuesday
        ),
        wait(status=WaitlistEntry.Status.BOOKED),
    ]
    result = cancel_appointment(actor=scene.actor, appointment=dose, reason=REASON, now=scene.now)
    assert [entry.pk for entry in result.offered] == [anything.pk, fitting.pk]
    for entry in (anything, fitting):
        entry.refresh_from_db()
        assert (entry.status, entry.offered_appointment) == (WaitlistEntry.Status.OFFERED, dose)
    for entry in unfitting:
        entry.refresh_from_db()
        assert entry.offered_appointment is None
    (audit,) = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_CANCELLED)
    assert audit.detail["waitlist_offered"] == [str(anything.public_id), str(fitting.public_id)]


def test_attending_a_dose_assigns_the_after_session_questionnaires(scene: Scene) -> None:
    dose = _dose(scene, day=1)
    with pytest.raises(SchedulingError, match="later day"):
        mark_attended(actor=scene.actor, appointment=dose, now=scene.at(0, 20))
    with pytest.raises(SchedulingError, match="end after it started") as refused:
        mark_attended(
            actor=scene.actor, appointment=dose, now=scene.at(1, 8), ended_at=scene.at(1, 9)
        )
    assert refused.value.field == "ended_at"
    assert Appointment.objects.get(pk=dose.pk).status == Appointment.Status.BOOKED
    # Marked early on its day (the patient is in the chair), it ends as booked.
    attended = mark_attended(actor=scene.actor, appointment=dose, now=scene.at(1, 8, 50))
    assert (attended.status, attended.attended_at, attended.ended_at) == (
        Appointment.Status.ATTENDED,
        scene.at(1, 8, 50),
        dose.ends_at,
    )
    after = Assignment.objects.filter(session_ref=dose.public_id).exclude(occasion="pre_session")
    assert sorted(after.values_list("occasion", flat=True)) == ["day_after", "post_session"]
    assert after.get(occasion="post_session").anchor_at == dose.ends_at
    assert ResourceHold.objects.filter(appointment=dose).exists()  # it took its time
    (entry,) = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_ATTENDED)
    assert entry.changes == {"status": ["booked", "attended"]}
    assert set(entry.detail) == {"course", "starts_at", "ended_at"}
    with pytest.raises(SchedulingError, match="this one is attended"):
        mark_no_show(actor=scene.actor, appointment=dose, now=scene.at(2, 9))


def test_a_given_end_time_anchors_the_questionnaires(scene: Scene) -> None:
    dose = _dose(scene, day=1)
    ended = scene.at(1, 12, 5)
    mark_attended(actor=scene.actor, appointment=dose, now=scene.at(3, 9), ended_at=ended)
    assert Appointment.objects.get(pk=dose.pk).ended_at == ended
    post = Assignment.objects.get(session_ref=dose.public_id, occasion="post_session")
    assert post.anchor_at == ended


def test_a_missed_appointment_keeps_its_time_and_its_questionnaires(scene: Scene) -> None:
    dose = _dose(scene, day=1)
    with pytest.raises(SchedulingError, match="later day"):
        mark_no_show(actor=scene.actor, appointment=dose, now=scene.now)
    missed = mark_no_show(actor=scene.actor, appointment=dose, now=scene.at(1, 12))
    assert missed.status == Appointment.Status.NO_SHOW
    assert ResourceHold.objects.filter(appointment=dose).exists()
    assert not Assignment.objects.filter(session_ref=dose.public_id, occasion="post_session")
    assert AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_NO_SHOW).exists()
    with pytest.raises(SchedulingError, match="did not attend"):
        mark_attended(actor=scene.actor, appointment=dose, now=scene.at(1, 12))
