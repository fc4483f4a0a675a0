"""When the next vital-signs check of a dosing session is due, and whether it is overdue
(issue 15.5; R-IV-4, R-REMS-3, R-SL-2), as a pure function of the session's phase, dose time and
last readings.

The cadence is protocol data (``scheduling.protocols.definition.Monitoring``; the reference's
defaults when a protocol has none): every ``during_dose`` minutes while the dose is given, every
``after_dose`` minutes after it until discharge (R-IV-4: 10 and 15 for an infusion), and for
esketamine a blood pressure about 40 minutes after the first device (R-REMS-3), which a
reading from ``window`` minutes before that time satisfies. Before the dose the baseline set is
due at once (R-SCR-3; R-DC-2 compares with it). How late a check may be before it is overdue
is not in the reference (NOT FOUND): ``overdue_after`` is the clinic's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kapclinic.dosing.rules.workflow import FINAL, State


class Phase(StrEnum):
    BEFORE_DOSE = "before_dose"
    DURING_DOSE = "during_dose"
    AFTER_DOSE = "after_dose"
    ENDED = "ended"


class Status(StrEnum):
    NOT_DUE = "not_due"
    DUE = "due"
    OVERDUE = "overdue"


def phase_of(state: State, *, dosed: bool) -> Phase:
    """The monitoring phase of a session in ``state``: before the dose, while it is given (the
    dosing state), after it (observation, ready for discharge, aborted, or held after a dose)."""
    if state in FINAL:
        return Phase.ENDED
    if state == State.DOSING:
        return Phase.DURING_DOSE
    if dosed or state in {State.OBSERVATION, State.READY_FOR_DISCHARGE, State.ABORTED}:
        return Phase.AFTER_DOSE
    return Phase.BEFORE_DOSE


@dataclass(frozen=True)
class Cadence:
    during_dose: timedelta
    after_dose: timedelta
    bp_check_after_dose: timedelta | None
    window: timedelta
    overdue_after: timedelta
    rule_id: str


@dataclass(frozen=True)
class NextCheck:
    due_at: datetime
    status: Status
    what: str  # in words: "Vital signs (every 10 minutes during the dose)"
    rule_id: str

    def seconds_left(self, now: datetime) -> int:
        """Seconds until due (negative once it is late)."""
        return int((self.due_at - now).total_seconds())

    @property
    def overdue(self) -> bool:
        return self.status == Status.OVERDUE

    @property
    def due_now(self) -> bool:
        return self.status == Status.DUE


def _status(due_at: datetime, now: datetime, cadence: Cadence) -> Status:
    if now < due_at:
        return Status.NOT_DUE
    if now - due_at > cadence.overdue_after:
        return Status.OVERDUE
    return Status.DUE


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def next_check(
    *,
    cadence: Cadence,
    phase: Phase,
    now: datetime,
    phase_started_at: datetime,
    dosed_at: datetime | None,
    last_vitals_at: datetime | None,
    last_bp_at: datetime | None,
    baseline_taken: bool,
) -> NextCheck | None:
    """The session's next check, or None when nothing is due (baseline taken and not dosed yet;
    session ended). ``phase_started_at`` is when the session entered its phase (the start of
    the dose when the dose is not recorded yet)."""
    if phase == Phase.ENDED:
        return None
    if phase == Phase.BEFORE_DOSE:
        if baseline_taken:
            return None
        return NextCheck(
            phase_started_at,
            _status(phase_started_at, now, cadence),
            "Baseline vital signs before the dose",
            "R-SCR-3",
        )
    every = cadence.during_dose if phase == Phase.DURING_DOSE else cadence.after_dose
    start = dosed_at or phase_started_at
    anchor = max(last_vitals_at, start) if last_vitals_at is not None else start
    due_at = anchor + every
    phase_words = "during the dose" if phase == Phase.DURING_DOSE else "after the dose"
    check = NextCheck(
        due_at,
        _status(due_at, now, cadence),
        f"Vital signs (every {_minutes(every)} minutes {phase_words})",
        cadence.rule_id,
    )
    if cadence.bp_check_after_dose is not None and dosed_at is not None:
        bp_due = dosed_at + cadence.bp_check_after_dose
        done = last_bp_at is not None and last_bp_at >= bp_due - cadence.window
        if not done and bp_due <= check.due_at:
            # R-REMS-3: late until a blood pressure is taken (the form asks for it).
            late_from = bp_due + cadence.window
            status = Status.NOT_DUE if now < bp_due - cadence.window else Status.DUE
            if now > late_from:
                status = Status.OVERDUE
            return NextCheck(
                bp_due,
                status,
                f"Blood pressure about {_minutes(cadence.bp_check_after_dose)} minutes after "
                "the dose",
                "R-REMS-3",
            )
    return check
