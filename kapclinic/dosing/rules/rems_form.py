"""When the Spravato REMS Patient Monitoring Form is due, and where it stands (R-REMS-5).

An outpatient setting submits a Patient Monitoring Form for every esketamine treatment session
within 7 days of it; the December 2026 update (§U.1) reads the 7 days as calendar days: the
session's day plus 7, weekends and holidays included ("a Friday session's form is due the
following Friday"). A clinic may hold itself to fewer days, never more: ``days`` is refused
outside 1..7. The session's day is the clinic's local date of the first device (the caller
converts). Inpatient settings submit no form (R-REMS-5): kapclinic is an outpatient clinic, so
every dosed esketamine session has one.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Final

# R-REMS-5 with §U.1: calendar days after the session's day.
PMF_DUE_DAYS: Final = 7


class RemsFormStatus(StrEnum):
    DUE = "due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"


def due_on(session_day: date, *, days: int = PMF_DUE_DAYS) -> date:
    """R-REMS-5: the last day the form may be submitted: the session's day + ``days``
    calendar days (7, or a clinic's stricter choice)."""
    if not 1 <= days <= PMF_DUE_DAYS:
        msg = f"The REMS form is due within 1 to {PMF_DUE_DAYS} calendar days, not {days}."
        raise ValueError(msg)
    return session_day + timedelta(days=days)


def status(due: date, today: date, submitted_on: date | None = None) -> RemsFormStatus:
    """R-REMS-5: due, due today or overdue until submitted; then on time or late."""
    if submitted_on is not None:
        return RemsFormStatus.SUBMITTED if submitted_on <= due else RemsFormStatus.SUBMITTED_LATE
    if today > due:
        return RemsFormStatus.OVERDUE
    if today == due:
        return RemsFormStatus.DUE_TODAY
    return RemsFormStatus.DUE


def days_left(due: date, today: date) -> int:
    """Days until the due day (0 on it, negative once overdue)."""
    return (due - today).days
