"""Booking, moving and booking a course plan (issue 13.4): the one check refuses or asks for
an override reason (audited, with the rules it overrides), the database refuses double booking,
a refusal writes nothing, and dosing sessions really get their questionnaires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapclinic.accounts.models import Clinic
from kapclinic.audit.models import AuditEvent
from kapclinic.measurement.models import Assignment
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.exceptions import BookingError, ResourceTakenError, SchedulingError
from kapclinic.scheduling.models import Appointment, Course, ResourceHold, WorkingHours
from kapclinic.scheduling.resources import STAFF_UNITS, patient_key, room_chair
from kapclinic.scheduling.services import (
    Proposal,
    book_appointment,
    book_course_plan,
    cancel_appointment,
    check_booking,
    move_appointment,
    plan_course,
    start_course,
    stop_course,
)
from kapclinic.scheduling.tests.booking_setup import REASON, Scene, make_scene, room

pytestmark = pytest.mark.django_db
OVERRIDE = "The patient can only come on these two days."


@pytest.fixture
def scene(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Scene:
    scene = make_scene(clinics[0], new_patient)
    scene.course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    return scene


def _dose(scene: Scene, day: int = 1, hour: int = 9, **extra: object) -> Appointment:
    values: dict[str, object] = {
        "session_type": "kap-dose",
        "starts_at": scene.at(day, hour),
        "room": scene.treatment,
        "therapist": scene.therapist,
        "nurse": scene.nurse,
        "now": scene.now,
        **extra,
    }
    return book_appointment(actor=scene.actor, course=scene.course, **values)  # type: ignore[arg-type]


def _written() -> tuple[int, int, int]:
    return (
        Appointment.objects.count(),
        ResourceHold.objects.count(),
        AuditEvent.objects.filter(action__startswith="scheduling.appointment").count(),
    )


def _other_course(scene: Scene, new_patient: Callable[..., Patient]) -> Course:
    return plan_course(
        actor=scene.actor, patient=new_patient(scene.clinic), protocol=scene.protocol
    )


def test_a_booking_holds_its_resources_audits_and_assigns_the_questionnaires(
    scene: Scene,
) -> None:
    dose = _dose(scene)
    assert (dose.kind, dose.status, dose.chair, dose.override_reason) == ("dosing", "booked", 1, "")
    assert dose.ends_at - dose.starts_at == timedelta(minutes=160)
    held = set(ResourceHold.objects.filter(appointment=dose).values_list("resource", flat=True))
    assert room_chair(scene.treatment.pk, 1) in held
    assert patient_key(scene.patient.pk) in held
    # The therapist's whole time, half the nurse's (one nurse watches two chairs).
    assert len(held) == 2 + STAFF_UNITS + STAFF_UNITS // 2
    (entry,) = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_BOOKED)
    assert entry.patient_public_id == scene.patient.public_id
    assert entry.target == f"scheduling.Appointment:{dose.public_id}"
    assert entry.detail["room"] == str(scene.treatment.public_id)
    assert "overridden" not in entry.detail
    before = Assignment.objects.filter(session_ref=dose.public_id, occasion="pre_session")
    assert sorted(before.values_list("instrument_code", flat=True)) == ["gad7", "mood_0_10", "phq9"]
    # A session that is not a dose asks measurement nothing.
    integration = book_appointment(
        actor=scene.actor,
        course=scene.course,
        session_type="integration",
        starts_at=scene.at(2, 10),
        room=scene.therapy,
        therapist=scene.therapist,
        now=scene.now,
    )
    assert not Assignment.objects.filter(session_ref=integration.public_id).exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"session_type": "massage"}, "session_type", "not a session of"),
        ({"starts_at": "past"}, "starts_at", "The start has passed"),
        ({"room": "elsewhere"}, "room", "not in this clinic"),
    ],
)
def test_what_may_not_be_overridden_is_refused_and_writes_nothing(
    scene: Scene, clinics: list[Clinic], change: dict[str, str], field: str, words: str
) -> None:
    extra: dict[str, Any] = dict(change)
    if change.get("starts_at") == "past":
        extra["starts_at"] = scene.now - timedelta(hours=1)
    if change.get("room") == "elsewhere":
        extra["room"] = room(clinics[1], "Elsewhere", "treatment")
    counts = _written()
    with pytest.raises(BookingError, match=words) as refused:
        _dose(scene, override_reason=OVERRIDE, **extra)
    assert refused.value.field == field
    assert not refused.value.needs_override
    assert _written() == counts


def test_a_closed_course_takes_no_booking(scene: Scene) -> None:
    stop_course(actor=scene.actor, course=scene.course, reason=REASON, now=scene.now)
    with pytest.raises(BookingError, match="The course is stopped") as refused:
        _dose(scene, override_reason=OVERRIDE)
    assert refused.value.field is None
    assert not Appointment.objects.filter(course=scene.course).exists()


def test_a_rule_break_needs_a_reason_and_the_override_is_audited(scene: Scene) -> None:
    _dose(scene, day=1)
    counts = _written()
    problems = check_booking(
        course=scene.course,
        session_type="kap-dose",
        starts_at=scene.at(2, 9),
        room=scene.treatment,
        therapist=scene.therapist,
        nurse=scene.nurse,
        now=scene.now,
    )
    assert [(p.kind, p.rule_id, p.overridable) for p in problems] == [("too_close", "R-SL-1", True)]
    with pytest.raises(BookingError, match="at least 3 days apart") as refused:
        _dose(scene, day=2)
    assert (refused.value.needs_override, refused.value.field) == (True, "override_reason")
    with pytest.raises(SchedulingError, match="reason in words") as bad:
        _dose(scene, day=2, override_reason="ok")
    assert bad.value.field == "override_reason"
    assert _written() == counts
    second = _dose(scene, day=2, override_reason=f"  {OVERRIDE}\u200b ")
    assert second.override_reason == OVERRIDE
    entry = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_BOOKED).last()
    assert entry is not None
    assert entry.detail["override_reason"] == OVERRIDE
    assert [p["rule_id"] for p in entry.detail["overridden"]] == ["R-SL-1"]


def test_a_reason_without_a_rule_break_is_not_kept(scene: Scene) -> None:
    assert _dose(scene, override_reason=OVERRIDE).override_reason == ""


def test_a_taken_room_refuses_the_booking_and_writes_nothing(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    _dose(scene)
    other = _other_course(scene, new_patient)
    counts = _written()
    with pytest.raises(ResourceTakenError, match="no free chair") as refused:
        book_appointment(
            actor=scene.actor,
            course=other,
            session_type="kap-dose",
            starts_at=scene.at(1, 10),
            room=scene.treatment,
            therapist=scene.therapist,
            nurse=scene.nurse,
            now=scene.now,
        )
    assert refused.value.field == "room"
    assert _written() == counts


def test_moving_replaces_the_holds_and_moves_the_questionnaires(scene: Scene) -> None:
    dose = _dose(scene, day=1)
    due = Assignment.objects.get(session_ref=dose.public_id, instrument_code="phq9").anchor_at
    moved = move_appointment(
        actor=scene.actor, appointment=dose, starts_at=scene.at(2, 11), now=scene.now
    )
    assert moved.starts_at == scene.at(2, 11)
    assert moved.ends_at == scene.at(2, 13, 40)
    holds = ResourceHold.objects.filter(appointment=dose)
    assert set(holds.values_list("starts_at", "ends_at")) == {(moved.starts_at, moved.ends_at)}
    anchor = Assignment.objects.get(session_ref=dose.public_id, instrument_code="phq9").anchor_at
    assert anchor == due + timedelta(days=1, hours=2)
    (entry,) = AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_MOVED)
    assert set(entry.changes) == {"starts_at", "ends_at"}
    # Only the room: no new questionnaires, the holds follow the room.
    bigger = room(scene.clinic, "Second treatment", "treatment")
    moved = move_appointment(actor=scene.actor, appointment=moved, room=bigger, now=scene.now)
    assert room_chair(bigger.pk, 1) in set(holds.values_list("resource", flat=True))
    assert Assignment.objects.filter(session_ref=dose.public_id).count() == 3
    with pytest.raises(SchedulingError, match="already there"):
        move_appointment(actor=scene.actor, appointment=moved, room=bigger, now=scene.now)


def test_a_move_is_checked_like_a_booking(scene: Scene) -> None:
    _dose(scene, day=1)
    later = _dose(scene, day=4)
    with pytest.raises(BookingError, match="at least 3 days apart"):
        move_appointment(
            actor=scene.actor, appointment=later, starts_at=scene.at(2, 9), now=scene.now
        )
    assert Appointment.objects.get(pk=later.pk).starts_at == scene.at(4, 9)
    moved = move_appointment(
        actor=scene.actor,
        appointment=later,
        starts_at=scene.at(2, 9),
        override_reason=OVERRIDE,
        now=scene.now,
    )
    assert moved.override_reason == OVERRIDE
    # Back where the rules allow it: the override no longer applies.
    moved = move_appointment(
        actor=scene.actor, appointment=moved, starts_at=scene.at(4, 9), now=scene.now
    )
    assert moved.override_reason == ""


def test_only_a_booked_appointment_that_has_not_started_moves(scene: Scene) -> None:
    dose = _dose(scene, day=1)
    with pytest.raises(SchedulingError, match="has started"):
        move_appointment(
            actor=scene.actor, appointment=dose, starts_at=scene.at(3, 9), now=scene.at(1, 9)
        )
    cancel_appointment(actor=scene.actor, appointment=dose, reason=REASON, now=scene.now)
    with pytest.raises(SchedulingError, match="this one is cancelled"):
        move_appointment(
            actor=scene.actor, appointment=dose, starts_at=scene.at(3, 9), now=scene.now
        )


def test_a_move_onto_a_taken_slot_changes_nothing(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    dose = _dose(scene, day=1)
    other = book_appointment(
        actor=scene.actor,
        course=_other_course(scene, new_patient),
        session_type="kap-dose",
        starts_at=scene.at(3, 9),
        room=scene.treatment,
        therapist=scene.therapist,
        nurse=scene.nurse,
        now=scene.now,
    )
    with pytest.raises(ResourceTakenError):
        move_appointment(
            actor=scene.actor, appointment=dose, starts_at=other.starts_at, now=scene.now
        )
    dose.refresh_from_db()
    assert dose.starts_at == scene.at(1, 9)
    holds = ResourceHold.objects.filter(appointment=dose)
    assert set(holds.values_list("starts_at", flat=True)) == {scene.at(1, 9)}


def _plan(scene: Scene) -> list[Proposal]:
    return [
        Proposal("preparation", scene.at(0, 10), scene.therapy, scene.therapist),
        Proposal("kap-dose", scene.at(1, 9), scene.treatment, scene.therapist, scene.nurse),
        Proposal("integration", scene.at(2, 10), scene.therapy, scene.therapist),
        Proposal("kap-dose", scene.at(4, 9), scene.treatment, scene.therapist, scene.nurse),
        Proposal("integration", scene.at(7, 10), scene.therapy, scene.therapist),
    ]


def test_a_course_plan_is_booked_whole(scene: Scene) -> None:
    booked = book_course_plan(
        actor=scene.actor, course=scene.course, proposals=_plan(scene), now=scene.now
    )
    assert [a.session_type for a in booked] == [p.session_type for p in _plan(scene)]
    assert Appointment.objects.filter(course=scene.course).count() == 5
    assert AuditEvent.objects.filter(action=SchedulingAuditAction.APPOINTMENT_BOOKED).count() == 5
    doses = [a.public_id for a in booked if a.kind == "dosing"]
    assert Assignment.objects.filter(session_ref__in=doses).count() == 6


def test_a_course_plan_is_refused_whole(scene: Scene, new_patient: Callable[..., Patient]) -> None:
    with pytest.raises(SchedulingError, match="nothing to book"):
        book_course_plan(actor=scene.actor, course=scene.course, proposals=[], now=scene.now)
    proposals = _plan(scene)
    proposals[3] = Proposal(
        "kap-dose", scene.at(2, 14), scene.treatment, scene.therapist, scene.nurse
    )
    with pytest.raises(BookingError, match="at least 3 days apart") as refused:
        book_course_plan(actor=scene.actor, course=scene.course, proposals=proposals, now=scene.now)
    assert refused.value.needs_override
    # A session whose room is taken: the message names it, nothing of the plan is kept.
    book_appointment(
        actor=scene.actor,
        course=_other_course(scene, new_patient),
        session_type="kap-dose",
        starts_at=scene.at(4, 10),
        room=scene.treatment,
        therapist=scene.therapist,
        nurse=scene.nurse,
        now=scene.now,
    )
    counts = _written()
    with pytest.raises(ResourceTakenError, match="Session 4") as taken:
        book_course_plan(
            actor=scene.actor, course=scene.course, proposals=_plan(scene), now=scene.now
        )
    assert taken.value.field == "room"
    assert _written() == counts
    unknown = [Proposal("massage", scene.at(0, 12), scene.therapy)]
    with pytest.raises(BookingError, match=r"massage.*not a session"):
        book_course_plan(actor=scene.actor, course=scene.course, proposals=unknown, now=scene.now)


def test_a_booking_costs_the_same_queries_however_full_the_course(scene: Scene) -> None:
    def cost(day: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            book_appointment(
                actor=scene.actor,
                course=scene.course,
                session_type="integration",
                starts_at=scene.at(day, 10),
                room=scene.therapy,
                therapist=scene.therapist,
                now=scene.now,
            )
        return len(queries)

    first = cost(1)
    for day in (2, 3, 4):
        cost(day)
    assert cost(7) == first


def test_the_slot_rules_refuse_or_ask_for_a_reason(scene: Scene) -> None:
    counts = _written()
    with pytest.raises(BookingError, match="not open for the whole session") as closed:
        _dose(scene, day=1, hour=17, override_reason=OVERRIDE)
    assert closed.value.field == "starts_at"
    with pytest.raises(BookingError, match="needs a treatment room") as wrong_room:
        _dose(scene, room=scene.therapy, override_reason=OVERRIDE)
    assert wrong_room.value.field == "room"
    WorkingHours.objects.filter(user=scene.prescriber, weekday=1).delete()
    with pytest.raises(BookingError, match="needs a prescriber on site"):
        _dose(scene, day=1, override_reason=OVERRIDE)  # R-REMS-2, issue 13.5: never overridden
    assert _written() == counts
    # A therapist who does not work that day may stay on, with a reason.
    WorkingHours.objects.filter(user=scene.therapist, weekday=2).delete()
    with pytest.raises(BookingError, match="does not work") as asked:
        _dose(scene, day=2)
    assert asked.value.needs_override
    assert [p.field for p in asked.value.problems] == ["therapist"]
    dose = _dose(scene, day=2, override_reason=OVERRIDE)
    assert dose.override_reason == OVERRIDE
    entry = AuditEvent.objects.get(action=SchedulingAuditAction.APPOINTMENT_BOOKED)
    assert [p["kind"] for p in entry.detail["overridden"]] == ["staff_not_working"]
