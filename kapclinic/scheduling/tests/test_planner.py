"""The course planner on hand-built clinics (pure, no database): its proposals keep the course
rules (``rules.course_problems``) and the slot rules (``slots.slot_problems``), the existing
holds, the nurse-to-chair ratio, prescriber coverage and the patient's availability; a NoFit
names the constraint that blocks and offers alternatives that fit (issue 13.3)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapclinic.scheduling.planner import model as planner_model
from kapclinic.scheduling.planner.batch import Waiting, plan_batch
from kapclinic.scheduling.planner.propose import propose
from kapclinic.scheduling.planner.values import (
    NoFit,
    PatientAvailability,
    PlanRequest,
    Proposal,
)
from kapclinic.scheduling.protocols.definition import Equipment, RoomKind
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.resources import room_chair, staff_unit, staff_units, units_for
from kapclinic.scheduling.rules import ProposedSession, course_problems
from kapclinic.scheduling.slots import ClinicFacts, RoomFacts, SlotRequest, Span, slot_problems
from kapclinic.scheduling.tests.planner_clinic import (
    DOSING_KIT,
    MONDAY,
    TZ,
    clinic,
    person,
    protocol,
)

KAP_KIT = DOSING_KIT | {Equipment.EYE_MASKS_AND_HEADPHONES}
WEEKDAYS_MWF = frozenset({0, 2, 4})


def full_clinic() -> ClinicFacts:
    return clinic(
        rooms=[
            RoomFacts(1, "Treatment 1", RoomKind.TREATMENT, KAP_KIT, 1, True),
            RoomFacts(2, "Treatment 2", RoomKind.TREATMENT, KAP_KIT, 1, True),
            RoomFacts(3, "Consult 1", RoomKind.CONSULT, frozenset(), 1, True),
            RoomFacts(4, "Therapy 1", RoomKind.THERAPY, frozenset(), 1, True),
        ]
    )


def request(
    code: str,
    facts: ClinicFacts | None = None,
    *,
    held: Mapping[str, tuple[Span, ...]] | None = None,
    weekdays: Iterable[int] = WEEKDAYS_MWF,
    earliest: time = time(9),
    latest: time = time(15),
    blackout: Iterable[date] = (),
    start: date = MONDAY,
    horizon: int = 90,
    patient_id: int | None = None,
) -> PlanRequest:
    return PlanRequest(
        protocol=protocol(code),
        facts=facts or full_clinic(),
        held=held or {},
        availability=PatientAvailability(
            frozenset(weekdays), earliest, latest, frozenset(blackout)
        ),
        earliest_start=start,
        horizon_days=horizon,
        patient_id=patient_id,
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def assert_keeps_the_rules(plan: PlanRequest, answer: Proposal) -> None:
    protocol_ = plan.protocol
    sessions = [ProposedSession(s.day, s.session_type) for s in answer.sessions]
    assert course_problems(protocol_, sessions) == []
    availability = plan.availability
    for session in answer.sessions:
        session_type = protocol_.session_type(session.session_type)
        assert session_type is not None
        slot = SlotRequest(
            session_type, session.starts_at, session.room_id, session.therapist_id, session.nurse_id
        )
        assert slot_problems(slot, plan.facts) == ()
        assert session.day.weekday() in availability.weekdays
        assert session.day not in availability.blackout
        assert availability.earliest_time <= session.starts_at.time()
        assert session.ends_at.time() <= availability.latest_time
        assert session.day >= plan.earliest_start
        assert session.reasons
    # The patient is in one place at a time.
    ordered = sorted(answer.sessions, key=lambda s: s.starts_at)
    for one, two in itertools.pairwise(ordered):
        assert one.ends_at <= two.starts_at


def held_overlaps(held: Mapping[str, tuple[Span, ...]], key: str, span: Span) -> int:
    return sum(1 for other in held.get(key, ()) if other.overlaps(span))


@pytest.mark.parametrize("code", [p.code for p in shipped_protocols()])
def test_every_shipped_protocol_gets_a_plan_that_keeps_every_rule(code: str) -> None:
    plan = request(code)
    answer = propose(plan)
    assert isinstance(answer, Proposal), answer
    assert_keeps_the_rules(plan, answer)
    assert answer.first_day == min(s.day for s in answer.sessions)
    assert answer.trips == len({s.day for s in answer.sessions})
    assert answer.reasons[0].startswith(f"{answer.length_days} days from")


def test_iv_course_is_as_short_as_the_patients_days_allow() -> None:
    answer = propose(request("iv-ketamine-induction"))
    assert isinstance(answer, Proposal)
    # Six infusions on Mon/Wed/Fri from Monday: two weeks, the review on the last infusion's
    # day (one trip fewer).
    assert [s.day for s in answer.sessions][:6] == [
        MONDAY + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)
    ]
    assert answer.sessions[-1].day == MONDAY + timedelta(days=11)
    assert answer.trips == 6
    assert answer.optimal
    assert "2 days after the previous Ketamine infusion" in answer.sessions[1].reasons[0]
    assert "R-IV-2" in answer.sessions[1].reasons[0]


def test_integration_never_on_a_dosing_day_and_within_its_window() -> None:
    answer = propose(request("kap-im-sl", weekdays=range(5)))
    assert isinstance(answer, Proposal)
    doses = [s.day for s in answer.sessions if s.session_type == "kap-dose"]
    integrations = [s.day for s in answer.sessions if s.session_type == "integration"]
    assert len(integrations) == len(doses) == 4
    assert not set(doses) & set(integrations)
    for dose, after in zip(doses, integrations, strict=True):
        assert 1 <= (after - dose).days <= 3
    assert any("R-INT-1" in s.reasons[0] for s in answer.sessions)


def test_the_same_request_gives_the_same_plan() -> None:
    assert propose(request("esketamine-rems")) == propose(request("esketamine-rems"))


def test_existing_holds_are_left_alone() -> None:
    # Treatment 1 is taken every weekday morning; the only nurse watches one patient already
    # on Mondays 9-12 (half her units at a 1:2 ratio).
    held: dict[str, tuple[Span, ...]] = {}
    mornings = tuple(
        Span(at(MONDAY + timedelta(days=d), 8), at(MONDAY + timedelta(days=d), 13))
        for d in range(90)
    )
    held[room_chair(1, 1)] = mornings
    mondays = tuple(
        Span(at(MONDAY + timedelta(days=d), 9), at(MONDAY + timedelta(days=d), 12))
        for d in range(0, 90, 7)
    )
    for unit in (1, 2):
        held[staff_unit(11, unit)] = mondays
    plan = request("iv-ketamine-induction", held=held)
    answer = propose(plan)
    assert isinstance(answer, Proposal)
    assert_keeps_the_rules(plan, answer)
    for session in answer.sessions:
        span = Span(session.starts_at, session.ends_at)
        assert held_overlaps(held, room_chair(session.room_id, 1), span) == 0
    infusions = [s for s in answer.sessions if s.session_type == "infusion"]
    on_monday = [s for s in infusions if s.day.weekday() == 0 and s.starts_at < at(s.day, 12)]
    # The nurse takes a second patient on Monday mornings (1:2), never a third.
    assert on_monday
    assert all(s.nurse_id == 11 for s in on_monday)
    assert any("watches 2 of at most 2 patients" in s.reasons[1] for s in on_monday)


def test_a_nurse_at_her_ratio_is_not_given_another_patient() -> None:
    held = {
        key: tuple(
            Span(at(MONDAY + timedelta(days=d), 8), at(MONDAY + timedelta(days=d), 18))
            for d in range(90)
            if (MONDAY + timedelta(days=d)).weekday() == 0
        )
        for key in staff_units(11)[: 4 - units_for(2) + 1]
    }
    plan = request("iv-ketamine-induction", held=held)
    answer = propose(plan)
    assert isinstance(answer, Proposal)
    assert all(s.day.weekday() != 0 for s in answer.sessions if s.nurse_id is not None)


def test_prescriber_coverage_limits_the_days_and_a_nofit_names_it() -> None:
    facts = clinic(
        rooms=[
            RoomFacts(1, "Treatment 1", RoomKind.TREATMENT, DOSING_KIT, 1, True),
            RoomFacts(3, "Consult 1", RoomKind.CONSULT, frozenset(), 1, True),
        ],
        staff=[
            person(10, "Dr Tuesday", ["prescriber"], weekdays=[1, 3]),
            person(11, "Nurse Ana", ["nurse"]),
        ],
    )
    answer = propose(request("iv-ketamine-induction", facts, weekdays=[1, 3], horizon=28))
    assert isinstance(answer, Proposal)
    assert {s.day.weekday() for s in answer.sessions} == {1, 3}
    nofit = propose(request("iv-ketamine-induction", facts, weekdays=WEEKDAYS_MWF))
    assert isinstance(nofit, NoFit)
    assert "no prescriber is on site on Mondays, Wednesdays and Fridays" in nofit.blocking
    labels = [alternative.label for alternative in nofit.alternatives]
    assert "Any day of the week the clinic is open" in labels
    wider = next(a for a in nofit.alternatives if a.change.get("weekdays"))
    assert {s.day.weekday() for s in wider.proposal.sessions} <= {1, 3}


def test_a_remote_prescriber_does_not_cover() -> None:
    facts = clinic(
        staff=[
            person(10, "Dr Remote", ["prescriber"], on_site=False),
            person(11, "Nurse Ana", ["nurse"]),
        ]
    )
    nofit = propose(request("ketamine-maintenance", facts))
    assert isinstance(nofit, NoFit)
    assert "no prescriber is on site" in nofit.blocking


def test_blackout_dates_are_kept_free() -> None:
    blackout = [MONDAY + timedelta(days=d) for d in range(10)]
    plan = request("iv-ketamine-induction", blackout=blackout)
    answer = propose(plan)
    assert isinstance(answer, Proposal)
    assert_keeps_the_rules(plan, answer)
    # Friday 15th is the first day after the blackout; from Monday 18th the six infusions take
    # 11 days rather than 12, worth three days' delay (the planner's weights).
    assert answer.first_day == MONDAY + timedelta(days=14)
    assert "gives a shorter course or fewer trips" in answer.reasons[1]


def test_full_rooms_are_named_with_their_days_and_weeks() -> None:
    facts = clinic(
        rooms=[
            RoomFacts(1, "Treatment 1", RoomKind.TREATMENT, DOSING_KIT, 1, True),
            RoomFacts(3, "Consult 1", RoomKind.CONSULT, frozenset(), 1, True),
        ]
    )
    tuesdays_thursdays = tuple(
        Span(at(day, 8), at(day, 18))
        for day in (MONDAY + timedelta(days=d) for d in range(21))
        if day.weekday() in (1, 3)
    )
    held = {room_chair(1, 1): tuesdays_thursdays}
    nofit = propose(request("iv-ketamine-induction", facts, held=held, weekdays=[1, 3], horizon=21))
    assert isinstance(nofit, NoFit)
    assert "the treatment rooms are full on Tuesdays and Thursdays" in nofit.blocking
    assert "weeks 1-3" in nofit.blocking
    every_day = next(a for a in nofit.alternatives if "weekdays" in a.change)
    assert_keeps_the_rules(
        request("iv-ketamine-induction", facts, held=held, weekdays=range(7), horizon=21),
        every_day.proposal,
    )


def test_a_missing_room_kind_or_role_is_named() -> None:
    no_treatment = clinic(rooms=[RoomFacts(3, "Consult 1", RoomKind.CONSULT, frozenset(), 1, True)])
    nofit = propose(request("iv-ketamine-induction", no_treatment))
    assert isinstance(nofit, NoFit)
    assert "no active room of the kind: it needs a treatment room with recliner" in nofit.blocking
    no_nurse = clinic(staff=[person(10, "Dr P", ["prescriber"])])
    nofit = propose(request("iv-ketamine-induction", no_nurse))
    assert isinstance(nofit, NoFit)
    assert nofit.blocking.startswith("The clinic has no nurse")


def test_the_patients_own_appointments_are_avoided() -> None:
    busy = {
        "patient:7": tuple(
            Span(at(MONDAY + timedelta(days=d), 8), at(MONDAY + timedelta(days=d), 16))
            for d in range(7)
        )
    }
    plan = request("iv-ketamine-induction", held=busy, patient_id=7)
    answer = propose(plan)
    assert isinstance(answer, Proposal)
    assert answer.first_day >= MONDAY + timedelta(days=7)


def test_spacing_the_patients_days_cannot_hold_is_named() -> None:
    nofit = propose(request("esketamine-rems", weekdays=[0]))
    assert isinstance(nofit, NoFit)
    assert "leave too few days for the spacing" in nofit.blocking
    assert "R-ESK-1" in nofit.blocking


def test_counts_outside_the_outline_are_refused_in_words() -> None:
    plan = request("iv-ketamine-induction").but(counts={"infusion": 9})
    nofit = propose(plan)
    assert isinstance(nofit, NoFit)
    assert "allows 6 to 6" in nofit.blocking


def test_a_batch_keeps_room_capacity_and_the_nurse_ratio() -> None:
    facts = full_clinic()
    iv = protocol("iv-ketamine-induction")
    waiting = [
        Waiting(n, iv, PatientAvailability(WEEKDAYS_MWF, time(9), time(15)), MONDAY)
        for n in range(1, 7)
    ]
    answers = plan_batch(facts, {}, waiting)
    proposals = [a for a in answers if isinstance(a, Proposal)]
    assert len(proposals) == 6
    sessions = [s for p in proposals for s in p.sessions]
    for session in sessions:
        overlapping = [
            o for o in sessions if o.starts_at < session.ends_at and session.starts_at < o.ends_at
        ]
        same_room = [o for o in overlapping if o.room_id == session.room_id]
        assert len(same_room) <= facts.rooms[session.room_id].capacity
        if session.nurse_id is not None:
            assert sum(1 for o in overlapping if o.nurse_id == session.nurse_id) <= 2


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=st.sampled_from(["iv-ketamine-induction", "kap-im-sl", "ketamine-maintenance"]),
    weekdays=st.sets(st.integers(0, 6), min_size=1, max_size=7),
    earliest_hour=st.integers(7, 12),
    hours=st.integers(2, 10),
    offset=st.integers(0, 20),
    taken=st.sets(st.integers(0, 60), max_size=20),
)
def test_any_answer_keeps_the_rules_or_names_a_blocker(
    code: str, weekdays: set[int], earliest_hour: int, hours: int, offset: int, taken: set[int]
) -> None:
    held = {
        room_chair(1, 1): tuple(
            Span(at(MONDAY + timedelta(days=d), 8), at(MONDAY + timedelta(days=d), 18))
            for d in sorted(taken)
        )
    }
    plan = request(
        code,
        held=held,
        weekdays=weekdays,
        earliest=time(earliest_hour),
        latest=time(min(earliest_hour + hours, 23)),
        start=MONDAY + timedelta(days=offset),
        horizon=60,
    )
    answer = propose(plan, alternatives=False)
    if isinstance(answer, Proposal):
        assert_keeps_the_rules(plan, answer)
        for session in answer.sessions:
            if session.room_id == 1:
                assert (
                    held_overlaps(held, room_chair(1, 1), Span(session.starts_at, session.ends_at))
                    == 0
                )
    else:
        assert answer.blocking


def test_a_solver_out_of_time_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner_model, "TIME_LIMIT_SECONDS", 1e-9)
    answer = propose(request("esketamine-rems", weekdays=range(5)))
    assert isinstance(answer, NoFit)
    assert answer.blocking.startswith("The planner ran out of time")
