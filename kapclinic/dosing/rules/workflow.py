"""The dosing session's states and the transitions between them (issue 15.1), as data.

booked -> checked in -> pre-dose checks passed -> dosing -> observation -> ready for discharge
-> discharged; a session may be held (a failed pre-dose check or an alert, until a prescriber
decides), aborted (dosing stopped, the patient still observed and discharged safely), or entered
in error. The one transition function of the session service asks ``transition_problem`` first;
the guards that need the record (checks passed, discharge criteria) are passed in as facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CHECKS_PASSED = "checks_passed"
    DOSING = "dosing"
    OBSERVATION = "observation"
    READY_FOR_DISCHARGE = "ready_for_discharge"
    DISCHARGED = "discharged"
    HELD = "held"
    ABORTED = "aborted"
    ENTERED_IN_ERROR = "entered_in_error"


FINAL = frozenset({State.DISCHARGED, State.ENTERED_IN_ERROR})

# Every allowed move. A session in observation after an aborted dose still goes through
# ready_for_discharge: nobody leaves without the discharge criteria (R-DC-*).
ALLOWED: dict[State, frozenset[State]] = {
    State.BOOKED: frozenset({State.CHECKED_IN, State.ENTERED_IN_ERROR}),
    State.CHECKED_IN: frozenset({State.CHECKS_PASSED, State.HELD, State.ENTERED_IN_ERROR}),
    State.CHECKS_PASSED: frozenset({State.DOSING, State.HELD, State.ENTERED_IN_ERROR}),
    State.HELD: frozenset({State.CHECKS_PASSED, State.OBSERVATION, State.ABORTED}),
    State.DOSING: frozenset({State.OBSERVATION, State.ABORTED}),
    State.ABORTED: frozenset({State.OBSERVATION}),
    State.OBSERVATION: frozenset({State.READY_FOR_DISCHARGE, State.HELD}),
    State.READY_FOR_DISCHARGE: frozenset({State.DISCHARGED, State.OBSERVATION}),
    State.DISCHARGED: frozenset(),
    State.ENTERED_IN_ERROR: frozenset(),
}


@dataclass(frozen=True)
class Guards:
    """What the record says, for the moves that need it."""

    checks_passed_or_overridden: bool = False
    dose_recorded: bool = False
    discharge_criteria_met_or_overridden: bool = False
    reason_given: bool = False


def transition_problem(current: State, target: State, guards: Guards) -> str | None:
    """Why the session cannot move from ``current`` to ``target`` now, or None."""
    if target not in ALLOWED[current]:
        now_text, then_text = current.value.replace("_", " "), target.value.replace("_", " ")
        return f"A session that is {now_text} cannot become {then_text}."
    if target == State.CHECKS_PASSED and not guards.checks_passed_or_overridden:
        return "Every pre-dose check must pass, or a prescriber overrides it with a reason."
    if target == State.OBSERVATION and current == State.DOSING and not guards.dose_recorded:
        return "Record the dose given before observation starts."
    if target == State.READY_FOR_DISCHARGE and not guards.discharge_criteria_met_or_overridden:
        return "The discharge criteria are not met yet."
    if target in {State.HELD, State.ABORTED, State.ENTERED_IN_ERROR} and not guards.reason_given:
        return f"Say why the session is {target.value.replace('_', ' ')}."
    return None
