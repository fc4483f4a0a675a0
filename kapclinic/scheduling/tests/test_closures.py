"""Clinic closures (public holidays and one-off closures): the US federal holidays from the
repository's jurisdiction data (5 U.S.C. 6103), the one slot rule that keeps every session off
a closed day (the planner, booking, moving, the waitlist), never overridable, and the clinic
admin's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapclinic.accounts.actor import Actor
from kapclinic.accounts.models import Clinic, Role
from kapclinic.accounts.tests.helpers import staff_of
from kapclinic.audit.models import AuditEvent
from kapclinic.patients.models import Patient
from kapclinic.scheduling.audit_actions import SchedulingAuditAction
from kapclinic.scheduling.availability import clinic_facts
from kapclinic.scheduling.closures.holidays import holidays
from kapclinic.scheduling.closures.selectors import list_closures
from kapclinic.scheduling.closures.services import add_closure, load_holidays, remove_closure
from kapclinic.scheduling.exceptions import BookingError, SchedulingError
from kapclinic.scheduling.models import Appointment, ClinicClosure
from kapclinic.scheduling.planner.propose import propose
from kapclinic.scheduling.planner.values import Proposal
from kapclinic.scheduling.services import book_appointment, move_appointment, start_course
from kapclinic.scheduling.services.appointments import offer_freed_slot
from kapclinic.scheduling.slots import (
    ClinicFacts,
    Closure,
    SlotProblemKind,
    SlotRequest,
    Span,
    less,
    slot_problems,
)
from kapclinic.scheduling.tests.booking_setup import MONDAY, Scene, make_scene
from kapclinic.scheduling.tests.calendar_booked import course_of
from kapclinic.scheduling.tests.planner_clinic import MONDAY as PLAN_MONDAY
from kapclinic.scheduling.tests.planner_clinic import TZ, protocol
from kapclinic.scheduling.tests.test_planner import assert_keeps_the_rules, full_clinic, request
from kapclinic.scheduling.waitlist.services import WaitRequest, add_to_waitlist

OVERRIDE = "The patient can only come that day."


# --- the jurisdiction data (pure) ------------------------------------------------------------


def test_us_federal_holidays_match_the_opm_lists() -> None:
    # OPM's published federal holidays for 2025 and 2026.
    assert [h.day for h in holidays(2025)] == [
        date(2025, 1, 1),
        date(2025, 1, 20),
        date(2025, 2, 17),
        date(2025, 5, 26),
        date(2025, 6, 19),
        date(2025, 7, 4),
        date(2025, 9, 1),
        date(2025, 10, 13),
        date(2025, 11, 11),
        date(2025, 11, 27),
        date(2025, 12, 25),
    ]
    in_2026 = {h.day: h.label for h in holidays(2026)}
    # 4 July 2026 is a Saturday: observed on Friday 3 July (5 U.S.C. 6103(b)).
    assert in_2026[date(2026, 7, 3)] == "Independence Day (observed)"
    assert date(2026, 11, 26) in in_2026  # fourth Thursday of November
    # 1 January 2022 was a Saturday: observed on Friday 31 December 2021; Christmas on Monday.
    in_2022 = {h.day: h.label for h in holidays(2022)}
    assert in_2022[date(2021, 12, 31)] == "New Year's Day (observed)"
    assert in_2022[date(2022, 12, 26)] == "Christmas Day (observed)"


# --- the slot rule (pure) --------------------------------------------------------------------


def _day(day: date, start: time = time(0), end: time | None = None) -> Span:
    ends = (
        datetime.combine(day, end, tzinfo=TZ)
        if end
        else datetime.combine(day + timedelta(days=1), time(0), tzinfo=TZ)
    )
    return Span(datetime.combine(day, start, tzinfo=TZ), ends)


def test_less_cuts_the_closed_times_out() -> None:
    day = PLAN_MONDAY
    open_ = [_day(day, time(8), time(18))]
    assert less(open_, [_day(day, time(12), time(13))]) == (
        _day(day, time(8), time(12)),
        _day(day, time(13), time(18)),
    )
    assert less(open_, [_day(day)]) == ()
    assert less(open_, [_day(day + timedelta(days=1))]) == tuple(open_)


def _closed(facts: ClinicFacts, *closures: Closure) -> ClinicFacts:
    return ClinicFacts(
        clinic_id=facts.clinic_id,
        tz=facts.tz,
        first_day=facts.first_day,
        last_day=facts.last_day,
        opening=facts.opening,
        rooms=facts.rooms,
        staff=facts.staff,
        closures=closures,
    )


def test_a_session_on_a_closed_day_is_refused_and_never_overridable() -> None:
    facts = _closed(
        full_clinic(),
        Closure(_day(PLAN_MONDAY), "Staff training day", whole_day=True),
        Closure(_day(PLAN_MONDAY + timedelta(days=1), time(12), time(18)), "Early close"),
    )
    dose = protocol("iv-ketamine-induction").session_types[0]
    assert all(
        not span.overlaps(_day(PLAN_MONDAY)) for span in facts.opening
    )  # the facts' opening hours never hold a closed time

    def problems(day: date, hour: int) -> list[SlotProblemKind]:
        moment = datetime.combine(day, time(hour), tzinfo=TZ)
        found = slot_problems(SlotRequest(dose, moment, 1, 10, 20), facts)
        assert all(not p.overridable for p in found if p.kind == SlotProblemKind.CLOSED_DAY)
        return [p.kind for p in found]

    assert SlotProblemKind.CLOSED_DAY in problems(PLAN_MONDAY, 9)
    # Partly closed: the morning is open, a session running into the closure is not.
    tuesday = PLAN_MONDAY + timedelta(days=1)
    assert SlotProblemKind.CLOSED_DAY not in problems(tuesday, 8)
    assert SlotProblemKind.CLOSED_DAY in problems(tuesday, 11)
    moment = datetime.combine(PLAN_MONDAY, time(9), tzinfo=TZ)
    [closed] = [
        p
        for p in slot_problems(SlotRequest(dose, moment, 1, 10, 20), facts)
        if p.kind == SlotProblemKind.CLOSED_DAY
    ]
    assert "Staff training day" in closed.message
    assert closed.field == "starts_at"


@pytest.mark.parametrize("code", ["iv-ketamine-induction", "kap-im-sl", "esketamine-rems"])
def test_the_planner_never_proposes_a_closed_day(code: str) -> None:
    base = full_clinic()
    # Every Monday and Wednesday closed, and the afternoons of every Friday.
    closed_days = [PLAN_MONDAY + timedelta(days=n) for n in range(0, 120)]
    closures = [
        Closure(_day(day), "Closed", whole_day=True)
        for day in closed_days
        if day.weekday() in (0, 2)
    ] + [
        Closure(_day(day, time(12), time(23)), "Half day")
        for day in closed_days
        if day.weekday() == 4
    ]
    facts = _closed(base, *closures)
    plan = request(code, facts, weekdays=range(5))
    answer = propose(plan)
    assert isinstance(answer, Proposal), answer
    assert_keeps_the_rules(plan, answer)
    for session in answer.sessions:
        span = Span(session.starts_at, session.ends_at)
        assert not any(c.span.overlaps(span) for c in closures)
        assert session.day.weekday() not in (0, 2)


# --- booking and moving (database) ------------------------------------------------------------


@pytest.fixture
def scene(clinics: list[Clinic], new_patient: Callable[..., Patient]) -> Scene:
    scene = make_scene(clinics[0], new_patient)
    scene.course = start_course(actor=scene.actor, course=scene.course, now=scene.now)
    return scene


def _admin(clinic: Clinic) -> Actor:
    return Actor.for_user(staff_of(clinic, Role.CLINIC_ADMIN), clinic)


def _dose(scene: Scene, day: int, **extra: object) -> Appointment:
    values: dict[str, object] = {
        "session_type": "kap-dose",
        "starts_at": scene.at(day, 9),
        "room": scene.treatment,
        "therapist": scene.therapist,
        "nurse": scene.nurse,
        "now": scene.now,
        **extra,
    }
    return book_appointment(actor=scene.actor, course=scene.course, **values)  # type: ignore[arg-type]


def test_booking_or_moving_onto_a_closed_day_is_refused_even_with_a_reason(scene: Scene) -> None:
    tuesday = MONDAY + timedelta(days=1)
    add_closure(
        actor=_admin(scene.clinic),
        clinic=scene.clinic,
        first_day=tuesday,
        last_day=tuesday,
        label="Burst pipe",
        today=MONDAY,
    )
    with pytest.raises(BookingError, match=r"The clinic is closed then .*Burst pipe") as refused:
        _dose(scene, day=1, override_reason=OVERRIDE)
    assert refused.value.field == "starts_at"
    assert not refused.value.needs_override
    assert not Appointment.objects.filter(course=scene.course).exists()
    dose = _dose(scene, day=3)
    with pytest.raises(BookingError, match="Burst pipe"):
        move_appointment(
            actor=scene.actor,
            appointment=dose,
            starts_at=scene.at(1, 9),
            override_reason=OVERRIDE,
            now=scene.now,
        )
    dose.refresh_from_db()
    assert dose.starts_at == scene.at(3, 9)


def test_a_closure_over_booked_appointments_lists_them_and_cancels_none(
    scene: Scene, new_patient: Callable[..., Patient]
) -> None:
    dose = _dose(scene, day=2)
    wednesday = MONDAY + timedelta(days=2)
    admin = _admin(scene.clinic)
    closure = add_closure(
        actor=admin,
        clinic=scene.clinic,
        first_day=wednesday,
        last_day=wednesday + timedelta(days=1),
        label="Flooded",
        today=MONDAY,
    )
    dose.refresh_from_db()
    assert dose.status == Appointment.Status.BOOKED
    [row] = [r for r in list_closures(scene.clinic, MONDAY) if r.closure == closure]
    assert [e.appointment for e in row.booked] == [dose]
    entry = AuditEvent.objects.get(action=SchedulingAuditAction.CLOSURE_ADDED)
    assert entry.detail["label"] == "Flooded"
    # A slot freed on a closed day is offered to no one on the waitlist; once open, it is.
    waiting = new_patient(scene.clinic)
    add_to_waitlist(
        actor=scene.actor,
        patient=waiting,
        wait=WaitRequest(MONDAY, course=course_of(scene.clinic, waiting)),
        today=MONDAY,
    )
    assert offer_freed_slot(dose) == ()
    remove_closure(actor=admin, clinic=scene.clinic, closure=closure, today=MONDAY)
    assert not ClinicClosure.objects.filter(pk=closure.pk).exists()
    assert AuditEvent.objects.filter(action=SchedulingAuditAction.CLOSURE_REMOVED).exists()
    assert [e.patient for e in offer_freed_slot(dose)] == [waiting]


def test_closures_are_checked_and_only_an_admin_records_them(scene: Scene) -> None:
    admin = _admin(scene.clinic)

    def add(actor: Actor = admin, **values: object) -> ClinicClosure:
        fields: dict[str, object] = {
            "first_day": MONDAY + timedelta(days=3),
            "last_day": MONDAY + timedelta(days=3),
            "label": "Inventory",
            "today": MONDAY,
            **values,
        }
        return add_closure(actor=actor, clinic=scene.clinic, **fields)  # type: ignore[arg-type]

    cases: list[tuple[dict[str, object], str]] = [
        ({"last_day": MONDAY}, "last_day"),
        ({"first_day": MONDAY - timedelta(days=1)}, "first_day"),
        ({"last_day": MONDAY + timedelta(days=2000)}, "last_day"),
        ({"label": "  "}, "label"),
        ({"label": "x" * 121}, "label"),
        ({"starts_at": time(12)}, "starts_at"),
        ({"starts_at": time(12), "ends_at": time(11)}, "ends_at"),
    ]
    for values, field in cases:
        with pytest.raises(SchedulingError) as refused:
            add(**values)  # type: ignore[arg-type]
        assert refused.value.field == field, values
    with pytest.raises(SchedulingError, match="Only a clinic admin"):
        add(actor=scene.actor)
    closure = add(starts_at=time(12), ends_at=time(18))
    with pytest.raises(SchedulingError, match="already recorded"):
        add()
    assert ClinicClosure.objects.filter(clinic=scene.clinic, label="Inventory").count() == 1
    with pytest.raises(SchedulingError, match="stays on the record"):
        remove_closure(
            actor=admin, clinic=scene.clinic, closure=closure, today=MONDAY + timedelta(days=9)
        )
    with pytest.raises(SchedulingError, match="Only a clinic admin"):
        remove_closure(actor=scene.actor, clinic=scene.clinic, closure=closure, today=MONDAY)


def test_loading_a_year_of_holidays_skips_past_and_known_days(clinics: list[Clinic]) -> None:
    clinic = clinics[1]
    admin = _admin(clinic)
    ClinicClosure.objects.filter(clinic=clinic).delete()
    today = date(2027, 3, 1)
    added = load_holidays(actor=admin, clinic=clinic, year=2027, today=today)
    assert [c.first_day for c in added] == [h.day for h in holidays(2027) if h.day >= today]
    assert load_holidays(actor=admin, clinic=clinic, year=2027, today=today) == []
    assert AuditEvent.objects.filter(action=SchedulingAuditAction.HOLIDAYS_LOADED).count() == 1
    with pytest.raises(SchedulingError, match="Load the holidays of 2027 to 2029"):
        load_holidays(actor=admin, clinic=clinic, year=2031, today=today)


def test_the_facts_read_closures_in_one_query_whatever_their_number(clinics: list[Clinic]) -> None:
    clinic = clinics[1]
    admin = _admin(clinic)
    first = date(2027, 1, 1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            clinic_facts(clinic, first, first + timedelta(days=364))
        return len(captured.captured_queries)

    ClinicClosure.objects.filter(clinic=clinic).delete()
    before = queries()
    load_holidays(actor=admin, clinic=clinic, year=2027, today=first)
    facts = clinic_facts(clinic, first, first + timedelta(days=364))
    assert queries() == before
    christmas = datetime.combine(date(2027, 12, 24), time(10), tzinfo=clinic.tzinfo)
    assert facts.closures_over(Span(christmas, christmas + timedelta(hours=1)))


# --- pages ------------------------------------------------------------------------------------


def test_the_admin_s_page_adds_loads_and_removes_and_others_are_refused(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    clinic = clinics[0]
    today = clinic.local_today()
    client = client_for(Role.CLINIC_ADMIN)
    assert client.get(reverse("calendar:closures")).status_code == 200
    for role in (Role.FRONT_DESK, Role.NURSE, Role.THERAPIST):
        assert client_for(role).get(reverse("calendar:closures")).status_code == 403
    day = today + timedelta(days=40)
    bad = client.post(reverse("calendar:closure-add"), {"first_day": day, "label": ""})
    assert bad.status_code == 422
    response = client.post(
        reverse("calendar:closure-add"),
        {"first_day": day, "label": "Team away day", "starts_at": "13:00", "ends_at": "17:00"},
    )
    assert response.status_code == 302
    closure = ClinicClosure.objects.get(clinic=clinic, label="Team away day")
    assert (closure.first_day, closure.last_day, closure.starts_at) == (day, day, time(13))
    page = client.get(reverse("calendar:closures")).content.decode()
    assert "Team away day" in page
    assert (
        client.post(reverse("calendar:holidays-load"), {"year": today.year + 9}).status_code == 422
    )
    assert (
        client.post(reverse("calendar:holidays-load"), {"year": today.year + 1}).status_code == 302
    )
    christmas = next(h for h in holidays(today.year + 1) if h.name == "Christmas Day")
    assert ClinicClosure.objects.filter(
        clinic=clinic, first_day=christmas.day, label=christmas.label
    ).exists()
    response = client.post(reverse("calendar:closure-remove", args=[closure.public_id]))
    assert response.status_code == 302
    assert not ClinicClosure.objects.filter(pk=closure.pk).exists()
    other = ClinicClosure.objects.filter(clinic=clinics[1]).first()
    if other is not None:
        assert (
            client.post(reverse("calendar:closure-remove", args=[other.public_id])).status_code
            == 404
        )


def test_the_calendar_shows_a_closed_day(
    client_for: Callable[[Role], Client], clinics: list[Clinic]
) -> None:
    clinic = clinics[0]
    day = clinic.local_today() + timedelta(days=20)
    add_closure(
        actor=_admin(clinic),
        clinic=clinic,
        first_day=day,
        last_day=day,
        label="Storm closure",
        today=clinic.local_today(),
    )
    page = (
        client_for(Role.FRONT_DESK)
        .get(reverse("calendar:clinic"), {"day": day.isoformat()})
        .content
    )
    assert "Closed: Storm closure" in page.decode()
