"""The scheduling app's refusals; each message is safe to show to staff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kapclinic.core.exceptions import DomainError


class SchedulingError(DomainError):
    """A scheduling rule refused the action; ``field`` names the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ProtocolDefinitionError(SchedulingError):
    """A protocol document failed validation; ``problems`` lists every problem, in words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"The protocol has {count} problem{'s' if count != 1 else ''} to fix: "
            + "; ".join(self.problems),
            field="document",
        )


class ResourceTakenError(SchedulingError):
    """A room chair, staff member or the patient is already booked at an overlapping time.
    Never overridable: the database refuses the double booking too."""


@dataclass(frozen=True)
class BookingProblem:
    """One thing a booking breaks, in words. ``overridable``: staff may book anyway with a
    written reason (audited); otherwise the booking is refused. ``field`` names the form field
    it concerns (None: the booking as a whole); ``rule_id`` the clinical rule, when one applies.
    """

    kind: str
    message: str
    field: str | None
    overridable: bool
    rule_id: str = ""


class BookingError(SchedulingError):
    """A booking, move or course plan was refused by its checks (``services.checks``).

    ``problems`` lists every problem found; ``needs_override`` is true when each of them may be
    overridden with a written reason (the protocol's course rules, staff outside their working
    hours), so the page asks for a reason instead of refusing outright.
    """

    def __init__(self, problems: Sequence[BookingProblem], *, needs_override: bool) -> None:
        self.problems = tuple(problems)
        self.needs_override = needs_override
        words = " ".join(problem.message for problem in self.problems)
        field: str | None
        if needs_override:
            message = f"The booking breaks the protocol's rules: {words} Give a reason to override."
            field = "override_reason"
        else:
            message = f"The booking cannot be made: {words}"
            field = next((p.field for p in self.problems if not p.overridable), None)
        super().__init__(message, field=field)
