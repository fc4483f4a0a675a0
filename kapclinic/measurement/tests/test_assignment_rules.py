"""The measurement plan's pure rules (R-OUT-9): windows, anchors, states and a plan's problems,
without the database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from kapclinic.measurement.assignments.rules import (
    DEFAULT_PLAN,
    PlanSpec,
    RuleSpec,
    assignment_state,
    next_follow_up_sequence,
    plan_problems,
    session_anchor,
    window,
)
from kapclinic.measurement.models import Assignment, Mode, PlanTrigger

STARTS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)


def rule_for(trigger: PlanTrigger) -> RuleSpec:
    return next(rule for rule in DEFAULT_PLAN.rules if rule.trigger == trigger)


def with_rules(*rules: RuleSpec) -> PlanSpec:
    return dataclasses.replace(DEFAULT_PLAN, rules=rules)


def test_the_shipped_default_plan_has_no_problems() -> None:
    assert plan_problems(DEFAULT_PLAN) == []


def test_a_window_opens_before_and_closes_after_its_anchor() -> None:
    rule = rule_for(PlanTrigger.BEFORE_SESSION)

    opened = window(rule, STARTS)

    assert opened.due_at == STARTS - timedelta(minutes=rule.opens_minutes_before)
    assert opened.overdue_at == STARTS + timedelta(minutes=rule.closes_minutes_after)


def test_a_window_refuses_a_naive_anchor() -> None:
    with pytest.raises(ValueError, match="aware"):
        window(rule_for(PlanTrigger.ENROLMENT), STARTS.replace(tzinfo=None))


def test_a_session_rule_anchors_on_the_start_the_end_or_the_end_plus_its_hours() -> None:
    hours_after = rule_for(PlanTrigger.HOURS_AFTER_SESSION)

    assert session_anchor(rule_for(PlanTrigger.BEFORE_SESSION), starts_at=STARTS, ended_at=None)
    assert session_anchor(rule_for(PlanTrigger.AFTER_SESSION), starts_at=STARTS, ended_at=ENDS)
    assert session_anchor(hours_after, starts_at=STARTS, ended_at=ENDS) == ENDS + timedelta(
        hours=hours_after.offset_hours or 0
    )


def test_a_rule_after_the_session_has_no_anchor_before_the_session_ends() -> None:
    for trigger in (PlanTrigger.AFTER_SESSION, PlanTrigger.HOURS_AFTER_SESSION):
        assert session_anchor(rule_for(trigger), starts_at=STARTS, ended_at=None) is None


def test_a_follow_up_rule_without_an_interval_is_refused() -> None:
    rule = dataclasses.replace(rule_for(PlanTrigger.FOLLOW_UP_EVERY_N_DAYS), interval_days=None)

    with pytest.raises(ValueError, match="interval_days"):
        next_follow_up_sequence(rule, course_ended_at=ENDS, after=0, now=ENDS)


@pytest.mark.parametrize(
    ("status", "now", "state"),
    [
        (Assignment.Status.COMPLETED, STARTS, Assignment.State.COMPLETED),
        (Assignment.Status.CANCELLED, STARTS, Assignment.State.CANCELLED),
        (Assignment.Status.MISSED, STARTS, Assignment.State.MISSED),
        (Assignment.Status.OPEN, STARTS - timedelta(days=1), Assignment.State.SCHEDULED),
        (Assignment.Status.OPEN, STARTS, Assignment.State.DUE),
        (Assignment.Status.OPEN, ENDS, Assignment.State.OVERDUE),
    ],
)
def test_an_assignment_state_follows_its_status_then_its_window(
    status: str, now: datetime, state: Assignment.State
) -> None:
    assert assignment_state(status=status, due_at=STARTS, overdue_at=ENDS, now=now) == state


def test_a_plan_without_rules_is_refused() -> None:
    assert plan_problems(with_rules()) == ["a plan needs at least one rule"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"instrument_codes": ()}, "no instrument"),
        ({"mode": "paper"}, "mode must be staff or link"),
        ({"opens_minutes_before": -1}, "window times cannot be negative"),
        ({"opens_minutes_before": 0, "closes_minutes_after": 0}, "the window is empty"),
        ({"offset_hours": 24}, "hours after the session go with this trigger only"),
        ({"interval_days": 30}, "a follow-up interval in days goes with this trigger only"),
    ],
)
def test_each_problem_of_a_rule_is_named_in_words(change: dict[str, object], problem: str) -> None:
    rule = dataclasses.replace(rule_for(PlanTrigger.BEFORE_SESSION), **change)  # type: ignore[arg-type]

    assert plan_problems(with_rules(rule)) == [f"rule 1 (before each dosing session): {problem}"]


def test_an_hours_after_rule_needs_its_hours() -> None:
    rule = dataclasses.replace(rule_for(PlanTrigger.HOURS_AFTER_SESSION), offset_hours=None)

    (problem,) = plan_problems(with_rules(rule))

    assert problem.endswith("hours after the session go with this trigger only")


def test_a_baseline_rule_may_be_given_by_staff_as_well_as_by_link() -> None:
    rule = dataclasses.replace(rule_for(PlanTrigger.ENROLMENT), mode=Mode.STAFF)

    assert plan_problems(with_rules(rule)) == []
