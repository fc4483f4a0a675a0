"""The demo's courses on a real calendar (issue 13.8, kapclinic.demo.courses): every stage,
the protocols' rules, resource holds that never overlap, staff on duty, and the score
trajectories hanging off the real sessions."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime

import pytest

from kapclinic.accounts.models import OpeningHours, Role, StaffMembership
from kapclinic.demo.generator import GenerationResult
from kapclinic.measurement.models import Assessment, Occasion
from kapclinic.measurement.outcomes.graph import build_outcome_graph
from kapclinic.scheduling.models import (
    Appointment,
    Course,
    ResourceHold,
    StaffLeave,
    WaitlistEntry,
    WorkingHours,
)
from kapclinic.scheduling.protocols.definition import SessionKind
from kapclinic.scheduling.protocols.parser import parse_protocol
from kapclinic.scheduling.resources import patient_key, room_chair, units_for
from kapclinic.scheduling.rules import ProposedSession, course_problems

pytestmark = pytest.mark.django_db

LIVE = (Appointment.Status.BOOKED, Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW)


def _minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def test_every_stage_of_a_course_is_in_the_demo_with_its_reasons(demo: GenerationResult) -> None:
    statuses = set(Course.objects.values_list("status", flat=True))
    assert statuses == set(Course.Status.values)
    for course in Course.objects.filter(status__in=[Course.Status.PAUSED, Course.Status.STOPPED]):
        assert course.status_reason  # R: a pause and a stop say why (the database asks too)
    for course in Course.objects.filter(status=Course.Status.COMPLETED):
        assert course.ended_at is not None
        assert not course.appointments.filter(status=Appointment.Status.BOOKED).exists()
    for course in Course.objects.filter(status=Course.Status.PLANNED):
        assert course.appointments.filter(status=Appointment.Status.BOOKED).exists()
        assert not course.appointments.filter(status=Appointment.Status.ATTENDED).exists()
    active = Course.objects.filter(status=Course.Status.ACTIVE)
    assert any(
        c.appointments.filter(status=Appointment.Status.ATTENDED).exists()
        and c.appointments.filter(status=Appointment.Status.BOOKED).exists()
        for c in active
    )
    # Every protocol the clinics ship is followed by some course (the CBT arm included).
    codes = set(Course.objects.values_list("protocol__code", flat=True))
    assert {"kap-im-sl", "iv-ketamine-induction", "esketamine-rems", "cbt-comparison"} <= codes


def test_missed_and_cancelled_sessions_and_the_waitlist_are_shown(demo: GenerationResult) -> None:
    cancelled = Appointment.objects.filter(status=Appointment.Status.CANCELLED)
    assert cancelled.exists()
    assert not cancelled.filter(cancel_reason="").exists()
    assert not cancelled.filter(cancelled_at=None).exists()
    assert Appointment.objects.filter(status=Appointment.Status.NO_SHOW).exists()
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists()
    for entry in WaitlistEntry.objects.select_related("course"):
        assert entry.course is None or entry.course.patient_id == entry.patient_id


def test_appointments_keep_their_protocols_rules_unless_an_override_says_why(
    demo: GenerationResult,
) -> None:
    checked = 0
    for course in Course.objects.select_related("protocol", "clinic"):
        protocol = parse_protocol(course.protocol.document)
        zone = course.clinic.tzinfo
        appointments = list(course.appointments.all())
        sessions = [
            ProposedSession(a.starts_at.astimezone(zone).date(), a.session_type)
            for a in appointments
            if a.status in (Appointment.Status.BOOKED, Appointment.Status.ATTENDED)
        ]
        whole = course.status == Course.Status.COMPLETED
        problems = course_problems(protocol, sessions, whole_course=whole)
        if problems:
            assert any(a.override_reason for a in appointments), (course, problems)
        checked += 1
    assert checked


def test_every_appointment_belongs_to_its_course_patient_and_clinic(
    demo: GenerationResult,
) -> None:
    appointments = Appointment.objects.select_related("course", "room")
    assert appointments.exists()
    for a in appointments:
        assert a.patient_id == a.course.patient_id
        assert a.clinic_id == a.course.clinic_id == a.room.clinic_id
        assert a.chair <= a.room.capacity
    # One open course per patient at most (the database's constraint, kept by the generator).
    open_courses = Course.objects.filter(status__in=Course.OPEN_STATUSES)
    patients = list(open_courses.values_list("patient_id", flat=True))
    assert len(patients) == len(set(patients))


def test_every_live_appointment_holds_its_resources_and_no_holds_overlap(
    demo: GenerationResult,
) -> None:
    held: dict[int, set[str]] = defaultdict(set)
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for appointment_id, resource, starts_at, ends_at in ResourceHold.objects.values_list(
        "appointment_id", "resource", "starts_at", "ends_at"
    ):
        held[appointment_id].add(resource)
        spans[resource].append((starts_at, ends_at))
    for a in Appointment.objects.select_related("course__protocol"):
        if a.status == Appointment.Status.CANCELLED:
            assert a.pk not in held  # a cancelled appointment holds nothing
            continue
        keys = held[a.pk]
        assert room_chair(a.room_id, a.chair) in keys
        assert patient_key(a.patient_id) in keys
        session_type = parse_protocol(a.course.protocol.document).session_type(a.session_type)
        assert session_type is not None
        ratio = session_type.resources.patients_per_nurse
        nurse = {k for k in keys if a.nurse_id and k.startswith(f"staff:{a.nurse_id}:")}
        assert len(nurse) == (units_for(ratio) if ratio is not None else 0)
        therapist = {k for k in keys if a.therapist_id and k.startswith(f"staff:{a.therapist_id}:")}
        assert len(therapist) == (4 if session_type.resources.therapist else 0)
    for resource, times in spans.items():
        times.sort()
        for (_, end), (start, _) in itertools.pairwise(times):
            assert end <= start, resource


def test_sessions_fall_in_opening_hours_with_their_staff_on_duty(demo: GenerationResult) -> None:
    opening = defaultdict(list)
    for h in OpeningHours.objects.all():
        opening[h.clinic_id, h.weekday].append((h.opens_at, h.closes_at))
    hours = defaultdict(list)
    for w in WorkingHours.objects.all():
        hours[w.clinic_id, w.user_id, w.weekday].append((w.starts_at, w.ends_at, w.on_site))
        # Working hours lie inside the clinic's opening hours.
        assert any(a <= w.starts_at and w.ends_at <= b for a, b in opening[w.clinic_id, w.weekday])
    away: dict[int, set[date]] = defaultdict(set)
    for leave in StaffLeave.objects.all():
        days = (leave.last_day - leave.first_day).days + 1
        away[leave.user_id].update(
            date.fromordinal(leave.first_day.toordinal() + n) for n in range(days)
        )
    assert away  # some staff are on leave at some point

    def on_duty(clinic_id: int, user_id: int, start: datetime, end: datetime) -> bool:
        return start.date() not in away[user_id] and any(
            site and a <= start.time() and end.time() <= b
            for a, b, site in hours[clinic_id, user_id, start.weekday()]
        )

    prescribers = defaultdict(set)
    for clinic_id, user_id in StaffMembership.objects.filter(role=Role.PRESCRIBER).values_list(
        "clinic_id", "user_id"
    ):
        prescribers[clinic_id].add(user_id)
    for a in Appointment.objects.filter(status__in=LIVE).select_related(
        "clinic", "course__protocol"
    ):
        zone = a.clinic.tzinfo
        start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
        assert start.date() == end.date()
        assert any(
            o <= start.time() and end.time() <= c for o, c in opening[a.clinic_id, start.weekday()]
        )
        for staff_id in (a.nurse_id, a.therapist_id):
            if staff_id is not None:
                assert on_duty(a.clinic_id, staff_id, start, end), a
        if a.kind == SessionKind.DOSING:
            assert a.nurse_id is not None
        session_type = parse_protocol(a.course.protocol.document).session_type(a.session_type)
        assert session_type is not None
        if session_type.resources.prescriber_on_site:
            assert any(on_duty(a.clinic_id, p, start, end) for p in prescribers[a.clinic_id]), a


def test_the_score_history_hangs_off_the_real_sessions(demo: GenerationResult) -> None:
    appointments = {
        a.public_id: a for a in Appointment.objects.filter(status=Appointment.Status.ATTENDED)
    }
    anchored = Assessment.objects.filter(
        occasion__in=[Occasion.PRE_SESSION, Occasion.POST_SESSION], session_ref__in=appointments
    )
    assert anchored.exists()
    for response in anchored:
        a = appointments[response.session_ref]  # type: ignore[index]
        assert a.patient_id == response.patient_id
        assert a.kind in (SessionKind.DOSING, SessionKind.THERAPY)
        assert response.completed_at is not None
        if response.occasion == Occasion.PRE_SESSION:
            assert response.completed_at <= a.starts_at
        else:
            assert response.completed_at >= a.ends_at
    # The outcome graph marks the attended sessions themselves (scheduling's session source).
    patient_id = anchored.order_by("id").values_list("patient_id", flat=True)[0]
    patient = appointments[anchored.order_by("id")[0].session_ref].patient  # type: ignore[index]
    assert patient.pk == patient_id
    marks = build_outcome_graph(patient).sessions
    attended = Appointment.objects.filter(
        patient=patient,
        status=Appointment.Status.ATTENDED,
        kind__in=[SessionKind.DOSING, SessionKind.THERAPY],
    )
    assert [m.ref for m in marks] == list(
        attended.order_by("starts_at").values_list("public_id", flat=True)
    )
    assert {m.source for m in marks} == {"scheduling"}
