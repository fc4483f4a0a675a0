"""The course rules of a protocol (kapclinic.scheduling.rules): counts, order, spacing and
integration after dosing, each problem in words with its rule id; and the example course of
every shipped template breaks none of them."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kapclinic.scheduling.example import example_course
from kapclinic.scheduling.protocols.definition import Protocol
from kapclinic.scheduling.protocols.parser import parse_protocol, to_document
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.rules import (
    CourseProblem,
    ProblemKind,
    ProposedSession,
    course_problems,
    course_week,
    day_words,
)

MONDAY = date(2027, 1, 4)
PROTOCOLS = {protocol.code: protocol for protocol in shipped_protocols()}
KAP = PROTOCOLS["kap-im-sl"]
ESKETAMINE = PROTOCOLS["esketamine-rems"]
IV = PROTOCOLS["iv-ketamine-induction"]
MAINTENANCE = PROTOCOLS["ketamine-maintenance"]

protocols = st.sampled_from(shipped_protocols())
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))


def _on(offsets: list[int], session_type: str, start: date = MONDAY) -> list[ProposedSession]:
    return [ProposedSession(start + timedelta(days=n), session_type) for n in offsets]


def _kinds(problems: list[CourseProblem]) -> list[tuple[ProblemKind, str]]:
    return [(p.kind, p.rule_id) for p in problems]


def _kap_course() -> list[ProposedSession]:
    return (
        _on([0], "preparation")
        + _on([1, 5, 8, 12], "kap-dose")
        + _on([2, 6, 9, 13], "integration")
        + _on([15], "course-review")
    )


def test_a_kap_course_that_follows_the_protocol_has_no_problem() -> None:
    assert course_problems(KAP, _kap_course()) == []


def test_a_dose_without_integration_in_its_window_is_named_with_r_int_1() -> None:
    sessions = [s for s in _kap_course() if s.day != MONDAY + timedelta(days=6)]
    sessions.append(ProposedSession(MONDAY + timedelta(days=10), "integration"))  # 5 days late
    problems = course_problems(KAP, sessions)
    assert _kinds(problems) == [(ProblemKind.INTEGRATION_MISSING, "R-INT-1")]
    assert problems[0].message == (
        "KAP dosing session 2 on Sat 9 Jan 2027 has no Integration session 1-3 days after it "
        "(Sun 10 Jan 2027 to Tue 12 Jan 2027) (R-INT-1)."
    )
    assert problems[0].day == MONDAY + timedelta(days=5)


def test_one_integration_session_answers_one_dose_only() -> None:
    # Doses on days 8 and 9 (too close, too) would share the integration of day 10.
    sessions = _on([8, 9], "kap-dose") + _on([10], "integration")
    problems = course_problems(KAP, sessions, whole_course=False)
    missing = [p for p in problems if p.kind is ProblemKind.INTEGRATION_MISSING]
    assert [(p.rule_id, p.day) for p in missing] == [("R-INT-1", MONDAY + timedelta(days=9))]


def test_the_sparse_cadence_asks_for_integration_after_doses_1_2_4_and_6() -> None:
    """R-INT-2: after doses 1 and 2, then every second dose (NCT05604794)."""
    document = to_document(KAP)
    document["outline"][1]["integration"]["cadence"] = "doses_1_2_then_every_2nd"  # type: ignore[index]
    sparse = parse_protocol(document)
    sessions = (
        _on([0], "preparation")
        + _on([1, 5, 8, 12, 15, 19], "kap-dose")
        + _on([2, 6, 13, 20], "integration")
        + _on([21], "course-review")
    )
    assert course_problems(sparse, sessions) == []
    assert _kinds(course_problems(KAP, sessions)) == [
        (ProblemKind.INTEGRATION_MISSING, "R-INT-1"),
        (ProblemKind.INTEGRATION_MISSING, "R-INT-1"),
    ]


def test_counts_and_order_are_named_with_the_outline_rule() -> None:
    sessions = _on([3], "preparation") + _on([1, 5, 8], "kap-dose") + _on([2, 6, 9], "integration")
    problems = course_problems(KAP, sessions)
    assert _kinds(problems) == [
        (ProblemKind.TOO_FEW, "R-SL-1"),
        (ProblemKind.TOO_FEW, "R-OUT-9"),
        (ProblemKind.OUT_OF_ORDER, "R-SL-1"),
    ]
    assert problems[0].message == (
        "The course has 3 × KAP dosing session; the protocol asks for 4 to 6 (R-SL-1)."
    )
    assert problems[2].message == (
        "KAP dosing session on Tue 5 Jan 2027 comes before the Preparation session of "
        "Thu 7 Jan 2027; the outline puts it after (R-SL-1)."
    )
    # While a course is being booked, too few is not a problem yet; the rest still are.
    assert _kinds(course_problems(KAP, sessions, whole_course=False)) == [
        (ProblemKind.OUT_OF_ORDER, "R-SL-1")
    ]
    too_many = _kap_course() + _on([0, 0, 0], "preparation")
    assert _kinds(course_problems(KAP, too_many)) == [(ProblemKind.TOO_MANY, "R-SL-1")]


def test_esketamine_sessions_too_close_too_far_and_too_many_in_a_week() -> None:
    """R-ESK-1: twice a week in weeks 1-4; R-ESK-3: weekly in weeks 5-8."""
    doses = _on([0, 1, 3, 10, 14, 17, 21, 24], "induction-dose")
    doses += _on([31, 35, 45, 52], "maintenance-dose")
    sessions = _on([-1], "rems-enrolment") + doses + _on([25], "induction-review")
    problems = course_problems(ESKETAMINE, sessions)
    assert _kinds(problems) == [
        (ProblemKind.TOO_CLOSE, "R-ESK-1"),
        (ProblemKind.TOO_FAR, "R-ESK-1"),
        (ProblemKind.TOO_CLOSE, "R-ESK-3"),
        (ProblemKind.TOO_FAR, "R-ESK-3"),
        (ProblemKind.TOO_MANY_IN_WEEK, "R-ESK-1"),
    ]
    assert problems[0].message == (
        "Esketamine session (induction) on Tue 5 Jan 2027 comes 1 day after the previous one; "
        "in Induction, twice a week (weeks 1-4) they are at least 2 days apart (R-ESK-1)."
    )
    assert problems[1].message == (
        "Esketamine session (induction) on Thu 14 Jan 2027 comes 7 days after the previous "
        "one; in Induction, twice a week (weeks 1-4) they are at most 5 days apart (R-ESK-1)."
    )
    assert problems[4].message == (
        "Week 1 of the course (Mon 4 Jan 2027 to Sun 10 Jan 2027) holds 3 sessions; "
        "Induction, twice a week allows at most 2 a week (R-ESK-1)."
    )


def test_a_dose_after_the_last_stage_is_named() -> None:
    sessions = _on([0, 2, 4, 7, 9, 30], "infusion") + _on([31], "course-review")
    problems = course_problems(IV, sessions)
    assert (ProblemKind.BEYOND_LAST_STAGE, "R-IV-2") in _kinds(problems)
    beyond = next(p for p in problems if p.kind is ProblemKind.BEYOND_LAST_STAGE)
    assert beyond.message == (
        "Ketamine infusion on Wed 3 Feb 2027 falls in week 5 of the course; the spacing rules "
        "end with week 3 (R-IV-2)."
    )


def test_a_booster_sooner_than_seven_days_breaks_r_mnt_4() -> None:
    sessions = _on([0, 5], "booster") + _on([6], "maintenance-review")
    assert _kinds(course_problems(MAINTENANCE, sessions)) == [
        (ProblemKind.TOO_CLOSE, "R-MNT-4"),
        (ProblemKind.TOO_MANY_IN_WEEK, "R-MNT-4"),
    ]


def test_a_session_type_the_protocol_lacks_is_named() -> None:
    problems = course_problems(IV, [*_on([0], "infusion"), *_on([1], "massage")])
    assert problems[0].kind is ProblemKind.UNKNOWN_SESSION_TYPE
    assert (
        problems[0].message
        == "'massage' on Tue 5 Jan 2027 is not a session of IV racemic ketamine induction."
    )


def test_course_weeks_start_on_the_first_counted_session() -> None:
    assert course_week(MONDAY, MONDAY) == 1
    assert course_week(MONDAY, MONDAY + timedelta(days=6)) == 1
    assert course_week(MONDAY, MONDAY + timedelta(days=7)) == 2
    assert day_words(MONDAY) == "Mon 4 Jan 2027"


@settings(max_examples=60, deadline=None)
@given(protocol=protocols, start=days)
def test_the_example_course_of_every_template_keeps_its_own_rules(
    protocol: Protocol, start: date
) -> None:
    course = example_course(protocol, start)
    assert course
    assert course_problems(protocol, course) == []


@settings(max_examples=60, deadline=None)
@given(protocol=protocols, start=days, shift=st.integers(min_value=-400, max_value=400))
def test_problems_do_not_depend_on_the_calendar_or_the_order_given(
    protocol: Protocol, start: date, shift: int
) -> None:
    course = example_course(protocol, start)
    # Break it: drop the second session, and move the last one to the first one's day.
    broken = [course[0], *course[2:-1], ProposedSession(course[0].day, course[-1].session_type)]
    moved = [ProposedSession(s.day + timedelta(days=shift), s.session_type) for s in broken]
    found = [(p.kind, p.rule_id) for p in course_problems(protocol, broken)]
    assert found == [(p.kind, p.rule_id) for p in course_problems(protocol, moved)]
    assert found == [(p.kind, p.rule_id) for p in course_problems(protocol, broken[::-1])]


@settings(max_examples=120, deadline=None)
@given(
    protocol=protocols,
    sessions=st.lists(
        st.builds(
            ProposedSession,
            days,
            st.sampled_from(
                sorted({s.code for p in shipped_protocols() for s in p.session_types} | {"x"})
            ),
        ),
        max_size=30,
    ),
)
def test_any_list_of_sessions_gets_problems_in_words_with_a_rule_id(
    protocol: Protocol, sessions: list[ProposedSession]
) -> None:
    for problem in course_problems(protocol, sessions):
        assert problem.message.endswith(".")
        if problem.kind is ProblemKind.UNKNOWN_SESSION_TYPE:
            assert problem.rule_id == ""
        else:
            assert problem.rule_id.startswith("R-")
            assert f"({problem.rule_id})" in problem.message


@settings(max_examples=60, deadline=None)
@given(protocol=protocols, start=days, index=st.integers(min_value=1, max_value=40))
def test_moving_a_dose_onto_the_day_of_the_one_before_is_too_close(
    protocol: Protocol, start: date, index: int
) -> None:
    course = example_course(protocol, start)
    counted = [s for s in course if s.session_type in protocol.spacing.session_types]
    if len(counted) < 2:
        return
    moved = counted[index % (len(counted) - 1) + 1]
    previous = counted[counted.index(moved) - 1]
    changed = [s for s in course if s != moved] + [
        ProposedSession(previous.day, moved.session_type)
    ]
    kinds = {p.kind for p in course_problems(protocol, changed)}
    assert ProblemKind.TOO_CLOSE in kinds
