"""The pure parts of booking (issue 13.4): which course-rule problems a booking adds, the
waitlist's fit, and how a refusal reads."""

from __future__ import annotations

from datetime import date, time, timedelta

from kapclinic.scheduling.booking_rules import (
    FreedSlot,
    WaitlistWish,
    added_course_problems,
    course_rule_problem,
    fits,
)
from kapclinic.scheduling.exceptions import BookingError, BookingProblem
from kapclinic.scheduling.protocols.shipped import shipped_protocols
from kapclinic.scheduling.rules import ProblemKind, ProposedSession

KAP = next(p for p in shipped_protocols() if p.code == "kap-im-sl")
MONDAY = date(2027, 3, 1)


def _dose(day: int) -> ProposedSession:
    return ProposedSession(MONDAY + timedelta(days=day), "kap-dose")


def test_a_booking_answers_only_for_the_problems_it_adds() -> None:
    before = [_dose(0), _dose(1)]  # too close already (overridden once): not asked again
    after = [*before, _dose(7)]  # week 2, 6 days later: nothing new
    assert added_course_problems(KAP, before, before, today=MONDAY) == []
    assert added_course_problems(KAP, before, after, today=MONDAY) == []
    closer = added_course_problems(KAP, before, [*before, _dose(2)], today=MONDAY)
    assert [(p.kind, p.rule_id) for p in closer] == [
        (ProblemKind.TOO_CLOSE, "R-SL-1"),
        (ProblemKind.TOO_MANY_IN_WEEK, "R-SL-1"),
    ]
    problem = course_rule_problem(closer[0])
    assert (problem.overridable, problem.field, problem.rule_id) == (True, "starts_at", "R-SL-1")


def test_a_missing_integration_waits_until_its_window_has_closed() -> None:
    dose = [_dose(0)]
    assert added_course_problems(KAP, [], dose, today=MONDAY + timedelta(days=3)) == []
    late = added_course_problems(KAP, [], dose, today=MONDAY + timedelta(days=4))
    assert [(p.kind, p.rule_id) for p in late] == [(ProblemKind.INTEGRATION_MISSING, "R-INT-1")]


def test_a_waitlist_wish_fits_a_slot_by_type_day_weekday_and_time() -> None:
    slot = FreedSlot("kap-dose", MONDAY, time(9), time(11, 40))
    any_slot = WaitlistWish("", MONDAY, None, [], None, None)
    assert fits(any_slot, slot)
    assert fits(WaitlistWish("kap-dose", MONDAY, MONDAY, [0], time(9), time(11, 40)), slot)
    assert not fits(WaitlistWish("integration", MONDAY, None, [], None, None), slot)
    assert not fits(WaitlistWish("", MONDAY + timedelta(days=1), None, [], None, None), slot)
    assert not fits(WaitlistWish("", MONDAY, MONDAY - timedelta(days=1), [], None, None), slot)
    assert not fits(WaitlistWish("", MONDAY, None, [1, 2], None, None), slot)
    assert not fits(WaitlistWish("", MONDAY, None, [], time(9, 1), None), slot)
    assert not fits(WaitlistWish("", MONDAY, None, [], None, time(11, 39)), slot)


def test_a_refusal_says_whether_a_reason_would_do() -> None:
    soft = BookingProblem("too_close", "Too close (R-SL-1).", "starts_at", True, "R-SL-1")
    hard = BookingProblem("in_the_past", "The start has passed.", "starts_at", False)
    room = BookingProblem("room_of_another_clinic", "Another clinic's room.", "room", False)
    asked = BookingError([soft], needs_override=True)
    assert (asked.field, asked.problems) == ("override_reason", (soft,))
    assert asked.message.endswith("Too close (R-SL-1). Give a reason to override.")
    refused = BookingError([soft, room, hard], needs_override=False)
    assert refused.field == "room"  # the first problem no reason can override
    assert "Another clinic's room. The start has passed." in refused.message
